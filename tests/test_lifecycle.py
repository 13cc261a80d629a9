"""One case through every transition of the case machine and the leg machine, over the HTTP API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from complaints.database import db
from complaints.outbox import OutboxMessage

from .desk import Desk


def leg_of(state: dict[str, Any], department: str, *, active: bool = True) -> dict[str, Any]:
    legs = [
        leg
        for leg in state["legs"]
        if leg["department"]["code"] == department
        and (not active or leg["status"] in ("assigned", "signed", "replied"))
    ]
    assert legs, state["legs"]
    leg: dict[str, Any] = legs[-1]
    return leg


def clock(detail: dict[str, Any], name: str, leg_id: int | None = None) -> dict[str, Any]:
    clocks = [c for c in detail["clocks"] if c["clock"] == name and (leg_id is None or c["leg_id"] == leg_id)]
    assert clocks, detail["clocks"]
    found: dict[str, Any] = clocks[-1]
    return found


def assert_conflict(desk: Desk, username: str, path: str, body: dict[str, Any] | None = None) -> None:
    response = desk.post(username, path, body)
    assert response.status_code == 409, (path, response.get_json())
    assert response.get_json()["code"] == "invalid_transition"
    assert response.get_json()["message"]


def test_a_case_through_every_transition(app: Flask, desk: Desk) -> None:
    registered = desk.register(external_ref="12345-20261122-001", external_due_at="2027-06-30T18:00:00+08:00")
    case = registered["case"]
    url = f"/api/v1/complaints/{case['id']}"
    assert case["status"] == "submitted" and case["reference"].startswith("FZ")
    assert len(registered["query_code"]) == 10

    assert desk.ok("triage", f"{url}/accept")["status"] == "accepted"
    assert_conflict(desk, "triage", f"{url}/accept")
    assert_conflict(desk, "triage", f"{url}/reject", {"reason": "x", "lawful_channel": "诉讼"})

    # First assignment: the lead department objects within its window, so the case returns to triage.
    state = desk.ok("triage", f"{url}/assign", {"lead_department": "city-samr", "assisting_departments": ["city-eco"]})
    assert state["status"] == "assigned"
    lead = leg_of(state, "city-samr")
    assert_conflict(desk, "samr.handler", f"{url}/legs/{lead['id']}/reply", {"reply": "未签收先答复"})
    state = desk.ok("samr.head", f"{url}/legs/{lead['id']}/objection", {"reason": "该事项属区级市场监管部门管辖"})
    assert state["status"] == "accepted" and state["lead_department"] is None
    assert {leg["status"] for leg in state["legs"]} == {"objected", "cancelled"}
    assert_conflict(desk, "samr.head", f"{url}/legs/{lead['id']}/objection", {"reason": "再次异议"})

    # Second assignment: both sign; the lead asks for an extension, once.
    state = desk.ok("triage", f"{url}/assign", {"lead_department": "city-samr", "assisting_departments": ["city-eco"]})
    lead, assisting = leg_of(state, "city-samr"), leg_of(state, "city-eco")
    assert desk.ok("samr.handler", f"{url}/legs/{lead['id']}/sign")["status"] == "in_handling"
    desk.ok("eco.handler", f"{url}/legs/{assisting['id']}/sign")
    assert_conflict(desk, "samr.handler", f"{url}/legs/{lead['id']}/sign")
    before = clock(desk.detail("supervisor", case["id"]), "handling", lead["id"])
    desk.ok("samr.handler", f"{url}/legs/{lead['id']}/extension", {"days": 10, "reason": "需要调取执法记录仪视频"})
    assert_conflict(desk, "samr.handler", f"{url}/legs/{lead['id']}/extension", {"days": 5, "reason": "再次延期"})
    extension_id = desk.detail("supervisor", case["id"])["extensions"][0]["id"]
    assert (
        desk.post("samr.handler", f"/api/v1/extensions/{extension_id}/decision", {"approve": True}).status_code == 403
    )
    desk.ok("supervisor", f"/api/v1/extensions/{extension_id}/decision", {"approve": True})
    assert_conflict(desk, "supervisor", f"/api/v1/extensions/{extension_id}/decision", {"approve": True})
    after = clock(desk.detail("supervisor", case["id"]), "handling", lead["id"])
    assert after["state"] == "extended" and after["extension_days"] == 10
    assert after["ends_at"] == before["ends_at"] or after["ends_at"] > before["ends_at"]

    # The lead's reply waits for the assisting department's input.
    assert_conflict(desk, "samr.handler", f"{url}/legs/{lead['id']}/reply", {"reply": "已整改"})
    desk.ok("eco.handler", f"{url}/legs/{assisting['id']}/reply", {"reply": "本局未参与该次检查"})
    assert desk.ok("samr.handler", f"{url}/legs/{lead['id']}/reply", {"reply": "已撤销处罚"})["status"] == "replied"
    assert_conflict(desk, "supervisor", f"{url}/close", {"conclusion": "未审核不能办结"})

    # Center review: send back once, then close.
    assert desk.ok("triage", f"{url}/review")["status"] == "under_review"
    state = desk.ok("triage", f"{url}/send-back", {"reason": "答复未说明退款安排"})
    assert state["status"] == "in_handling" and leg_of(state, "city-samr")["status"] == "signed"
    desk.ok("samr.handler", f"{url}/legs/{lead['id']}/reply", {"reply": "已撤销处罚并于三日内退款"})
    desk.ok("triage", f"{url}/review")
    state = desk.ok("supervisor", f"{url}/close", {"conclusion": "处罚已撤销，罚款已退还。"})
    assert state["status"] == "closed" and {leg["status"] for leg in state["legs"] if leg["round"] == 1} >= {"done"}
    assert_conflict(desk, "triage", f"{url}/assign", {"lead_department": "city-eco"})

    # Dissatisfied: reopened with the same lead department, the redo counted.
    state = desk.ok("clerk", f"{url}/follow-up", {"outcome": "dissatisfied", "comment": "款项未到账"})
    assert state["status"] == "assigned" and state["redo_count"] == 1
    assert state["lead_department"]["code"] == "city-samr"
    redo = leg_of(state, "city-samr")
    assert redo["round"] == 2 and redo["status"] == "assigned" and redo["id"] != lead["id"]
    assert_conflict(desk, "clerk", f"{url}/follow-up", {"outcome": "satisfied"})

    desk.ok("samr.handler", f"{url}/legs/{redo['id']}/sign")
    desk.ok("samr.handler", f"{url}/legs/{redo['id']}/reply", {"reply": "款项已到账"})
    desk.ok("triage", f"{url}/review")
    desk.ok("supervisor", f"{url}/close", {"conclusion": "罚款已退还到账。"})
    state = desk.ok("clerk", f"{url}/follow-up", {"outcome": "satisfied"})
    assert state["follow_up_outcome"] == "satisfied" and state["redo_count"] == 1

    # 复查 beside closure, once.
    assert desk.ok("clerk", f"{url}/recheck", {"reason": "对处理过程有异议"})["recheck_status"] == "requested"
    assert_conflict(desk, "clerk", f"{url}/recheck", {"reason": "再次申请"})
    assert (
        desk.ok("supervisor", f"{url}/recheck/conclusion", {"conclusion": "维持原答复"})["recheck_status"]
        == "concluded"
    )
    assert_conflict(desk, "supervisor", f"{url}/supervision", {"level": "red"})

    detail = desk.detail("supervisor", case["id"])
    actions = [event["action"] for event in detail["timeline"]]
    for expected in (
        "submitted",
        "accept",
        "assign",
        "leg_object",
        "lead_objected",
        "leg_sign",
        "lead_signed",
        "extension_requested",
        "extension_granted",
        "leg_reply",
        "lead_replied",
        "begin_review",
        "send_back",
        "leg_send_back",
        "close",
        "leg_complete",
        "follow_up",
        "reopen",
        "recheck_requested",
        "recheck_concluded",
    ):
        assert expected in actions, expected
    assert [f["outcome"] for f in detail["follow_ups"]] == ["dissatisfied", "satisfied"]
    assert clock(detail, "triage")["state"] == "stopped"
    capped = clock(detail, "handling", redo["id"])
    assert datetime.fromisoformat(capped["ends_at"]) <= datetime.fromisoformat("2027-06-30T18:00:00+08:00")
    with app.app_context():
        events = db.session.scalars(
            select(OutboxMessage.event).where(
                OutboxMessage.complaint_id == case["id"], OutboxMessage.audience == "complainant"
            )
        ).all()
        hotline = db.session.scalars(select(OutboxMessage.event).where(OutboxMessage.audience == "hotline")).all()
    for event in (
        "complaint.received",
        "complaint.accepted",
        "complaint.signed",
        "complaint.extended",
        "complaint.closed",
    ):
        assert event in events
    assert "complaint.closed" in hotline


def test_triage_outcomes_and_their_documents(desk: Desk) -> None:
    first = desk.register()["case"]
    desk.ok("triage", f"/api/v1/complaints/{first['id']}/accept")

    rejected = desk.register(title="对民事判决不服")["case"]
    missing = desk.post("triage", f"/api/v1/complaints/{rejected['id']}/reject", {"reason": "属诉讼事项"})
    assert missing.status_code == 400 and "lawful_channel" in missing.get_json()["details"]["json"]
    state = desk.ok(
        "triage",
        f"/api/v1/complaints/{rejected['id']}/reject",
        {"reason": "属于对生效裁判不服", "lawful_channel": "依法申请再审"},
    )
    assert state["status"] == "rejected"
    page = desk.get("clerk", f"/api/v1/complaints/{rejected['id']}/documents/rejection")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "不予受理告知书" in html and "依法申请再审" in html and "示例食品有限公司" in html
    assert desk.get("clerk", f"/api/v1/complaints/{rejected['id']}/documents/reply").status_code == 409
    assert desk.get("samr.handler", f"/api/v1/complaints/{rejected['id']}/documents/rejection").status_code == 403

    merged = desk.register(title="重复反映")["case"]
    state = desk.ok("triage", f"/api/v1/complaints/{merged['id']}/merge", {"into_reference": first["reference"]})
    assert state["status"] == "merged"
    own = desk.register()["case"]
    self_merge = desk.post("triage", f"/api/v1/complaints/{own['id']}/merge", {"into_reference": own["reference"]})
    assert self_merge.status_code in (400, 409)

    transferred = desk.register(title="物业收费")["case"]
    state = desk.ok(
        "triage",
        f"/api/v1/complaints/{transferred['id']}/transfer",
        {"body": "区住房和城乡建设局", "reason": "属行业主管部门职责"},
    )
    assert state["status"] == "transferred"
    withdrawn = desk.register(title="已自行解决")["case"]
    assert desk.ok("clerk", f"/api/v1/complaints/{withdrawn['id']}/withdraw")["status"] == "withdrawn"
    for case in (rejected, merged, transferred, withdrawn):
        assert_conflict(desk, "triage", f"/api/v1/complaints/{case['id']}/accept")

    acceptance = desk.get("clerk", f"/api/v1/complaints/{first['id']}/documents/acceptance").get_data(as_text=True)
    assert "受理告知书" in acceptance and first["reference"] in acceptance


def test_supervision_rises_only_and_notices_are_numbered_per_year(desk: Desk) -> None:
    case = desk.register()["case"]
    url = f"/api/v1/complaints/{case['id']}"
    desk.ok("triage", f"{url}/accept")
    desk.ok("triage", f"{url}/assign", {"lead_department": "city-samr"})
    assert desk.ok("supervisor", f"{url}/supervision", {"level": "yellow"})["supervision_level"] == "yellow"
    assert_conflict(desk, "supervisor", f"{url}/supervision", {"level": "normal"})
    assert desk.ok("supervisor", f"{url}/supervision", {"level": "red"})["supervision_label"] == "红牌督办"
    assert desk.post("triage", f"{url}/supervision", {"level": "red"}).status_code == 403

    numbers = []
    for kind, department in (
        ("supervision_notice", "city-samr"),
        ("supervision_notice", "city-samr"),
        ("clue_transfer", "discipline"),
    ):
        notice = desk.ok(
            "supervisor",
            f"{url}/notices",
            {"kind": kind, "department": department, "subject": "督办事项", "body": "请书面回复办理情况"},
            201,
        )
        numbers.append(notice["number"])
    year = datetime.now().year
    assert numbers[0].endswith(f"〔{year}〕1号") and numbers[1].endswith(f"〔{year}〕2号")
    assert numbers[2].startswith("法督移交") and numbers[2].endswith("1号")
    assert desk.detail("supervisor", case["id"])["case"]["status"] == "assigned"  # a clue transfer does not end it

    samr_notices = desk.get("samr.handler", "/api/v1/notices").get_json()
    assert len(samr_notices) == 2
    replied = desk.ok("samr.head", f"/api/v1/notices/{samr_notices[0]['id']}/reply", {"reply": "已于本周完成整改"})
    assert replied["status"] == "replied"
    assert_conflict(desk, "samr.head", f"/api/v1/notices/{samr_notices[0]['id']}/reply", {"reply": "再次回复"})
    assert desk.post("eco.head", f"/api/v1/notices/{samr_notices[1]['id']}/reply", {"reply": "x"}).status_code == 404


def test_pausing_the_handling_clock_gives_the_days_back(desk: Desk) -> None:
    case = desk.register()["case"]
    url = f"/api/v1/complaints/{case['id']}"
    desk.ok("triage", f"{url}/accept")
    state = desk.ok("triage", f"{url}/assign", {"lead_department": "city-samr"})
    lead = leg_of(state, "city-samr")
    desk.ok("supervisor", f"{url}/handling-clock/pause", {"reason": "等待诉求人补充材料"})
    assert clock(desk.detail("supervisor", case["id"]), "handling", lead["id"])["state"] == "paused"
    assert_conflict(desk, "supervisor", f"{url}/handling-clock/pause", {"reason": "再次暂停"})
    desk.ok("supervisor", f"{url}/handling-clock/resume")
    assert clock(desk.detail("supervisor", case["id"]), "handling", lead["id"])["state"] == "running"
    assert_conflict(desk, "supervisor", f"{url}/handling-clock/resume")


def test_a_concurrent_change_is_a_409_not_a_lost_update(app: Flask, desk: Desk) -> None:
    from api.settings import personal_data_cipher
    from complaints.cases import Complaint
    from complaints.database import utcnow
    from complaints.machine import CaseContext, StaffActor
    from complaints.triage_decisions import accept

    case = desk.register()["case"]
    with app.app_context():
        stale = db.session.get(Complaint, case["id"])
        assert stale is not None
        db.session.expunge(stale)
    desk.ok("triage", f"/api/v1/complaints/{case['id']}/reject", {"reason": "属诉讼事项", "lawful_channel": "诉讼"})
    with app.app_context():
        merged = db.session.merge(stale, load=False)
        ctx = CaseContext.build(
            db.session, StaffActor(id=None, name="race", role="triage_officer"), utcnow(), personal_data_cipher()
        )
        with pytest.raises(StaleDataError):
            accept(ctx, merged)
            db.session.flush()
        db.session.rollback()
    assert desk.detail("supervisor", case["id"])["case"]["status"] == "rejected"
