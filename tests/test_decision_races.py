"""Two people deciding the same thing at once: one decision is written, the other is refused with 409 and leaves no
trace (an extension, a notice's reply, an assisting department's signing and reply, a clock's pause).

Each race is played in two ways. On two sessions of their own (two connections), the loser reads the row before
the winner commits and decides afterwards on what it read: the exact interleaving that let both through. Over HTTP
on two threads, both requests are sent at once and the answers are one 200 and one 409 whatever the order."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.settings import personal_data_cipher
from complaints.accounts import find_user
from complaints.database import db, utcnow
from complaints.deadlines import Deadline
from complaints.handling import decide_extension, reply, sign
from complaints.legs import DepartmentLeg, Extension
from complaints.machine import CaseContext, InvalidTransition, StaffActor
from complaints.notices import Notice
from complaints.supervision import pause_handling, reply_to_notice
from complaints.timeline import TimelineEvent

from .desk import Desk


def context(session: Session, username: str) -> CaseContext:
    user = find_user(session, username)
    assert user is not None
    actor = StaffActor(id=user.id, name=user.username, role=user.role, department_id=user.department_id)
    return CaseContext.build(session, actor, utcnow(), personal_data_cipher())


def race(
    app: Flask, model: type[Any], row_id: int, winner: tuple[str, Callable[..., None]], loser: tuple[str, Any]
) -> None:
    """The loser reads the row, the winner decides and commits, then the loser decides on what it had read."""
    with app.app_context(), Session(db.engine) as late, Session(db.engine) as early:
        late_ctx = context(late, loser[0])
        stale = late.get(model, row_id)
        early_ctx = context(early, winner[0])
        winner[1](early_ctx, early.get(model, row_id))
        early.commit()
        with pytest.raises(InvalidTransition):
            loser[1](late_ctx, stale)
        late.rollback()


def actions(app: Flask, case_id: int, action: str) -> int:
    with app.app_context():
        return (
            db.session.scalar(
                select(func.count()).where(TimelineEvent.complaint_id == case_id, TimelineEvent.action == action)
            )
            or 0
        )


def in_handling(desk: Desk, *, assisting: bool = False) -> tuple[int, int, int | None]:
    case = desk.register()["case"]
    url = f"/api/v1/complaints/{case['id']}"
    desk.ok("triage", f"{url}/accept")
    body: dict[str, Any] = {"lead_department": "city-samr"}
    if assisting:
        body["assisting_departments"] = ["city-eco"]
    legs = desk.ok("triage", f"{url}/assign", body)["legs"]
    lead = next(leg["id"] for leg in legs if leg["role"] == "lead")
    helper = next((leg["id"] for leg in legs if leg["role"] == "assisting"), None)
    desk.ok("samr.handler", f"{url}/legs/{lead}/sign")
    return case["id"], lead, helper


def requested_extension(app: Flask, desk: Desk) -> tuple[int, int, int]:
    case_id, lead, _ = in_handling(desk)
    desk.ok("samr.handler", f"/api/v1/complaints/{case_id}/legs/{lead}/extension", {"days": 20, "reason": "需现场核查"})
    with app.app_context():
        extension_id = db.session.scalars(select(Extension.id).where(Extension.complaint_id == case_id)).one()
    return case_id, lead, extension_id


def handling_clock(app: Flask, leg_id: int) -> Deadline:
    with app.app_context():
        clock = db.session.scalars(
            select(Deadline).where(Deadline.leg_id == leg_id, Deadline.clock == "handling")
        ).one()
        db.session.expunge(clock)
        return clock


def test_an_extension_approved_and_rejected_at_once_is_decided_once(app: Flask, desk: Desk) -> None:
    case_id, lead, extension_id = requested_extension(app, desk)
    before = handling_clock(app, lead).ends_at

    def approve(ctx: CaseContext, extension: Extension) -> None:
        decide_extension(ctx, extension, approve=True, note="同意")

    def reject(ctx: CaseContext, extension: Extension) -> None:
        decide_extension(ctx, extension, approve=False, note="不同意")

    race(app, Extension, extension_id, ("supervisor", approve), ("supervisor", reject))
    with app.app_context():
        extension = db.session.get(Extension, extension_id)
        assert extension is not None and extension.status == "approved" and extension.decision_note == "同意"
    clock = handling_clock(app, lead)
    assert clock.extension_days == 20 and clock.ends_at > before
    assert actions(app, case_id, "extension_granted") == 1 and actions(app, case_id, "extension_rejected") == 0


def test_two_replies_to_one_notice_at_once_keep_the_first(app: Flask, desk: Desk) -> None:
    case_id, _, _ = in_handling(desk)
    notice = desk.ok(
        "supervisor",
        f"/api/v1/complaints/{case_id}/notices",
        {"kind": "supervision_notice", "department": "city-samr", "subject": "督办", "body": "请书面回复"},
        201,
    )
    race(
        app,
        Notice,
        notice["id"],
        ("samr.handler", lambda ctx, n: reply_to_notice(ctx, n, "经办人的回复")),
        ("samr.head", lambda ctx, n: reply_to_notice(ctx, n, "负责人的回复")),
    )
    with app.app_context():
        stored = db.session.get(Notice, notice["id"])
        assert stored is not None and stored.status == "replied" and stored.reply == "经办人的回复"
    assert actions(app, case_id, "notice_replied") == 1


def test_an_assisting_department_signs_and_replies_once_when_two_of_its_staff_act_at_once(
    app: Flask, desk: Desk
) -> None:
    case_id, _, helper = in_handling(desk, assisting=True)
    assert helper is not None
    race(app, DepartmentLeg, helper, ("eco.handler", sign), ("eco.head", sign))
    assert actions(app, case_id, "leg_sign") == 2  # the lead's and the assisting department's, once each
    race(
        app,
        DepartmentLeg,
        helper,
        ("eco.handler", lambda ctx, leg: reply(ctx, leg, "经办人的反馈")),
        ("eco.head", lambda ctx, leg: reply(ctx, leg, "负责人的反馈")),
    )
    with app.app_context():
        leg = db.session.get(DepartmentLeg, helper)
        assert leg is not None and leg.status == "replied" and leg.reply == "经办人的反馈"
    assert actions(app, case_id, "leg_reply") == 1


def test_the_handling_clock_paused_twice_at_once_is_paused_once(app: Flask, desk: Desk) -> None:
    case_id, lead, _ = in_handling(desk)
    clock_id = handling_clock(app, lead).id

    def pause(reason: str) -> Callable[[CaseContext, Deadline], None]:
        def act(ctx: CaseContext, clock: Deadline) -> None:
            from complaints.cases import Complaint

            complaint = ctx.session.get(Complaint, case_id)
            assert complaint is not None
            pause_handling(ctx, complaint, reason)

        return act

    race(app, Deadline, clock_id, ("supervisor", pause("等待鉴定")), ("supervisor", pause("等待补充材料")))
    assert handling_clock(app, lead).state == "paused"
    assert actions(app, case_id, "clock_paused") == 1


def post_at_once(app: Flask, desk: Desk, requests: list[tuple[str, str, dict[str, Any]]]) -> list[tuple[int, Any]]:
    """Send the requests from threads of their own, released together; the answers in the requests' order."""
    headers = [desk.headers(username) for username, _, _ in requests]
    start = threading.Barrier(len(requests), timeout=30)
    answers: list[tuple[int, Any]] = [(0, None)] * len(requests)

    def send(index: int) -> None:
        _, path, body = requests[index]
        client = app.test_client()
        start.wait()
        response = client.post(path, json=body, headers=headers[index])
        answers[index] = (response.status_code, response.get_json())

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return answers


