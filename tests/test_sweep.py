"""The deadline sweep: a warning before the end, overdue once, and escalation once per level."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.settings import personal_data_cipher
from complaints.database import db
from complaints.deadlines import Deadline
from complaints.notices import Notice
from complaints.outbox import OutboxMessage
from notifications.jobs import run_sweep

from .desk import Desk


def sweep_at(app: Flask, now: datetime) -> Any:
    with app.app_context(), Session(db.engine) as session:
        return run_sweep(session, personal_data_cipher(), now)


def handling_clock(app: Flask, case_id: int) -> Deadline:
    with app.app_context():
        clock = db.session.scalars(
            select(Deadline).where(Deadline.complaint_id == case_id, Deadline.clock == "handling")
        ).one()
        db.session.expunge(clock)
        return clock


def events(app: Flask, case_id: int) -> list[tuple[str, str]]:
    with app.app_context():
        rows = db.session.execute(
            select(OutboxMessage.event, OutboxMessage.audience).where(OutboxMessage.complaint_id == case_id)
        ).all()
    return [(event, audience) for event, audience in rows]


def test_warning_overdue_and_escalation_each_fire_once(app: Flask, desk: Desk) -> None:
    case = desk.register()["case"]
    url = f"/api/v1/complaints/{case['id']}"
    desk.ok("triage", f"{url}/accept")
    state = desk.ok("triage", f"{url}/assign", {"lead_department": "city-samr"})
    desk.ok("samr.handler", f"{url}/legs/{state['legs'][0]['id']}/sign")
    clock = handling_clock(app, case["id"])
    assert clock.warn_at is not None and clock.warn_at < clock.ends_at

    assert sweep_at(app, clock.warn_at - timedelta(minutes=1)).warned == []
    warned = sweep_at(app, clock.warn_at + timedelta(minutes=1))
    assert warned.warned == [clock.id] and sweep_at(app, clock.warn_at + timedelta(minutes=2)).warned == []
    assert ("deadline.warning", "department") in events(app, case["id"])

    overdue = sweep_at(app, clock.ends_at + timedelta(minutes=1))
    assert overdue.overdue == [clock.id] and overdue.escalated == [(case["id"], "normal")]
    again = sweep_at(app, clock.ends_at + timedelta(minutes=2))
    assert again.overdue == [] and again.escalated == []
    assert desk.detail("supervisor", case["id"])["case"]["supervision_level"] == "normal"
    assert {("deadline.overdue", "department"), ("deadline.overdue", "center")} <= set(events(app, case["id"]))

    assert sweep_at(app, clock.ends_at + timedelta(days=5, minutes=1)).escalated == [(case["id"], "yellow")]
    assert sweep_at(app, clock.ends_at + timedelta(days=6)).escalated == []
    red = sweep_at(app, clock.ends_at + timedelta(days=10, minutes=1))
    assert red.escalated == [(case["id"], "red")]
    assert sweep_at(app, clock.ends_at + timedelta(days=30)).escalated == []
    detail = desk.detail("supervisor", case["id"])
    assert detail["case"]["supervision_level"] == "red"
    with app.app_context():
        notices = db.session.scalars(select(Notice).where(Notice.complaint_id == case["id"])).all()
    assert [n.kind for n in notices] == ["supervision_notice"]
    supervised = [e for e in events(app, case["id"]) if e[0] == "case.supervised"]
    assert len(supervised) == 3


def test_a_level_raised_by_hand_is_never_lowered_and_replied_cases_are_left_alone(app: Flask, desk: Desk) -> None:
    case = desk.register()["case"]
    url = f"/api/v1/complaints/{case['id']}"
    desk.ok("triage", f"{url}/accept")
    state = desk.ok("triage", f"{url}/assign", {"lead_department": "city-samr"})
    desk.ok("supervisor", f"{url}/supervision", {"level": "yellow"})
    clock = handling_clock(app, case["id"])
    assert sweep_at(app, clock.ends_at + timedelta(minutes=1)).escalated == []
    assert desk.detail("supervisor", case["id"])["case"]["supervision_level"] == "yellow"

    other = desk.register()["case"]
    other_url = f"/api/v1/complaints/{other['id']}"
    desk.ok("triage", f"{other_url}/accept")
    legs = desk.ok("triage", f"{other_url}/assign", {"lead_department": "city-samr"})["legs"]
    desk.ok("samr.handler", f"{other_url}/legs/{legs[0]['id']}/sign")
    desk.ok("samr.handler", f"{other_url}/legs/{legs[0]['id']}/reply", {"reply": "已处理"})
    later = handling_clock(app, other["id"]).ends_at + timedelta(days=20)
    report = sweep_at(app, later)
    assert all(case_id != other["id"] for case_id, _ in report.escalated)
    assert state["status"] == "assigned"
