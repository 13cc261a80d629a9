"""The center's case actions in the console, used through HTTP as a person would (cookies, CSRF tokens read from
the pages): review and close, send back, decide an extension, assign a case accepted earlier or objected to,
withdraw for the complainant, pause the handling clock, register and conclude a 复查, close a risk alert, resend
a dead message; and the case page speaking Chinese and offering only the documents the case has."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.settings import senders
from complaints.database import db, utcnow
from complaints.outbox import OutboxMessage
from notifications.delivery import BACKOFF, MAX_ATTEMPTS
from notifications.relay import relay_once

from .console_client import ConsoleUser
from .desk import Desk
from .fake_hotline import FakeHotline
from .test_hotline import SECRET, push
from .triage_helpers import install_seed_model, run_job


@pytest.fixture
def fake_hotline() -> Iterator[FakeHotline]:
    server = FakeHotline(SECRET).start()
    yield server
    server.stop()


@pytest.fixture
def config_overrides(fake_hotline: FakeHotline) -> dict[str, Any]:
    return {"hotline_secret": SECRET, "hotline_callback_url": fake_hotline.url}


def signed_in(app: Flask, username: str) -> ConsoleUser:
    user = ConsoleUser(app)
    assert user.log_in(username).status_code == 302
    return user


def case_path(case: dict[str, Any]) -> str:
    return f"/console/cases/{case['id']}"


def in_handling(desk: Desk) -> tuple[dict[str, Any], int]:
    """A case assigned to 市市场监督管理局 and signed by it; returns the case and the lead leg's id."""
    case: dict[str, Any] = desk.register()["case"]
    desk.ok("triage", f"/api/v1/complaints/{case['id']}/accept")
    leg = desk.ok("triage", f"/api/v1/complaints/{case['id']}/assign", {"lead_department": "city-samr"})["legs"][0]
    desk.ok("samr.handler", f"/api/v1/complaints/{case['id']}/legs/{leg['id']}/sign")
    return case, leg["id"]


def replied(desk: Desk) -> dict[str, Any]:
    case, leg = in_handling(desk)
    reply = {"reply": "经核查，已撤销顶格处罚，改为责令改正。"}
    desk.ok("samr.handler", f"/api/v1/complaints/{case['id']}/legs/{leg}/reply", reply)
    return case


def lead_handling_clock(desk: Desk, case: dict[str, Any], leg_id: int) -> dict[str, Any]:
    clocks = desk.detail("supervisor", case["id"])["clocks"]
    found: dict[str, Any] = next(c for c in clocks if c["clock"] == "handling" and c["leg_id"] == leg_id)
    return found


def page_text(user: ConsoleUser, path: str) -> str:
    response = user.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True)


def test_the_supervisor_reviews_a_reply_and_closes_the_case_from_its_page(app: Flask, desk: Desk) -> None:
    case = replied(desk)
    page = case_path(case)
    supervisor = signed_in(app, "supervisor")
    board = page_text(supervisor, "/console/board")
    waiting = re.search(r'id="replies-to-review">(.*?)</section>', board, re.S)
    assert waiting and case["reference"] in waiting.group(1)
    shown = page_text(supervisor, page)
    assert "开始审核" in shown and "经核查，已撤销顶格处罚" in shown
    assert f"{page}/documents/reply" not in shown  # not closed yet: no reply document to print

    assert supervisor.post(f"{page}/review", token_from=page).status_code == 303
    assert desk.detail("supervisor", case["id"])["case"]["status"] == "under_review"
    reviewing = page_text(supervisor, page)
    prefilled = re.search(r'<textarea name="conclusion"[^>]*>([^<]*)</textarea>', reviewing)
    assert prefilled and prefilled.group(1).startswith("经核查")  # the lead's reply, to edit into the conclusion
    empty = supervisor.post(f"{page}/close", {"conclusion": " "}, token_from=page)
    assert empty.status_code == 400 and "validation_error" in empty.get_data(as_text=True)

    closed = supervisor.post(f"{page}/close", {"conclusion": "经审核，承办单位已撤销处罚。"}, token_from=page)
    assert closed.status_code == 303 and closed.headers["Location"].endswith(page)
    detail = desk.detail("supervisor", case["id"])
    assert (detail["case"]["status"], detail["case"]["conclusion"]) == ("closed", "经审核，承办单位已撤销处罚。")
    assert {leg["status"] for leg in detail["case"]["legs"]} == {"done"}
    with app.app_context():
        told = db.session.scalars(
            select(OutboxMessage.audience).where(
                OutboxMessage.complaint_id == case["id"], OutboxMessage.event == "complaint.closed"
            )
        ).all()
    assert told == ["complainant"]
    after = page_text(supervisor, page)
    assert f"{case['reference']} 已办结" in after and "审核通过并办结" not in after
    assert f"{page}/documents/reply" in after
    assert "经审核，承办单位已撤销处罚" in page_text(supervisor, f"{page}/documents/reply")
    waiting = re.search(r'id="replies-to-review">(.*?)</section>', page_text(supervisor, "/console/board"), re.S)
    assert waiting and case["reference"] not in waiting.group(1)


