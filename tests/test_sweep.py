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
from complaints.departments import department_by_code
from complaints.handling import decide_extension
from complaints.legs import Extension
from complaints.machine import CaseContext, StaffActor
from complaints.notices import Notice
from complaints.outbox import OutboxMessage
from complaints.supervision import issue_notice, reply_to_notice
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
    assert sorted(supervised) == [("case.supervised", "center")] * 3 + [("case.supervised", "department")] * 3


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


def messages(app: Flask, event: str) -> list[OutboxMessage]:
    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.event == event).order_by(OutboxMessage.id))
        found = list(rows)
        db.session.expunge_all()
    return found


def warned_from(clock: Deadline) -> datetime:
    assert clock.warn_at is not None
    return clock.warn_at


def reply_clocks(app: Flask) -> dict[int, Deadline]:
    """Each notice's reply clock, by notice id."""
    with app.app_context():
        query = select(Notice.id, Deadline).join(Deadline, Deadline.id == Notice.reply_deadline_id)
        clocks = dict(db.session.execute(query).tuples().all())
        db.session.expunge_all()
    return clocks


def act_at(app: Flask, now: datetime, action: Any) -> None:
    """Run a domain action as the center at a chosen instant (the API acts at the real time) and commit it."""
    with app.app_context():
        ctx = CaseContext.build(
            db.session, StaffActor(id=None, name="supervisor", role="supervisor"), now, personal_data_cipher()
        )
        action(ctx)
        db.session.commit()


def test_an_extension_after_overdue_warns_again_and_turns_overdue_at_the_new_end(app: Flask, desk: Desk) -> None:
    case = desk.register()["case"]
    url = f"/api/v1/complaints/{case['id']}"
    desk.ok("triage", f"{url}/accept")
    leg = desk.ok("triage", f"{url}/assign", {"lead_department": "city-samr"})["legs"][0]["id"]
    desk.ok("samr.handler", f"{url}/legs/{leg}/sign")
    old = handling_clock(app, case["id"])
    assert sweep_at(app, warned_from(old) + timedelta(minutes=1)).warned == [old.id]
    late = sweep_at(app, old.ends_at + timedelta(minutes=1))
    assert late.overdue == [old.id] and late.escalated == [(case["id"], "normal")]

    desk.ok("samr.handler", f"{url}/legs/{leg}/extension", {"days": 10, "reason": "需要调取执法记录仪视频"})
    with app.app_context():
        extension_id = db.session.scalars(select(Extension.id).where(Extension.complaint_id == case["id"])).one()

    def approve(ctx: CaseContext) -> None:
        extension = ctx.session.get(Extension, extension_id)
        assert extension is not None
        decide_extension(ctx, extension, approve=True, note=None)

    act_at(app, old.ends_at + timedelta(days=1), approve)
    new = handling_clock(app, case["id"])
    assert new.ends_at >= old.ends_at + timedelta(days=10) and warned_from(new) > old.ends_at + timedelta(days=1)
    assert new.warned_at is None and new.overdue_at is None and new.escalation_step == 1

    assert sweep_at(app, warned_from(new) - timedelta(minutes=1)).warned == []
    assert sweep_at(app, warned_from(new) + timedelta(minutes=1)).warned == [new.id]
    overdue = sweep_at(app, new.ends_at + timedelta(minutes=1))
    assert overdue.overdue == [new.id] and overdue.escalated == []  # 一般督办 was made before; never twice
    assert desk.detail("supervisor", case["id"])["case"]["supervision_level"] == "normal"
    assert sweep_at(app, old.ends_at + timedelta(days=5, minutes=1)).escalated == []  # measured from the new end
    assert sweep_at(app, new.ends_at + timedelta(days=5, minutes=1)).escalated == [(case["id"], "yellow")]
    warnings = [e for e in events(app, case["id"]) if e == ("deadline.warning", "department")]
    assert len(warnings) == 2

    told = [m for m in messages(app, "complaint.extended") if m.complaint_id == case["id"]]
    assert [m.payload["days"] for m in told] == ["10"]
    assert told[0].payload["reason"] == "需调取核实证据材料"  # a category, never the department's own words
    assert "执法记录仪" not in str(told[0].payload)


