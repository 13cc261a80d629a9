"""A 线索移交单 goes only to an external body; what any notice prints of the case is its public timeline; only the
addressee (and, for clue transfers, the supervisor) reads a notice; a case's page shows no trace of a clue transfer
to those who may not read one."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select, update

from complaints.accounts import CLI_ACTOR, create_staff_user
from complaints.audit import AuditEvent
from complaints.database import db, utcnow
from complaints.demo import DEMO_PASSWORD
from complaints.departments import department_by_code
from complaints.notices import Notice

from .console_client import ConsoleUser
from .desk import Desk
from .test_console import pdf_text

INTERNAL_PHONE, PAUSE_PHONE = "13912340001", "13700001111"


def discipline_officer(app: Flask) -> str:
    """A staff member of the discipline commission (an external department), as the center would set one up."""
    with app.app_context():
        create_staff_user(
            db.session,
            username="jiwei.officer",
            display_name="纪委监委联络员",
            password=DEMO_PASSWORD,
            role="department_handler",
            department_code="discipline",
            actor=CLI_ACTOR,
            now=utcnow(),
        )
        db.session.commit()
    return "jiwei.officer"


def case_in_handling(desk: Desk) -> dict[str, Any]:
    case = desk.register()["case"]
    url = f"/api/v1/complaints/{case['id']}"
    desk.ok("triage", f"{url}/accept")
    leg = desk.ok("triage", f"{url}/assign", {"lead_department": "city-samr"})["legs"][0]["id"]
    desk.ok("samr.handler", f"{url}/legs/{leg}/sign")
    desk.ok("supervisor", f"{url}/supervision", {"level": "normal", "note": f"联系人电话{INTERNAL_PHONE}"})
    desk.ok("supervisor", f"{url}/handling-clock/pause", {"reason": f"等待刘建国{PAUSE_PHONE}补充材料"})
    return dict(case)


def clue_transfer(desk: Desk, case_id: int, department: str) -> Any:
    return desk.post(
        "supervisor",
        f"/api/v1/complaints/{case_id}/notices",
        {
            "kind": "clue_transfer",
            "department": department,
            "subject": "涉嫌索要财物",
            "body": "移交线索，请依规处置。",
        },
    )


def test_a_clue_transfer_goes_only_to_an_external_body(desk: Desk) -> None:
    case = case_in_handling(desk)
    for department in ("city-eco", "city-samr"):
        refused = clue_transfer(desk, case["id"], department)
        assert refused.status_code == 400 and refused.get_json()["code"] == "clue_transfer_not_external"
    assert clue_transfer(desk, case["id"], "discipline").status_code == 201
    other_kind = desk.post(
        "supervisor",
        f"/api/v1/complaints/{case['id']}/notices",
        {"kind": "supervision_notice", "department": "city-samr", "subject": "督办", "body": "请回复"},
    )
    assert other_kind.status_code == 201
    numbers = [n["number"] for n in desk.get("supervisor", "/api/v1/notices").get_json()]
    assert len(numbers) == 2 and any(n.startswith("法督移交") and n.endswith("1号") for n in numbers)


def test_the_printed_clue_transfer_carries_the_public_timeline_only(app: Flask, desk: Desk) -> None:
    case = case_in_handling(desk)
    notice = clue_transfer(desk, case["id"], "discipline").get_json()
    supervisor = ConsoleUser(app)
    supervisor.log_in("supervisor")
    page = supervisor.get(f"/console/notices/{notice['id']}").get_data(as_text=True)
    printed = pdf_text(supervisor.get(f"/console/notices/{notice['id']}.pdf").data)
    for text in (page, printed.replace("\r", "").replace("\n", "")):
        assert "附：线索材料" in text and case["reference"] in text and "顶格罚款" in text  # the facts travel
        assert "交办：市市场监督管理局" in text  # a public event's note written for the complainant
        assert "办理时限暂停" in text  # a public event, but its note is internal
        assert INTERNAL_PHONE not in text and PAUSE_PHONE not in text and "提高督办级别" not in text
        assert "刘建国" not in text


def test_a_case_page_shows_no_trace_of_a_clue_transfer_to_those_who_may_not_read_it(app: Flask, desk: Desk) -> None:
    case = case_in_handling(desk)
    clue = clue_transfer(desk, case["id"], "discipline").get_json()
    to_samr = desk.ok(
        "supervisor",
        f"/api/v1/complaints/{case['id']}/notices",
        {"kind": "risk_alert", "department": "city-samr", "subject": "风险提示", "body": "请自查"},
        201,
    )
    with app.app_context():
        replies = dict(db.session.execute(select(Notice.id, Notice.reply_deadline_id)).tuples().all())

    def seen(username: str) -> tuple[set[int], set[int], bool]:
        detail = desk.detail(username, case["id"])
        clocks = {c["id"] for c in detail["clocks"] if c["clock"] == "notice_reply"}
        notices = {n["id"] for n in detail["notices"]}
        mentioned = "法督移交" in str(detail["timeline"]) or "线索移交单" in str(detail["timeline"])
        return clocks, notices, mentioned

    assert seen("supervisor") == ({replies[clue["id"]], replies[to_samr["id"]]}, {clue["id"], to_samr["id"]}, True)
    for username in ("samr.handler", "samr.head"):
        assert seen(username) == ({replies[to_samr["id"]]}, {to_samr["id"]}, False)
    for username in ("clerk", "triage"):
        assert seen(username) == ({replies[to_samr["id"]]}, {to_samr["id"]}, False)

    desk.ok("samr.handler", f"/api/v1/notices/{to_samr['id']}/reply", {"reply": "已自查"})
    officer = discipline_officer(app)
    desk.ok(officer, f"/api/v1/notices/{clue['id']}/reply", {"reply": "已受理，依规处置"})
    for username in ("samr.handler", "clerk"):
        assert seen(username)[2] is False
    assert seen("supervisor")[2] is True


def test_only_the_addressee_reads_a_notice_even_a_clue_transfer_sent_before_the_rule(app: Flask, desk: Desk) -> None:
    case = case_in_handling(desk)
    clue = clue_transfer(desk, case["id"], "discipline").get_json()
    legacy = clue_transfer(desk, case["id"], "discipline").get_json()
    with app.app_context():  # as a clue transfer addressed to an ordinary department before that was refused
        eco = department_by_code(db.session, "city-eco").id
        db.session.execute(update(Notice).where(Notice.id == legacy["id"]).values(department_id=eco))
        db.session.commit()

    eco_user = ConsoleUser(app)
    eco_user.log_in("eco.handler")
    assert eco_user.get(f"/console/notices/{legacy['id']}").status_code == 404
    assert eco_user.get(f"/console/notices/{legacy['id']}.pdf").status_code == 404
    assert desk.get("eco.handler", "/api/v1/notices").get_json() == []
    assert desk.post("eco.head", f"/api/v1/notices/{legacy['id']}/reply", {"reply": "x"}).status_code == 404
    samr_user = ConsoleUser(app)
    samr_user.log_in("samr.handler")
    assert samr_user.get(f"/console/notices/{clue['id']}").status_code == 404
    assert desk.post("samr.head", f"/api/v1/notices/{clue['id']}/reply", {"reply": "x"}).status_code == 404

    officer = discipline_officer(app)
    assert [n["id"] for n in desk.get(officer, "/api/v1/notices").get_json()] == [clue["id"]]
    reader = ConsoleUser(app)
    reader.log_in(officer)
    assert "涉嫌索要财物" in reader.get(f"/console/notices/{clue['id']}").get_data(as_text=True)
    assert desk.ok(officer, f"/api/v1/notices/{clue['id']}/reply", {"reply": "已受理"})["status"] == "replied"
    with app.app_context():
        reads = db.session.scalars(
            select(AuditEvent.actor_name).where(AuditEvent.action == "notice.clue_transfer_read")
        )
        assert list(reads) == [officer]