def test_a_triage_officer_sends_a_reply_back_but_only_the_supervisor_closes(app: Flask, desk: Desk) -> None:
    case = replied(desk)
    page = case_path(case)
    officer = signed_in(app, "triage")
    assert officer.post(f"{page}/review", token_from=page).status_code == 303
    shown = page_text(officer, page)
    assert "退回重办" in shown and "审核通过并办结" not in shown and "审核通过后由督办负责人办结" in shown
    assert officer.post(f"{page}/close", {"conclusion": "x"}, token_from=page).status_code == 403
    handler = signed_in(app, "samr.handler")
    assert handler.post(f"{page}/send-back", {"reason": "x"}, token_from=page).status_code == 403

    sent_back = officer.post(f"{page}/send-back", {"reason": "未说明处罚依据，请补充"}, token_from=page)
    assert sent_back.status_code == 303
    detail = desk.detail("supervisor", case["id"])
    assert detail["case"]["status"] == "in_handling"
    assert [leg["status"] for leg in detail["case"]["legs"]] == ["signed"]
    assert any(e["note"] == "未说明处罚依据，请补充" for e in detail["timeline"])
    with app.app_context():
        message = db.session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.complaint_id == case["id"], OutboxMessage.event == "case.sent_back"
            )
        ).one()
    assert message.audience == "department"
    again = officer.post(f"{page}/send-back", {"reason": "再退"}, token_from=page)
    assert again.status_code == 409 and "invalid_transition" in again.get_data(as_text=True)


def test_an_extension_is_approved_from_the_case_page_and_the_deadline_moves(app: Flask, desk: Desk) -> None:
    case, leg = in_handling(desk)
    page = case_path(case)
    handler = signed_in(app, "samr.handler")
    asked = handler.post(
        f"{page}/legs/{leg}/extension", {"days": "20", "reason": "需调取执法记录仪视频核实"}, token_from=page
    )
    assert asked.status_code == 303
    assert "待审批" in page_text(handler, page)  # the department sees its request waiting
    before = lead_handling_clock(desk, case, leg)

    supervisor = signed_in(app, "supervisor")
    board = page_text(supervisor, "/console/board")
    listed = re.search(r'id="extension-requests">(.*?)</section>', board, re.S)
    assert listed and f'href="{page}#extensions"' in listed.group(1) and "20 日" in listed.group(1)
    assert "需调取执法记录仪视频核实" in listed.group(1)
    shown = page_text(supervisor, page)
    assert "批准延期" in shown and f"{page}/documents/extension" not in shown
    extension_id = desk.detail("supervisor", case["id"])["extensions"][0]["id"]
    officer = signed_in(app, "triage")
    decision = f"{page}/extensions/{extension_id}/decision"
    assert officer.post(decision, {"decision": "approve"}, token_from=page).status_code == 403
    assert (
        supervisor.post(
            f"/console/cases/{case['id'] + 999}/extensions/{extension_id}/decision",
            {"decision": "approve"},
            token_from=page,
        ).status_code
        == 404
    )

    approved = supervisor.post(decision, {"decision": "approve", "note": "同意"}, token_from=page)
    assert approved.status_code == 303
    after = lead_handling_clock(desk, case, leg)
    assert after["extension_days"] == 20 and after["state"] == "extended"
    moved = datetime.fromisoformat(after["ends_at"]) - datetime.fromisoformat(before["ends_at"])
    assert timedelta(days=20) <= moved < timedelta(days=24)  # 20 days on, the last day moved off a rest day
    assert desk.detail("supervisor", case["id"])["extensions"][0]["status"] == "approved"
    assert f"{page}/documents/extension" in page_text(supervisor, page)
    assert "待审批的延期申请（0）" in page_text(supervisor, "/console/board")
    twice = supervisor.post(decision, {"decision": "reject"}, token_from=page)
    assert twice.status_code == 409