def test_an_extension_before_the_warning_warns_once_before_the_new_end(app: Flask, desk: Desk) -> None:
    case = desk.register()["case"]
    url = f"/api/v1/complaints/{case['id']}"
    desk.ok("triage", f"{url}/accept")
    leg = desk.ok("triage", f"{url}/assign", {"lead_department": "city-samr"})["legs"][0]["id"]
    desk.ok("samr.handler", f"{url}/legs/{leg}/sign")
    old = handling_clock(app, case["id"])
    desk.ok("samr.handler", f"{url}/legs/{leg}/extension", {"days": 5, "reason": "需要现场核实"})
    extension = desk.detail("supervisor", case["id"])["extensions"][0]["id"]
    desk.ok("supervisor", f"/api/v1/extensions/{extension}/decision", {"approve": True})
    new = handling_clock(app, case["id"])
    assert warned_from(new) > warned_from(old)
    assert sweep_at(app, warned_from(old) + timedelta(minutes=1)).warned == []
    assert sweep_at(app, warned_from(new) + timedelta(minutes=1)).warned == [new.id]
    assert sweep_at(app, warned_from(new) + timedelta(minutes=2)).warned == []


def test_a_notice_reply_clock_warns_the_department_it_was_sent_to_with_or_without_a_case(
    app: Flask, desk: Desk
) -> None:
    case = desk.register()["case"]
    url = f"/api/v1/complaints/{case['id']}"
    desk.ok("triage", f"{url}/accept")
    desk.ok("triage", f"{url}/assign", {"lead_department": "city-samr"})
    on_case = desk.ok(
        "supervisor",
        f"{url}/notices",
        {"kind": "supervision_notice", "department": "city-eco", "subject": "督办事项", "body": "请书面回复"},
        201,
    )
    issued: dict[str, int] = {}

    def issue_outside_any_case(ctx: CaseContext) -> None:
        for subject in ("行政执法风险", "已回复的风险提示"):
            notice = issue_notice(
                ctx,
                None,
                kind="risk_alert",
                department=department_by_code(ctx.session, "city-samr"),
                subject=subject,
                body="近期同类投诉较多，请自查并书面回复。",
            )
            issued[subject] = notice.id

    def reply_to_one(ctx: CaseContext) -> None:
        notice = ctx.session.get(Notice, issued["已回复的风险提示"])
        assert notice is not None
        reply_to_notice(ctx, notice, "已自查整改")

    issued_at = reply_clocks(app)[on_case["id"]].starts_at
    act_at(app, issued_at, issue_outside_any_case)
    act_at(app, issued_at, reply_to_one)
    with app.app_context():
        numbers = dict(db.session.execute(select(Notice.id, Notice.number)).tuples().all())
        eco, samr = (department_by_code(db.session, code).id for code in ("city-eco", "city-samr"))
    clocks = reply_clocks(app)
    caseless, replied = issued["行政执法风险"], issued["已回复的风险提示"]
    assert clocks[caseless].complaint_id is None and clocks[replied].state == "stopped"
    warn_at = max(warned_from(clocks[on_case["id"]]), warned_from(clocks[caseless]))
    ends_at = max(clocks[on_case["id"]].ends_at, clocks[caseless].ends_at)
    assert warn_at < min(clocks[on_case["id"]].ends_at, clocks[caseless].ends_at)

    warned = sweep_at(app, warn_at + timedelta(minutes=1))
    assert sorted(warned.warned) == sorted([clocks[on_case["id"]].id, clocks[caseless].id])
    assert clocks[replied].id not in warned.warned
    warnings = {
        (m.audience, m.department_id, m.payload["number"], m.payload.get("reference"))
        for m in messages(app, "notice.reply_warning")
    }
    assert warnings == {
        ("department", eco, on_case["number"], case["reference"]),
        ("department", samr, numbers[caseless], None),
    }

    overdue = sweep_at(app, ends_at + timedelta(minutes=1))
    assert sorted(overdue.overdue) == sorted([clocks[on_case["id"]].id, clocks[caseless].id])
    assert sweep_at(app, ends_at + timedelta(minutes=2)).overdue == []
    told = {(m.audience, m.department_id, m.payload["number"]) for m in messages(app, "notice.reply_overdue")}
    assert told == {
        ("department", eco, on_case["number"]),
        ("center", None, on_case["number"]),
        ("department", samr, numbers[caseless]),
        ("center", None, numbers[caseless]),
    }
    case_clock_messages = messages(app, "deadline.warning") + messages(app, "deadline.overdue")
    assert "notice_reply" not in {m.payload["clock"] for m in case_clock_messages}


