"""Delivering the outbox: claims, retries on a backoff schedule, dead letters and resend, a dead worker's
claim taken over once, a batch that outlives its lease sent once, and the embedded runner's lease."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from unittest.mock import ANY

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.settings import senders
from complaints.database import db, utcnow
from complaints.outbox import OutboxMessage, enqueue
from notifications.delivery import BACKOFF, LEASE, MAX_ATTEMPTS, DeliveryError, Outcome, claim
from notifications.relay import Duty, EmbeddedRunner, relay_once

from .desk import Desk
from .fake_hotline import FakeHotline
from .test_hotline import SECRET, push

ORDER = {
    "order_id": "12345-D-1",
    "title": "执法检查过于频繁",
    "content": "一个月内被检查四次。",
    "respondent": "市生态环境局",
    "caller": {"kind": "individual", "name": "孙丽", "phone": "13600136000"},
}


@pytest.fixture
def fake_hotline() -> Iterator[FakeHotline]:
    server = FakeHotline(SECRET).start()
    yield server
    server.stop()


@pytest.fixture
def config_overrides(fake_hotline: FakeHotline) -> dict[str, Any]:
    return {"hotline_secret": SECRET, "hotline_callback_url": fake_hotline.url}


def relay(app: Flask, now: datetime | None = None, lanes: int = 1) -> list[Any]:
    with app.app_context(), Session(db.engine) as session:
        return relay_once(session, senders(), (lambda: now) if now else utcnow, lanes=lanes)


def statuses(app: Flask) -> dict[str, str]:
    with app.app_context():
        rows = db.session.execute(select(OutboxMessage.event, OutboxMessage.audience, OutboxMessage.status)).all()
    return {f"{event}/{audience}": status for event, audience, status in rows}


def test_each_audience_is_reached_on_its_channel(
    app: Flask, desk: Desk, fake_hotline: FakeHotline, config_overrides: dict[str, Any]
) -> None:
    reference = push(desk.client, ORDER).get_json()["reference"]
    case_id = desk.get("triage", f"/api/v1/complaints?q={reference}").get_json()["items"][0]["id"]
    desk.ok("triage", f"/api/v1/complaints/{case_id}/accept")
    desk.ok("triage", f"/api/v1/complaints/{case_id}/assign", {"lead_department": "city-eco"})
    outcomes = relay(app)
    assert {o.channel for o in outcomes} == {"sms", "hotline", "in_app"}
    assert set(statuses(app).values()) == {"sent"}
    assert [body["event"] for body in fake_hotline.received] == ["complaint.received", "complaint.accepted"]
    # Relayed after the assignment, each callback still says what its own event did to the case.
    assert [(body["order_id"], body["status"]) for body in fake_hotline.received] == [
        ("12345-D-1", "submitted"),
        ("12345-D-1", "accepted"),
    ]
    assert fake_hotline.received[1]["status_label"] == "已受理待交办"
    sms = [json.loads(line) for line in (Path(app.instance_path) / "sms-outbox.jsonl").read_text().splitlines()]
    assert [m["phone"] for m in sms] == ["136****6000", "136****6000"]  # the development file masks numbers
    assert sms[1]["text"] == f"【{reference}】您的诉求已受理"
    assert all("检查" not in m["text"] for m in sms)  # never the complaint's text
    assert relay(app) == []  # nothing is sent twice
    shown = desk.detail("triage", case_id)["deliveries"]
    assert {(d["audience"], d["channel"], d["status"]) for d in shown} >= {("hotline", "hotline", "sent")}
    assert desk.detail("eco.handler", case_id)["deliveries"] == []


def test_an_anonymous_order_reports_each_step_and_its_closing_to_the_hotline(
    app: Flask, desk: Desk, fake_hotline: FakeHotline, config_overrides: dict[str, Any]
) -> None:
    order = {key: value for key, value in ORDER.items() if key != "caller"}
    pushed = push(desk.client, {**order, "order_id": "12345-A-1", "anonymous": True})
    assert pushed.status_code == 201, pushed.get_json()
    case_id = desk.get("triage", f"/api/v1/complaints?q={pushed.get_json()['reference']}").get_json()["items"][0]["id"]
    url = f"/api/v1/complaints/{case_id}"
    desk.ok("triage", f"{url}/accept")
    state = desk.ok("triage", f"{url}/assign", {"lead_department": "city-eco"})
    lead = state["legs"][0]["id"]
    desk.ok("eco.handler", f"{url}/legs/{lead}/sign")
    desk.ok("eco.handler", f"{url}/legs/{lead}/reply", {"reply": "已停止重复检查"})
    desk.ok("triage", f"{url}/review")
    assert desk.ok("supervisor", f"{url}/close", {"conclusion": "已责令合并检查事项。"})["status"] == "closed"

    outcomes = relay(app)
    assert {o.status for o in outcomes} == {"sent"}
    steps = [(body["event"], body["status"]) for body in fake_hotline.received]
    assert steps == [
        ("complaint.received", "submitted"),
        ("complaint.accepted", "accepted"),
        ("complaint.signed", "in_handling"),
        ("complaint.closed", "closed"),
    ]
    assert {body["order_id"] for body in fake_hotline.received} == {"12345-A-1"}
    closing = fake_hotline.received[-1]
    assert closing["status_label"] == "已办结" and closing["conclusion"] == "已责令合并检查事项。"
    assert all(body["conclusion"] is None for body in fake_hotline.received[:-1])
    assert fake_hotline.refused_signatures == 0
    with app.app_context():
        audiences = set(db.session.scalars(select(OutboxMessage.audience).where(OutboxMessage.complaint_id == case_id)))
    assert "complainant" not in audiences  # no one on file to reach; only the platform hears


def test_a_withdrawn_order_is_closed_on_the_hotline_too(
    app: Flask, desk: Desk, fake_hotline: FakeHotline, config_overrides: dict[str, Any]
) -> None:
    reference = push(desk.client, ORDER).get_json()["reference"]
    case_id = desk.get("triage", f"/api/v1/complaints?q={reference}").get_json()["items"][0]["id"]
    state = desk.ok("clerk", f"/api/v1/complaints/{case_id}/withdraw", {"note": "来电人表示问题已解决"})
    assert state["status"] == "withdrawn"
    relay(app)
    assert [(body["event"], body["status"]) for body in fake_hotline.received] == [
        ("complaint.received", "submitted"),
        ("complaint.withdrawn", "withdrawn"),
    ]
    withdrawn = fake_hotline.received[1]
    assert withdrawn["order_id"] == ORDER["order_id"] and withdrawn["status_label"] == "已撤回"
    assert "问题已解决" not in json.dumps(withdrawn, ensure_ascii=False)  # the reason stays with us
    assert statuses(app) == {
        "complaint.received/complainant": "sent",
        "complaint.received/hotline": "sent",
        "complaint.withdrawn/hotline": "sent",
    }


def test_lanes_deliver_every_row_once_and_each_recipients_messages_in_order(
    app: Flask, desk: Desk, fake_hotline: FakeHotline, config_overrides: dict[str, Any]
) -> None:
    for n in range(6):
        reference = push(desk.client, {**ORDER, "order_id": f"12345-L-{n}"}).get_json()["reference"]
        case_id = desk.get("triage", f"/api/v1/complaints?q={reference}").get_json()["items"][0]["id"]
        desk.ok("triage", f"/api/v1/complaints/{case_id}/accept")
    outcomes = relay(app, lanes=4)
    assert len(outcomes) == 24 and {o.status for o in outcomes} == {"sent"}  # to the caller by SMS and to 12345
    assert [o.message_id for o in outcomes] == sorted(o.message_id for o in outcomes)
    events: dict[str, list[str]] = {}
    for body in fake_hotline.received:
        events.setdefault(body["order_id"], []).append(body["event"])
    assert events == {f"12345-L-{n}": ["complaint.received", "complaint.accepted"] for n in range(6)}
    assert len({body["message_id"] for body in fake_hotline.received}) == 12
    with app.app_context():
        concurrent = db.engine.dialect.name == "postgresql"  # SQLite takes one writer: one lane there
    assert (len(fake_hotline.client_ports) > 1) is concurrent
    assert relay(app, lanes=4) == []


def test_failures_back_off_then_dead_letter_and_staff_resend(
    app: Flask, desk: Desk, fake_hotline: FakeHotline, config_overrides: dict[str, Any]
) -> None:
    push(desk.client, ORDER)
    fake_hotline.fail_next = MAX_ATTEMPTS
    start = utcnow()
    relay(app, start)
    assert statuses(app)["complaint.received/hotline"] == "failed"
    assert relay(app, start + BACKOFF[0] - timedelta(seconds=1)) == []  # not before its time
    moment = start
    for wait in BACKOFF:
        moment += wait + timedelta(seconds=1)
        relay(app, moment)
    assert statuses(app)["complaint.received/hotline"] == "dead"
    dead = desk.get("supervisor", "/api/v1/deliveries?status=dead").get_json()
    assert len(dead) == 1 and dead[0]["attempts"] == MAX_ATTEMPTS and "503" in dead[0]["last_error"]
    assert desk.post("samr.handler", f"/api/v1/deliveries/{dead[0]['id']}/resend").status_code == 403
    assert desk.ok("supervisor", f"/api/v1/deliveries/{dead[0]['id']}/resend")["status"] == "pending"
    relay(app)
    assert statuses(app)["complaint.received/hotline"] == "sent"
    assert len(fake_hotline.received) == 1


def test_a_claim_is_exclusive_and_a_dead_workers_claim_is_taken_over_once(
    app: Flask, desk: Desk, fake_hotline: FakeHotline, config_overrides: dict[str, Any]
) -> None:
    push(desk.client, ORDER)
    now = utcnow()
    with app.app_context():
        message_id = db.session.scalars(select(OutboxMessage.id).where(OutboxMessage.audience == "hotline")).one()
        with Session(db.engine) as first, Session(db.engine) as second:
            assert claim(first, message_id, now) is not None
            assert claim(second, message_id, now) is None  # held by the first worker, which now "dies"
    early = relay(app, now + LEASE - timedelta(seconds=1))
    assert message_id not in [o.message_id for o in early]  # its lease is still running
    assert fake_hotline.received == []
    relay(app, now + LEASE + timedelta(seconds=1))
    assert [body["event"] for body in fake_hotline.received] == ["complaint.received"]
    relay(app, now + 2 * LEASE)
    assert len(fake_hotline.received) == 1
    with app.app_context():
        attempts = db.session.scalar(select(OutboxMessage.attempts).where(OutboxMessage.id == message_id))
    assert attempts == 2


def test_resending_a_message_that_is_no_longer_failed_is_refused(
    app: Flask, desk: Desk, fake_hotline: FakeHotline, config_overrides: dict[str, Any]
) -> None:
    push(desk.client, ORDER)
    fake_hotline.fail_next = 1
    start = utcnow()
    relay(app, start)
    failed = desk.get("supervisor", "/api/v1/deliveries?status=failed").get_json()
    assert [row["audience"] for row in failed] == ["hotline"]
    with app.app_context(), Session(db.engine) as worker:  # a relay retries it while staff look at the list
        assert claim(worker, failed[0]["id"], start + BACKOFF[0] + timedelta(seconds=1)) is not None
    refused = desk.post("supervisor", f"/api/v1/deliveries/{failed[0]['id']}/resend")
    assert refused.status_code == 409 and refused.get_json()["code"] == "not_failed"
    assert "不是发送失败" in refused.get_json()["message"]
    assert statuses(app)["complaint.received/hotline"] == "sending"  # the worker's claim was left alone
    sent = desk.get("supervisor", "/api/v1/deliveries?status=sent").get_json()[0]
    assert desk.post("supervisor", f"/api/v1/deliveries/{sent['id']}/resend").status_code == 409
    assert desk.post("supervisor", "/api/v1/deliveries/999999/resend").status_code == 404
    assert statuses(app)["complaint.received/complainant"] == "sent"


def test_a_message_whose_worker_dies_on_every_attempt_is_dead_lettered(
    app: Flask, desk: Desk, fake_hotline: FakeHotline, config_overrides: dict[str, Any]
) -> None:
    push(desk.client, ORDER)
    moment = utcnow()
    with app.app_context():
        message_id = db.session.scalars(select(OutboxMessage.id).where(OutboxMessage.audience == "hotline")).one()
        for _ in range(MAX_ATTEMPTS):  # each claim's worker dies (out of memory, a job timeout) mid-delivery
            with Session(db.engine) as worker:
                assert claim(worker, message_id, moment) is not None
            moment += LEASE + timedelta(seconds=1)
    outcomes = relay(app, moment)
    assert message_id not in [o.message_id for o in outcomes]  # not claimed a seventh time
    assert fake_hotline.received == []
    dead = desk.get("supervisor", "/api/v1/deliveries?status=dead").get_json()
    assert [(row["id"], row["attempts"]) for row in dead] == [(message_id, MAX_ATTEMPTS)]
    assert "worker never finished" in dead[0]["last_error"]
    assert statuses(app)["complaint.received/complainant"] == "sent"  # the others go out as usual
    assert desk.ok("supervisor", f"/api/v1/deliveries/{message_id}/resend")["status"] == "pending"
    relay(app, moment)
    assert [body["event"] for body in fake_hotline.received] == ["complaint.received"]


def enqueue_center_messages(app: Flask, count: int, now: datetime) -> list[int]:
    with app.app_context():
        messages = [enqueue(db.session, "objection.raised", "center", now=now) for _ in range(count)]
        db.session.commit()
        return [message.id for message in messages]


def test_a_relay_claims_no_more_than_its_batch(app: Flask) -> None:
    now = utcnow()
    ids = enqueue_center_messages(app, 5, now)
    with app.app_context(), Session(db.engine) as session:
        outcomes = relay_once(session, lambda *_: "in_app", lambda: now, batch=2)
        rows = dict(session.execute(select(OutboxMessage.id, OutboxMessage.status)).tuples().all())
    assert [o.message_id for o in outcomes] == ids[:2]
    assert rows == {ids[0]: "sent", ids[1]: "sent", ids[2]: "pending", ids[3]: "pending", ids[4]: "pending"}


def test_a_batch_that_outlives_its_lease_sends_each_message_once(app: Flask) -> None:
    """A provider slower than the lease: while the first relay still works through its batch, the next relay
    takes over the rows whose lease ran out; the first skips them, and nothing goes out twice."""
    clock = {"now": utcnow()}
    ids = enqueue_center_messages(app, 3, clock["now"])
    sent: list[int] = []
    second_relay: list[Outcome] = []

    def slow_provider(session: Session, message: OutboxMessage, now: datetime) -> str:
        sent.append(message.id)
        clock["now"] += timedelta(seconds=70)  # each call takes more than half the 120 s lease
        if len(sent) == 2 and not second_relay:
            with Session(db.engine) as other:  # the cron's next relay, on another worker
                second_relay.extend(relay_once(other, slow_provider, lambda: clock["now"]))
        return "in_app"

    with app.app_context(), Session(db.engine) as session:
        first_relay = relay_once(session, slow_provider, lambda: clock["now"])
        rows = session.execute(select(OutboxMessage.id, OutboxMessage.status, OutboxMessage.attempts)).all()
    assert sorted(sent) == ids  # each once
    assert [(o.message_id, o.status) for o in first_relay] == [(ids[0], "sent"), (ids[1], "sent")]
    assert [(o.message_id, o.status) for o in second_relay] == [(ids[2], "sent")]
    assert sorted(rows) == [(ids[0], "sent", 1), (ids[1], "sent", 1), (ids[2], "sent", 2)]


def test_a_worker_whose_provider_call_outlasts_its_lease_leaves_the_row_to_its_new_claimant(app: Flask) -> None:
    """The provider call itself outlasts the lease (the lease must be longer than any provider timeout): the next
    relay's claim stands, and the first worker's late outcome is not recorded over it."""
    clock = {"now": utcnow()}
    (message_id,) = enqueue_center_messages(app, 1, clock["now"])
    calls: list[int] = []
    second_relay: list[Outcome] = []

    def stuck_then_refused(session: Session, message: OutboxMessage, now: datetime) -> str:
        calls.append(message.id)
        if len(calls) > 1:
            raise DeliveryError("provider refused")  # the second worker's call
        clock["now"] += LEASE + timedelta(seconds=1)  # the first call hangs past the lease …
        with Session(db.engine) as other:  # … and the next relay takes the row over meanwhile
            second_relay.extend(relay_once(other, stuck_then_refused, lambda: clock["now"]))
        return "wecom"

    with app.app_context(), Session(db.engine) as session:
        first_relay = relay_once(session, stuck_then_refused, lambda: clock["now"])
        row = session.get(OutboxMessage, message_id)
        assert row is not None
        assert (row.status, row.attempts, row.last_error, row.channel) == ("failed", 2, "provider refused", None)
    assert [(o.message_id, o.status) for o in second_relay] == [(message_id, "failed")]
    assert [(o.message_id, o.status, o.channel) for o in first_relay] == [(message_id, "claim_lost", "wecom")]


def test_only_the_lease_holder_relays(
    app: Flask, desk: Desk, fake_hotline: FakeHotline, config_overrides: dict[str, Any]
) -> None:
    push(desk.client, ORDER)
    with app.app_context():
        send = senders()
        duties = [Duty("relay", timedelta(seconds=5), lambda session: relay_once(session, send))]
        first, second = EmbeddedRunner(db.engine, duties), EmbeddedRunner(db.engine, duties)
        second.holder = first.holder + "-other"
        now = utcnow()
        assert first.run_due(now)["relay"] == [ANY, ANY]  # the SMS and the callback
        push(desk.client, {**ORDER, "order_id": "12345-D-2"})
        assert second.run_due(now) == {}  # the first holds the lease
        assert first.run_due(now + timedelta(seconds=1)) == {}  # not yet its time
        assert first.run_due(now + timedelta(seconds=6))["relay"] == [ANY, ANY]
        assert second.run_due(now + timedelta(seconds=20)) == {}  # renewed: still the first's
    assert len(fake_hotline.received) == 2