def test_a_rejected_extension_leaves_the_deadline_alone(app: Flask, desk: Desk) -> None:
    case, leg = in_handling(desk)
    desk.ok("samr.handler", f"/api/v1/complaints/{case['id']}/legs/{leg}/extension", {"days": 10, "reason": "人手不足"})
    before = lead_handling_clock(desk, case, leg)
    extension_id = desk.detail("supervisor", case["id"])["extensions"][0]["id"]
    page = case_path(case)
    supervisor = signed_in(app, "supervisor")
    rejected = supervisor.post(
        f"{page}/extensions/{extension_id}/decision", {"decision": "reject", "note": "理由不充分"}, token_from=page
    )
    assert rejected.status_code == 303
    assert lead_handling_clock(desk, case, leg)["ends_at"] == before["ends_at"]
    extension = desk.detail("supervisor", case["id"])["extensions"][0]
    assert (extension["status"], extension["decision_note"]) == ("rejected", "理由不充分")
    assert "未批准" in page_text(supervisor, page)


def test_a_case_accepted_only_waits_in_the_queue_and_is_assigned_from_its_page(app: Flask, desk: Desk) -> None:
    case = desk.register()["case"]
    page = case_path(case)
    officer = signed_in(app, "triage")
    assert officer.post(f"{page}/accept", token_from="/console/triage").status_code == 303
    queue = page_text(officer, "/console/triage")
    waiting = re.search(r'id="to-assign">(.*?)</section>', queue, re.S)
    assert waiting and case["reference"] in waiting.group(1) and "待交办" in waiting.group(1)
    assert "已受理待交办 1 件" in queue
    shown = page_text(officer, page)
    assert 'id="assign"' in shown and ">交办</button>" in shown
    clerk = signed_in(app, "clerk")
    assert 'id="assign"' not in page_text(clerk, page)  # the clerk may not assign
    assert clerk.post(f"{page}/accept-assign", {"lead_department": "city-samr"}, token_from=page).status_code == 403

    assigned = officer.post(
        f"{page}/accept-assign",
        {"lead_department": "city-samr", "assisting_departments": "dist-east-samr", "next": page},
        token_from=page,
    )
    assert assigned.status_code == 303 and assigned.headers["Location"].endswith(page)
    detail = desk.detail("triage", case["id"])["case"]
    assert detail["status"] == "assigned"
    assert sorted((leg["department"]["code"], leg["role"]) for leg in detail["legs"]) == [
        ("city-samr", "lead"),
        ("dist-east-samr", "assisting"),
    ]
    assert f"{case['reference']} 已交办" in page_text(officer, page)
    assert case["reference"] not in page_text(officer, "/console/triage")


def test_a_case_the_lead_objected_to_returns_to_the_queue_with_the_reason(app: Flask, desk: Desk) -> None:
    case = desk.register()["case"]
    desk.ok("triage", f"/api/v1/complaints/{case['id']}/accept")
    leg = desk.ok("triage", f"/api/v1/complaints/{case['id']}/assign", {"lead_department": "city-samr"})["legs"][0]
    objection = {"reason": "该事项属于区级职权，应由东城区市场监管局办理"}
    desk.ok("samr.head", f"/api/v1/complaints/{case['id']}/legs/{leg['id']}/objection", objection)
    officer = signed_in(app, "triage")
    queue = page_text(officer, "/console/triage")
    card = re.search(rf'data-reference="{case["reference"]}" data-status="accepted">(.*?)</article>', queue, re.S)
    assert card and "市市场监督管理局 提出异议：该事项属于区级职权" in card.group(1)
    page = case_path(case)
    assert "该事项属于区级职权" in page_text(officer, page)
    reassigned = officer.post(f"{page}/accept-assign", {"lead_department": "dist-east-samr"}, token_from=page)
    assert reassigned.status_code == 303
    detail = desk.detail("triage", case["id"])["case"]
    assert detail["status"] == "assigned"
    active = [leg["department"]["code"] for leg in detail["legs"] if leg["status"] == "assigned"]
    assert active == ["dist-east-samr"]


def test_center_staff_withdraw_a_case_for_the_complainant_before_acceptance(app: Flask, desk: Desk) -> None:
    case = desk.register()["case"]
    page = case_path(case)
    clerk = signed_in(app, "clerk")
    assert "代诉求人撤回" in page_text(clerk, page)
    accepted = desk.register()["case"]
    withdrawn = clerk.post(f"{page}/withdraw", {"note": "诉求人来电表示问题已解决"}, token_from=page)
    assert withdrawn.status_code == 303
    detail = desk.detail("clerk", case["id"])
    assert detail["case"]["status"] == "withdrawn"
    assert any(e["note"] == "诉求人来电表示问题已解决" for e in detail["timeline"])
    assert "代诉求人撤回" not in page_text(clerk, page)
    desk.ok("triage", f"/api/v1/complaints/{accepted['id']}/accept")
    assert "代诉求人撤回" not in page_text(clerk, case_path(accepted))
    late = clerk.post(f"{case_path(accepted)}/withdraw", token_from=page)
    assert late.status_code == 409  # accepted: no longer the complainant's to withdraw
    assert desk.detail("clerk", accepted["id"])["case"]["status"] == "accepted"