def center_context(ctx: CaseContext, username: str) -> CaseContext:
    """``ctx`` acting as a named staff member (the domain functions check no role; the timeline names them)."""
    from complaints.accounts import find_user

    user = find_user(ctx.session, username)
    assert user is not None
    actor = StaffActor(id=user.id, name=user.username, role=user.role, department_id=user.department_id)
    return CaseContext(ctx.session, actor, ctx.now, ctx.cipher, ctx.calendar)


def test_a_reply_sent_back_gives_the_department_the_time_it_had_left_not_the_review_time(
    app: Flask, desk: Desk
) -> None:
    from complaints.cases import Complaint
    from complaints.handling import begin_review, reply, send_back
    from complaints.legs import DepartmentLeg
    from complaints.workdays import china_day

    case = desk.register()["case"]
    url = f"/api/v1/complaints/{case['id']}"
    desk.ok("triage", f"{url}/accept")
    leg_id = desk.ok("triage", f"{url}/assign", {"lead_department": "city-samr"})["legs"][0]["id"]
    desk.ok("samr.handler", f"{url}/legs/{leg_id}/sign")
    old = handling_clock(app, case["id"])
    replied_at, sent_back_at = old.ends_at - timedelta(days=3), old.ends_at + timedelta(days=11)

    def replies(ctx: CaseContext) -> None:
        leg = ctx.session.get(DepartmentLeg, leg_id)
        assert leg is not None
        reply(center_context(ctx, "samr.handler"), leg, "已处理")

    def reviews(ctx: CaseContext) -> None:
        complaint = ctx.session.get(Complaint, case["id"])
        assert complaint is not None
        begin_review(ctx, complaint)

    def sends_back(ctx: CaseContext) -> None:
        complaint = ctx.session.get(Complaint, case["id"])
        assert complaint is not None
        send_back(ctx, complaint, "答复不充分")

    act_at(app, replied_at, replies)
    act_at(app, old.ends_at - timedelta(days=2), reviews)
    act_at(app, sent_back_at, sends_back)
    new = handling_clock(app, case["id"])
    given_back = china_day(sent_back_at) - china_day(replied_at)
    assert new.state == "running" and new.paused_units == given_back.days == 14
    assert new.last_day >= old.last_day + given_back and new.ends_at > sent_back_at + timedelta(days=2)
    assert new.overdue_at is None and new.escalation_step == 0

    first = sweep_at(app, sent_back_at + timedelta(minutes=1))
    assert first.overdue == [] and first.escalated == []
    detail = desk.detail("supervisor", case["id"])
    assert detail["case"]["status"] == "in_handling" and detail["case"]["supervision_level"] == "none"
    assert detail["notices"] == []
    late = sweep_at(app, new.ends_at + timedelta(minutes=1))
    assert late.overdue == [new.id] and late.escalated == [(case["id"], "normal")]


