"""WeCom app messages to department handlers and heads, queued within WeCom's per-member limits, which hold
with several workers sending at once."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, insert, select, update
from sqlalchemy import text as sql
from sqlalchemy.orm import Session

from api.settings import senders
from complaints.database import db, utcnow
from complaints.outbox import OutboxMessage
from complaints.staff import StaffUser
from notifications.relay import relay_once
from notifications.texts import MessageText, render
from notifications.wecom import WeComSend, fit

from .desk import Desk
from .fake_wecom import FakeWeCom


@dataclass
class HoldingWeCom(FakeWeCom):
    """With ``hold_first``, holds the first message/send until released: a worker caught mid-call to WeCom."""

    hold_first: bool = False
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    def _app(self, environ: dict[str, Any], start_response: Any) -> Any:
        if self.hold_first and environ["PATH_INFO"] == "/cgi-bin/message/send" and not self.holding.is_set():
            self.holding.set()
            self.release.wait(30)
        return super()._app(environ, start_response)


@pytest.fixture
def fake_wecom() -> Iterator[HoldingWeCom]:
    server = HoldingWeCom(known_users={"zhaolei", "chenjing"})
    yield server
    server.release.set()
    server.stop()


@pytest.fixture
def config_overrides(fake_wecom: FakeWeCom) -> dict[str, Any]:
    return {
        "wecom_corp_id": fake_wecom.corp_id,
        "wecom_secret": fake_wecom.secret,
        "wecom_agent_id": 1000002,
        "wecom_api_base": fake_wecom.base_url,
    }


def link_wecom(app: Flask) -> None:
    with app.app_context():
        for username, wecom_id in (("samr.handler", "zhaolei"), ("samr.head", "chenjing")):
            db.session.execute(update(StaffUser).where(StaffUser.username == username).values(wecom_userid=wecom_id))
        db.session.commit()


def relay(app: Flask, now: datetime | None = None, batch: int = 200) -> list[Any]:
    with app.app_context(), Session(db.engine) as session:
        return relay_once(session, senders(), (lambda: now) if now else utcnow, batch, lanes=4)  # as the workers do


def test_departments_hear_of_their_cases_on_wecom(
    app: Flask, desk: Desk, fake_wecom: FakeWeCom, config_overrides: dict[str, Any]
) -> None:
    link_wecom(app)
    case = desk.register()["case"]
    url = f"/api/v1/complaints/{case['id']}"
    desk.ok("triage", f"{url}/accept")
    desk.ok("triage", f"{url}/assign", {"lead_department": "city-samr"})
    desk.ok("supervisor", f"{url}/supervision", {"level": "yellow"})
    outcomes = relay(app)
    assert "wecom" in {o.channel for o in outcomes}
    assigned, supervised = fake_wecom.messages
    assert assigned["to"] == ["zhaolei", "chenjing"] and assigned["agentid"] == 1000002
    assert case["reference"] in assigned["text"] and "签收" in assigned["text"]
    assert supervised["to"] == ["chenjing"]  # escalations go to the department head
    assert "罚款" not in assigned["text"]  # never the complaint's text


def test_a_member_over_the_limit_is_queued_not_dropped(
    app: Flask, desk: Desk, fake_wecom: FakeWeCom, config_overrides: dict[str, Any]
) -> None:
    link_wecom(app)
    now = utcnow()
    with app.app_context():
        head = db.session.scalar(select(StaffUser.id).where(StaffUser.username == "samr.head"))
        db.session.add_all(WeComSend(staff_user_id=head, sent_at=now - timedelta(seconds=50 - i)) for i in range(30))
        db.session.commit()
    case = desk.register()["case"]
    desk.ok("triage", f"/api/v1/complaints/{case['id']}/accept")
    desk.ok("triage", f"/api/v1/complaints/{case['id']}/assign", {"lead_department": "city-samr"})
    outcomes = relay(app, now)
    assert "deferred" in {o.status for o in outcomes} and fake_wecom.messages == []
    with app.app_context():
        row = db.session.scalars(select(OutboxMessage).where(OutboxMessage.event == "case.assigned")).one()
        assert row.status == "failed" and row.attempts == 0 and row.next_attempt_at == now + timedelta(seconds=10)
    assert relay(app, now + timedelta(seconds=5)) == []
    relay(app, now + timedelta(seconds=11))
    assert len(fake_wecom.messages) == 1


def test_texts_are_cut_to_2048_bytes() -> None:
    assert len(fit("案" * 1000).encode()) <= 2048
    assert fit("短消息") == "短消息"


def test_administrators_reword_our_own_texts(
    app: Flask, desk: Desk, fake_wecom: FakeWeCom, config_overrides: dict[str, Any]
) -> None:
    link_wecom(app)
    body = {"channel": "wecom", "event": "case.assigned", "text": "【请签收】{reference} 已交办"}
    assert desk.client.put("/api/v1/message-texts", json=body, headers=desk.headers("supervisor")).status_code == 403
    for text in ("{phone}", "}", "{", "{}", "{reference:>999999999}", "{reference!r}", "{reference.__class__}"):
        bad = desk.client.put("/api/v1/message-texts", json={**body, "text": text}, headers=desk.headers("sysadmin"))
        assert bad.status_code == 400 and bad.get_json()["code"] == "invalid_placeholder", text
    assert desk.client.put("/api/v1/message-texts", json=body, headers=desk.headers("sysadmin")).status_code == 200
    listed = desk.get("sysadmin", "/api/v1/message-texts").get_json()
    assert {
        "channel": "wecom",
        "event": "case.assigned",
        "text": "【请签收】{reference} 已交办",
        "default": "新交办案件 {reference}，请在5个工作日内签收或提出异议。",
        "customized": "true",
    } in listed
    case = desk.register()["case"]
    desk.ok("triage", f"/api/v1/complaints/{case['id']}/accept")
    desk.ok("triage", f"/api/v1/complaints/{case['id']}/assign", {"lead_department": "city-samr"})
    relay(app)
    assert fake_wecom.messages[0]["text"] == f"【请签收】{case['reference']} 已交办"


def test_a_stored_text_that_cannot_be_filled_in_falls_back_to_ours(app: Flask) -> None:
    with app.app_context():
        db.session.add(
            MessageText(
                channel="wecom", event="case.assigned", text="{reference:d}", updated_by="x", updated_at=utcnow()
            )
        )
        db.session.add(
            MessageText(
                channel="in_app", event="case.assigned", text="新案件 {reference}", updated_by="x", updated_at=utcnow()
            )
        )
        db.session.flush()
        values = {"reference": "FZ2026-000001", "title": "标题"}
        assert render(db.session, "in_app", "case.assigned", values) == "新案件 FZ2026-000001"
        fallback = render(db.session, "wecom", "case.assigned", values)
        assert "FZ2026-000001" in fallback and fallback != "{reference:d}"


def seed_recent_sends(app: Flask, username: str, count: int, now: datetime) -> int:
    with app.app_context():
        member = db.session.scalar(select(StaffUser.id).where(StaffUser.username == username))
        assert member is not None
        db.session.add_all(
            WeComSend(staff_user_id=member, sent_at=now - timedelta(seconds=50 - i)) for i in range(count)
        )
        db.session.commit()
        return member


def sends_to(app: Flask, member: int) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).where(WeComSend.staff_user_id == member)) or 0


def assign_two_cases(app: Flask, desk: Desk) -> None:
    """Two cases for city-samr, everything else they caused already relayed: what is pending is the two WeCom
    messages to its handler and head."""
    cases = [desk.register()["case"]["id"] for _ in range(2)]
    for case_id in cases:
        desk.ok("triage", f"/api/v1/complaints/{case_id}/accept")
    relay(app)
    for case_id in cases:
        desk.ok("triage", f"/api/v1/complaints/{case_id}/assign", {"lead_department": "city-samr"})
    with app.app_context():
        pending = db.session.scalars(select(OutboxMessage.event).where(OutboxMessage.status == "pending")).all()
    assert pending == ["case.assigned", "case.assigned"]


def in_thread(work: Callable[[], list[Any]]) -> tuple[threading.Thread, list[list[Any]]]:
    results: list[list[Any]] = []
    thread = threading.Thread(target=lambda: results.append(work()))
    thread.start()
    return thread, results


def wait_until(condition: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_send_is_logged_before_wecom_is_called_so_a_second_worker_keeps_within_the_limit(
    app: Flask, desk: Desk, fake_wecom: HoldingWeCom, config_overrides: dict[str, Any]
) -> None:
    link_wecom(app)
    now = utcnow()
    head = seed_recent_sends(app, "samr.head", 29, now)  # one slot left this minute
    assign_two_cases(app, desk)
    fake_wecom.hold_first = True
    first, first_outcomes = in_thread(lambda: relay(app, now, batch=1))
    assert fake_wecom.holding.wait(30), "the first worker never called WeCom"
    second = relay(app, now, batch=1)  # meanwhile, another worker with the next message for the head
    fake_wecom.release.set()
    first.join(30)
    assert [o.status for o in first_outcomes[0]] == ["sent"]
    assert [o.status for o in second] == ["deferred"]
    assert len(fake_wecom.messages) == 1
    assert sends_to(app, head) == 30
    with app.app_context():
        deferred = db.session.get(OutboxMessage, second[0].message_id)
        assert deferred is not None and deferred.next_attempt_at == now + timedelta(seconds=10)


def test_workers_checking_one_members_budget_take_turns(
    app: Flask, desk: Desk, fake_wecom: FakeWeCom, config_overrides: dict[str, Any]
) -> None:
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite: every budget check takes the one write lock first (BEGIN IMMEDIATE), so they queue")
    link_wecom(app)
    now = utcnow()
    head = seed_recent_sends(app, "samr.head", 29, now)
    assign_two_cases(app, desk)
    with app.app_context(), db.engine.connect() as other_worker:
        # Another worker is between its check of the head's budget and its log of the send.
        other_worker.execute(select(StaffUser.id).where(StaffUser.id == head).with_for_update(key_share=True))
        relaying, outcomes = in_thread(lambda: relay(app, now, batch=1))
        wait_until(lambda: lock_waits(app) == 1)  # this relay waits for it …
        other_worker.execute(insert(WeComSend).values(staff_user_id=head, sent_at=now))
        other_worker.commit()
    relaying.join(30)
    assert [o.status for o in outcomes[0]] == ["deferred"]  # … and then sees the last slot taken
    assert fake_wecom.messages == []
    assert sends_to(app, head) == 30


def lock_waits(app: Flask) -> int:
    with app.app_context(), db.engine.connect() as connection:
        query = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        waiting: int = connection.execute(sql(query)).scalar_one()
        return waiting