def test_the_supervisor_pauses_and_resumes_the_handling_clock(app: Flask, desk: Desk) -> None:
    case, leg = in_handling(desk)
    page = case_path(case)
    supervisor = signed_in(app, "supervisor")
    assert "暂停办理时限" in page_text(supervisor, page)
    officer = signed_in(app, "triage")
    assert officer.post(f"{page}/handling-clock/pause", {"reason": "x"}, token_from=page).status_code == 403
    paused = supervisor.post(f"{page}/handling-clock/pause", {"reason": "等待司法鉴定结论"}, token_from=page)
    assert paused.status_code == 303
    assert lead_handling_clock(desk, case, leg)["state"] == "paused"
    shown = page_text(supervisor, page)
    assert "恢复办理时限" in shown and "已暂停" in shown
    assert supervisor.post(f"{page}/handling-clock/resume", token_from=page).status_code == 303
    assert lead_handling_clock(desk, case, leg)["state"] == "running"


def test_staff_register_a_recheck_and_the_supervisor_concludes_it(app: Flask, desk: Desk) -> None:
    case = replied(desk)
    desk.ok("triage", f"/api/v1/complaints/{case['id']}/review")
    desk.ok("supervisor", f"/api/v1/complaints/{case['id']}/close", {"conclusion": "已撤销处罚。"})
    page = case_path(case)
    clerk = signed_in(app, "clerk")
    assert "登记复查申请" in page_text(clerk, page)
    registered = clerk.post(f"{page}/recheck", {"reason": "诉求人来信称处罚仍未撤销"}, token_from=page)
    assert registered.status_code == 303
    detail = desk.detail("supervisor", case["id"])
    assert detail["case"]["recheck_status"] == "requested"
    assert any(c["clock"] == "recheck" and c["state"] == "running" for c in detail["clocks"])
    assert clerk.post(f"{page}/recheck/conclusion", {"conclusion": "x"}, token_from=page).status_code == 403
    supervisor = signed_in(app, "supervisor")
    assert "诉求人申请复查：诉求人来信称处罚仍未撤销" in page_text(supervisor, page)
    concluded = supervisor.post(f"{page}/recheck/conclusion", {"conclusion": "经复查，维持原答复。"}, token_from=page)
    assert concluded.status_code == 303
    assert desk.detail("supervisor", case["id"])["case"]["recheck_status"] == "concluded"
    assert "复查意见：经复查，维持原答复。" in page_text(clerk, page)
    assert clerk.post(f"{page}/recheck", {"reason": "再次申请"}, token_from=page).status_code == 409


def test_the_supervisor_closes_a_risk_alert_on_the_triage_page(app: Flask, desk: Desk, seed_models: Path) -> None:
    install_seed_model(app, seed_models)
    complaints = [
        ("检查太多", "城管一个月来了五次检查，每次都说要整改。", {"name": "王五", "phone": "13700001111"}),
        ("重复检查", "东城区城管执法队反复来店里检查招牌。", {"name": "赵六", "phone": "13600002222"}),
        ("罚款", "城管队员说我占道经营，罚款五百元不给票据。", {"name": "孙七", "phone": "13500003333"}),
    ]
    for title, content, person in complaints:
        desk.register(
            title=title,
            content=content,
            respondent="东城区城市管理执法大队",
            category_code=None,
            domain_code=None,
            persons=[{"kind": "individual", **person}],
        )
    run_job(app)
    alerts = desk.get("supervisor", "/api/v1/risk-alerts").get_json()
    assert len(alerts) == 1
    path = f"/console/risk-alerts/{alerts[0]['id']}/close"
    officer = signed_in(app, "triage")
    triage_page = page_text(officer, "/console/triage")
    assert alerts[0]["summary"] in triage_page and "关闭提示" not in triage_page  # not the officer's to close
    assert officer.post(path, token_from="/console/triage").status_code == 403
    supervisor = signed_in(app, "supervisor")
    assert "已研判，关闭提示" in page_text(supervisor, "/console/triage")
    assert supervisor.post(path, token_from="/console/triage").status_code == 303
    assert desk.get("supervisor", "/api/v1/risk-alerts").get_json() == []
    assert 'id="risk-alerts"' not in page_text(supervisor, "/console/triage")
    assert supervisor.post(path, token_from="/console/triage").status_code == 400  # already closed