def test_approve_and_reject_sent_together_over_http_answer_200_and_409(app: Flask, desk: Desk) -> None:
    case_id, lead, extension_id = requested_extension(app, desk)
    path = f"/api/v1/extensions/{extension_id}/decision"
    answers = post_at_once(
        app, desk, [("supervisor", path, {"approve": True}), ("supervisor", path, {"approve": False})]
    )
    assert sorted(status for status, _ in answers) == [200, 409], answers
    refused = next(body for status, body in answers if status == 409)
    assert refused["code"] == "invalid_transition" and refused["message"] == "该延期申请已处理"
    approved = answers[0][0] == 200
    with app.app_context():
        extension = db.session.get(Extension, extension_id)
        assert extension is not None and extension.status == ("approved" if approved else "rejected")
    assert handling_clock(app, lead).extension_days == (20 if approved else 0)
    decided = actions(app, case_id, "extension_granted"), actions(app, case_id, "extension_rejected")
    assert decided == ((1, 0) if approved else (0, 1))


def test_one_notice_replied_twice_over_http_keeps_one_reply(app: Flask, desk: Desk) -> None:
    case_id, _, _ = in_handling(desk)
    notice = desk.ok(
        "supervisor",
        f"/api/v1/complaints/{case_id}/notices",
        {"kind": "risk_alert", "department": "city-samr", "subject": "风险提示", "body": "请自查"},
        201,
    )
    path = f"/api/v1/notices/{notice['id']}/reply"
    answers = post_at_once(
        app, desk, [("samr.handler", path, {"reply": "回复一"}), ("samr.head", path, {"reply": "回复二"})]
    )
    assert sorted(status for status, _ in answers) == [200, 409], answers
    kept = "回复一" if answers[0][0] == 200 else "回复二"
    with app.app_context():
        stored = db.session.get(Notice, notice["id"])
        assert stored is not None and stored.reply == kept
    assert actions(app, case_id, "notice_replied") == 1