def test_resuming_a_paused_clock_moves_its_warning_and_overdue_to_the_new_end(app: Flask, desk: Desk) -> None:
    from complaints.cases import Complaint
    from complaints.supervision import pause_handling, resume_handling

    case = desk.register()["case"]
    url = f"/api/v1/complaints/{case['id']}"
    desk.ok("triage", f"{url}/accept")
    leg = desk.ok("triage", f"{url}/assign", {"lead_department": "city-samr"})["legs"][0]["id"]
    desk.ok("samr.handler", f"{url}/legs/{leg}/sign")
    old = handling_clock(app, case["id"])

    def on_case(action: Any) -> Any:
        def act(ctx: CaseContext) -> None:
            complaint = ctx.session.get(Complaint, case["id"])
            assert complaint is not None
            action(ctx, complaint)

        return act

    act_at(app, old.starts_at + timedelta(days=10), on_case(lambda c, x: pause_handling(c, x, "等待检测结果")))
    assert sweep_at(app, warned_from(old) + timedelta(minutes=1)).warned == []  # a paused clock runs out of nothing
    assert sweep_at(app, old.ends_at + timedelta(minutes=1)).overdue == []
    resumed_at = old.ends_at + timedelta(days=1)
    act_at(app, resumed_at, on_case(resume_handling))
    new = handling_clock(app, case["id"])
    assert new.state == "running" and new.ends_at > resumed_at + timedelta(days=9)
    assert new.warned_at is None and new.overdue_at is None

    assert sweep_at(app, resumed_at + timedelta(minutes=1)).warned == []
    assert sweep_at(app, warned_from(new) + timedelta(minutes=1)).warned == [new.id]
    late = sweep_at(app, new.ends_at + timedelta(minutes=1))
    assert late.overdue == [new.id] and late.escalated == [(case["id"], "normal")]

    act_at(app, new.ends_at + timedelta(hours=1), on_case(lambda c, x: pause_handling(c, x, "等待鉴定")))
    act_at(app, new.ends_at + timedelta(days=3), on_case(resume_handling))
    still = handling_clock(app, case["id"])
    assert still.overdue_at is not None and still.ends_at <= new.ends_at + timedelta(days=3)  # paused when overdue
    warnings = [e for e in events(app, case["id"]) if e == ("deadline.warning", "department")]
    assert len(warnings) == 1


def test_an_accepted_case_waits_for_assignment_on_the_centers_clock(app: Flask, desk: Desk) -> None:
    case = desk.register()["case"]
    url = f"/api/v1/complaints/{case['id']}"
    desk.ok("triage", f"{url}/accept")

    def assignment_clocks() -> list[Deadline]:
        with app.app_context():
            found = list(
                db.session.scalars(
                    select(Deadline)
                    .where(Deadline.complaint_id == case["id"], Deadline.clock == "assignment")
                    .order_by(Deadline.id)
                )
            )
            db.session.expunge_all()
        return found

    (waiting,) = assignment_clocks()
    assert waiting.state == "running" and waiting.unit == "working_days" and waiting.length == 5
    listed = desk.get("supervisor", "/api/v1/complaints").get_json()["items"][0]
    assert listed["next_due_at"] is not None and listed["center_due_at"] is not None
    overdue = sweep_at(app, waiting.ends_at + timedelta(minutes=1))
    assert waiting.id in overdue.overdue and overdue.escalated == []
    told = [(m.audience, m.payload["clock_label"]) for m in messages(app, "deadline.overdue")]
    assert told == [("center", "中心交办")]

    leg = desk.ok("triage", f"{url}/assign", {"lead_department": "city-samr"})["legs"][0]["id"]
    assert [c.state for c in assignment_clocks()] == ["stopped"]
    desk.ok("samr.head", f"{url}/legs/{leg}/objection", {"reason": "非本单位职责"})
    assert [c.state for c in assignment_clocks()] == ["stopped", "running"]
    detail = desk.detail("supervisor", case["id"])
    assert detail["case"]["status"] == "accepted"
    running = [c for c in detail["clocks"] if c["state"] != "stopped"]
    assert [(c["clock"], c["clock_label"]) for c in running] == [("assignment", "中心交办")]