def relay(app: Flask, now: datetime | None = None) -> None:
    with app.app_context(), Session(db.engine) as session:
        relay_once(session, senders(), (lambda: now) if now else utcnow)


ORDER = {
    "order_id": "12345-C-1",
    "title": "执法检查过于频繁",
    "content": "一个月内被检查四次。",
    "respondent": "市生态环境局",
    "caller": {"kind": "individual", "name": "孙丽", "phone": "13600136000"},
}


def test_a_dead_delivery_is_resent_from_the_case_page(app: Flask, desk: Desk, fake_hotline: FakeHotline) -> None:
    reference = push(desk.client, ORDER).get_json()["reference"]
    case = desk.get("triage", f"/api/v1/complaints?q={reference}").get_json()["items"][0]
    fake_hotline.fail_next = MAX_ATTEMPTS
    moment = utcnow()
    relay(app, moment)
    for wait in BACKOFF:
        moment += wait + timedelta(seconds=1)
        relay(app, moment)
    page = case_path(case)
    supervisor = signed_in(app, "supervisor")
    shown = page_text(supervisor, page)
    rows = dict(re.findall(r'<tr data-delivery="(\d+)" data-status="(\w+)">', shown))
    dead = [message_id for message_id, status in rows.items() if status == "dead"]
    assert len(dead) == 1
    row = re.search(rf'<tr data-delivery="{dead[0]}".*?</tr>', shown, re.S)
    assert row is not None
    for label in ("登记回执", "12345热线", "已转人工", "重新发送"):
        assert label in row.group(0), label
    assert "complaint.received" not in shown and ">hotline<" not in shown and ">dead<" not in shown
    sent = re.search(r'<tr data-delivery="\d+" data-status="sent">.*?</tr>', shown, re.S)
    assert sent and "诉求人" in sent.group(0) and "已发送" in sent.group(0) and "短信" in sent.group(0)

    resend = f"{page}/deliveries/{dead[0]}/resend"
    clerk = signed_in(app, "clerk")
    assert "重新发送" not in page_text(clerk, page)
    assert clerk.post(resend, token_from=page).status_code == 403
    other = desk.register()["case"]
    assert supervisor.post(f"{case_path(other)}/deliveries/{dead[0]}/resend", token_from=page).status_code == 404
    assert supervisor.post(resend, token_from=page).status_code == 303
    assert f'<tr data-delivery="{dead[0]}" data-status="pending">' in page_text(supervisor, page)
    relay(app)
    assert [body["event"] for body in fake_hotline.received] == ["complaint.received"]
    after = page_text(supervisor, page)
    assert f'<tr data-delivery="{dead[0]}" data-status="sent">' in after
    again = supervisor.post(resend, token_from=page)
    assert again.status_code in (400, 409) and "not_failed" in again.get_data(as_text=True)  # sent: nothing to resend
    assert f'<tr data-delivery="{dead[0]}" data-status="sent">' in page_text(supervisor, page)


def test_the_case_page_offers_only_the_documents_the_case_has(app: Flask, desk: Desk) -> None:
    case = desk.register()["case"]
    page = case_path(case)
    clerk = signed_in(app, "clerk")
    documents = re.search(r'<p id="documents">(.*?)</p>', page_text(clerk, page), re.S)
    assert documents and "本案目前没有可出具的文书" in documents.group(1)
    desk.ok("triage", f"/api/v1/complaints/{case['id']}/accept")
    documents = re.search(r'<p id="documents">(.*?)</p>', page_text(clerk, page), re.S)
    assert documents is not None
    links = re.findall(r'href="([^"]+)"', documents.group(1))
    assert links == [f"{page}/documents/acceptance"]
    assert clerk.get(links[0]).status_code == 200
    rejected = desk.register()["case"]
    desk.ok(
        "triage",
        f"/api/v1/complaints/{rejected['id']}/reject",
        {"reason": "属于诉讼事项", "lawful_channel": "人民法院"},
    )
    documents = re.search(r'<p id="documents">(.*?)</p>', page_text(clerk, case_path(rejected)), re.S)
    assert documents and re.findall(r'href="([^"]+)"', documents.group(1)) == [
        f"{case_path(rejected)}/documents/rejection"
    ]
