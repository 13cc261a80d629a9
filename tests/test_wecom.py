"""WeCom app messages to department handlers and heads, queued within WeCom's per-member limits."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update
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


@pytest.fixture
def fake_wecom() -> Iterator[FakeWeCom]:
    server = FakeWeCom(known_users={"zhaolei", "chenjing"})
    yield server
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


def relay(app: Flask, now: datetime | None = None) -> list[Any]:
    with app.app_context(), Session(db.engine) as session:
        return relay_once(session, senders(), (lambda: now) if now else utcnow, lanes=4)  # as the workers do


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
