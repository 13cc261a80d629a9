"""The console's guards, exercised through HTTP as a browser would: sessions, CSRF, the second factor, department
isolation, and the pages and actions of each desk."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pyotp
import pytest
from flask import Flask
from sqlalchemy import select, update

from complaints.database import db, utcnow
from complaints.staff import StaffSession, StaffUser

from .console_client import ConsoleUser
from .desk import Desk

REFERENCE = re.compile(r"FZ\d{4}-\d{6}")  # a page's random CSRF token may hold "FZ" too


@pytest.fixture
def case(desk: Desk) -> dict[str, Any]:
    result: dict[str, Any] = desk.register()["case"]
    return result


def test_every_page_but_login_needs_a_session(app: Flask, desk: Desk) -> None:
    anonymous = ConsoleUser(app)
    for path in (
        "/console/",
        "/console/triage",
        "/console/desk",
        "/console/board",
        "/console/cases/1",
        "/console/admin",
    ):
        response = anonymous.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/console/login"), path
    assert anonymous.get("/console/login").status_code == 200
    assert anonymous.get("/console/static/console.css").status_code == 200


def test_every_console_endpoint_names_who_may_use_it(app: Flask) -> None:
    for endpoint, view in app.view_functions.items():
        if endpoint.startswith("console.") and endpoint not in ("console.login", "console.static"):
            assert getattr(view, "console_page", False), endpoint


def test_login_locks_after_repeated_failures_and_sessions_time_out(app: Flask, desk: Desk) -> None:
    user = ConsoleUser(app)
    for _ in range(4):
        assert user.log_in("triage", "wrong-password").status_code == 401
    locked = user.log_in("triage", "wrong-password")
    assert locked.status_code == 401 and "锁定" in locked.get_data(as_text=True)
    assert user.log_in("triage").status_code == 401  # even the right password, while locked

    clerk = ConsoleUser(app)
    assert clerk.log_in("clerk").status_code == 302
    assert clerk.get("/console/search").status_code == 200
    with app.app_context():
        db.session.execute(update(StaffSession).values(last_seen_at=utcnow() - timedelta(hours=1)))
        db.session.commit()
    expired = clerk.get("/console/search")
    assert expired.status_code == 302 and "/console/login" in expired.headers["Location"]


def test_every_form_refuses_a_request_without_its_csrf_token(app: Flask, desk: Desk, case: dict[str, Any]) -> None:
    user = ConsoleUser(app)
    assert user.log_in("supervisor").status_code == 302
    posts = [
        re.sub(r"<int:\w+>", "1", rule.rule.replace("<int:complaint_id>", str(case["id"]))).replace(
            "<code>", "inaction"
        )
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("console.") and "POST" in (rule.methods or set())
    ]
    assert len(posts) >= 15
    for path in posts:
        response = user.client.post(path, data={"reason": "x", "level": "red"})
        assert response.status_code == 400, path
        assert "csrf_failed" in response.get_data(as_text=True), path
    anonymous = ConsoleUser(app)
    refused = anonymous.client.post("/console/login", data={"username": "clerk", "password": "Demo-2026-pass"})
    assert refused.status_code == 400 and "csrf_failed" in refused.get_data(as_text=True)
    assert desk.detail("supervisor", case["id"])["case"]["supervision_level"] == "none"


def test_a_department_handler_cannot_open_another_department_s_case(
    app: Flask, desk: Desk, case: dict[str, Any]
) -> None:
    desk.ok("triage", f"/api/v1/complaints/{case['id']}/accept")
    desk.ok("triage", f"/api/v1/complaints/{case['id']}/assign", {"lead_department": "city-samr"})
    own, other = ConsoleUser(app), ConsoleUser(app)
    assert own.log_in("samr.handler").status_code == 302
    assert other.log_in("eco.handler").status_code == 302
    assert case["reference"] in own.get("/console/desk").get_data(as_text=True)
    assert own.get(f"/console/cases/{case['id']}").status_code == 200
    assert case["reference"] not in other.get("/console/desk").get_data(as_text=True)
    assert other.get(f"/console/cases/{case['id']}").status_code == 404
    assert other.post(f"/console/cases/{case['id']}/legs/1/sign").status_code == 404
    assert other.get("/console/triage").status_code == 403
    page = own.get(f"/console/cases/{case['id']}").get_data(as_text=True)
    assert "刘建国" not in page and "诉求人身份依法保密" in page


def test_administrators_reach_nothing_before_the_second_factor(app: Flask, desk: Desk) -> None:
    admin = ConsoleUser(app)
    first = admin.log_in("sysadmin")
    assert first.status_code == 302
    for path in ("/console/admin", "/console/", "/console/search"):
        blocked = admin.get(path)
        assert blocked.status_code == 302 and blocked.headers["Location"].endswith("/console/second-factor/setup"), path
    secret = admin.enroll_second_factor()
    assert admin.get("/console/admin").status_code == 200

    again = ConsoleUser(app)
    assert again.log_in("sysadmin").status_code == 302
    assert again.get("/console/admin").headers["Location"].endswith("/console/second-factor")
    wrong = again.post("/console/second-factor", {"code": "000000"}, token_from="/console/second-factor")
    assert wrong.status_code == 401
    code = pyotp.TOTP(secret).at(utcnow() + timedelta(seconds=30))  # enrolment spent this step's code
    assert again.post("/console/second-factor", {"code": code}, token_from="/console/second-factor").status_code == 302
    assert again.get("/console/admin").status_code == 200
    replay = ConsoleUser(app)
    replay.log_in("sysadmin")
    reused = replay.post("/console/second-factor", {"code": code}, token_from="/console/second-factor")
    assert reused.status_code == 401  # a code works once
    with app.app_context():
        user = db.session.scalars(select(StaffUser).where(StaffUser.username == "sysadmin")).one()
        assert user.totp_secret_encrypted and secret not in user.totp_secret_encrypted  # encrypted at rest
    clerk = ConsoleUser(app)
    clerk.log_in("clerk")
    assert clerk.get("/console/admin").status_code == 403


def test_a_password_alone_cannot_replace_an_enrolled_authenticator(app: Flask, desk: Desk) -> None:
    owner = ConsoleUser(app)
    owner.log_in("sysadmin")
    owner.enroll_second_factor()

    def stored_secret() -> str | None:
        with app.app_context():
            user = db.session.scalars(select(StaffUser).where(StaffUser.username == "sysadmin")).one()
            return user.totp_secret_encrypted

    before = stored_secret()
    thief = ConsoleUser(app)
    thief.log_in("sysadmin")
    page = thief.get("/console/second-factor/setup")
    assert page.status_code == 302 and page.headers["Location"].endswith("/console/second-factor")
    attempt = thief.post("/console/second-factor/setup", {"code": "123456"}, token_from="/console/second-factor")
    assert attempt.status_code == 302 and attempt.headers["Location"].endswith("/console/second-factor")
    assert stored_secret() == before and thief.get("/console/admin").status_code == 302


def test_triage_officer_accepts_and_assigns_from_the_queue(app: Flask, desk: Desk, case: dict[str, Any]) -> None:
    user = ConsoleUser(app)
    user.log_in("triage")
    queue = user.get("/console/triage").get_data(as_text=True)
    assert str(case["reference"]) in queue
    response = user.post(
        f"/console/cases/{case['id']}/accept-assign",
        {"lead_department": "city-samr", "assisting_departments": "dist-east-samr"},
        token_from="/console/triage",
    )
    assert response.status_code == 303
    detail = desk.detail("triage", case["id"])["case"]
    assert detail["status"] == "assigned"
    assert sorted(leg["department"]["code"] for leg in detail["legs"]) == ["city-samr", "dist-east-samr"]
    bad = user.post(f"/console/cases/{case['id']}/reject", {"reason": ""}, token_from="/console/triage")
    assert bad.status_code == 400 and "validation_error" in bad.get_data(as_text=True)
    conflict = user.post(f"/console/cases/{case['id']}/accept", token_from="/console/triage")
    assert conflict.status_code == 409 and "不能受理" in conflict.get_data(as_text=True)
    beyond = user.post("/console/triage/bulk", {"case_ids": str(2**63)}, token_from="/console/triage")
    assert beyond.status_code == 303  # no case has that key: nothing to route, and the queue says so
    assert "请先勾选案件" in user.get("/console/triage").get_data(as_text=True)


def test_register_a_walk_in_prints_a_receipt_with_its_query_code(app: Flask, desk: Desk) -> None:
    user = ConsoleUser(app)
    user.log_in("clerk")
    response = user.post(
        "/console/register",
        {
            "channel": "walkin",
            "kind": "individual",
            "name": "张三",
            "phone": "13800001234",
            "respondent": "某街道办",
            "title": "办证难",
            "content": "多次补材料仍不受理",
        },
        token_from="/console/register",
    )
    assert response.status_code == 303 and response.headers["Location"].endswith("/console/register/receipt")
    shown = user.get("/console/register/receipt")
    assert shown.status_code == 200
    page = shown.get_data(as_text=True)
    reference = re.search(r"FZ\d{4}-\d{6}", page)
    assert reference and re.search(r"查询码：</td><td class=\"code\">[2-9A-Z]{10}<", page)
    assert shown.headers["Cache-Control"] == "no-store"
    reloaded = user.get("/console/register/receipt")  # a reload shows no code again and files nothing twice
    assert reloaded.status_code == 302 and reloaded.headers["Location"].endswith("/console/register")
    assert len(REFERENCE.findall(user.get("/console/search?q=办证难").get_data(as_text=True))) == 1
    found = user.get(f"/console/search?q={reference.group(0)}").get_data(as_text=True)
    assert "办证难" in found
    code = re.search(r'class="code">([2-9A-Z]{10})<', page)
    assert code is not None
    progress = desk.client.post(
        "/api/public/v1/progress", json={"reference": reference.group(0), "query_code": code.group(1)}
    )
    assert progress.status_code == 200  # the printed code is the one the filing issued, not reissued at once
    assert "查询码已重置" not in str(progress.get_json())
    by_phone = user.post("/console/search/phone", {"phone": "13800001234"}).get_data(as_text=True)
    assert reference.group(0) in by_phone


def test_a_refused_registration_comes_back_with_the_error_beside_the_field_and_the_input_kept(
    app: Flask, desk: Desk
) -> None:
    user = ConsoleUser(app)
    user.log_in("clerk")
    form = {"channel": "hotline", "kind": "individual", "name": "张三", "respondent": "某街道办", "title": "办证难"}
    refused = user.post("/console/register", {**form, "content": "长" * 5200}, token_from="/console/register")
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert 'id="register"' in page and 'data-field="content"' in page and "Length" not in page
    assert 'value="办证难"' in page and 'value="张三"' in page and '<option value="hotline" selected>' in page
    assert REFERENCE.findall(user.get("/console/search?q=办证难").get_data(as_text=True)) == []  # nothing was filed


def test_search_results_are_paged(app: Flask, desk: Desk) -> None:
    for _ in range(7):
        desk.register(title="窗口办事难")
    user = ConsoleUser(app)
    user.log_in("clerk")
    first = user.get("/console/search?q=窗口办事难&per_page=5").get_data(as_text=True)
    second = user.get("/console/search?q=窗口办事难&per_page=5&page=2").get_data(as_text=True)
    assert '<b class="total">7</b>' in first
    assert (first.count("/console/cases/"), second.count("/console/cases/")) == (5, 2)


def test_a_clerk_reprints_a_lost_receipt_and_the_old_code_stops_working(app: Flask, desk: Desk) -> None:
    registered = desk.register()
    reference, old_code = registered["case"]["reference"], registered["query_code"]
    case_page = f"/console/cases/{registered['case']['id']}"
    user = ConsoleUser(app)
    user.log_in("clerk")
    assert "补打受理回执" in user.get(case_page).get_data(as_text=True)
    unconfirmed = user.post(f"{case_page}/receipt", {"format": "html"}, token_from=case_page)
    assert unconfirmed.status_code == 400

    reprinted = user.post(f"{case_page}/receipt", {"format": "html", "void_old_code": "yes"}, token_from=case_page)
    assert reprinted.status_code == 200 and reprinted.headers["Cache-Control"] == "no-store"
    new_code = re.search(r'class="code">([2-9A-Z]{10})<', reprinted.get_data(as_text=True))
    assert new_code is not None and new_code.group(1) != old_code

    def progress(code: str) -> int:
        lookup = {"reference": reference, "query_code": code}
        return desk.client.post("/api/public/v1/progress", json=lookup).status_code

    assert (progress(old_code), progress(new_code.group(1))) == (404, 200)
    pdf = user.post(f"{case_page}/receipt", {"format": "pdf", "void_old_code": "yes"}, token_from=case_page)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert progress(new_code.group(1)) == 404  # each reprint voids the code before it


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


def test_the_department_hands_a_case_on_and_replies_with_a_file(app: Flask, desk: Desk, case: dict[str, Any]) -> None:
    from io import BytesIO

    desk.ok("triage", f"/api/v1/complaints/{case['id']}/accept")
    leg = desk.ok("triage", f"/api/v1/complaints/{case['id']}/assign", {"lead_department": "city-samr"})["legs"][0]
    head = ConsoleUser(app)
    head.log_in("samr.head")
    page = f"/console/cases/{case['id']}"
    handed = head.post(f"{page}/legs/{leg['id']}/handler", {"username": "samr.handler"}, token_from=page)
    assert handed.status_code == 303
    outsider = head.post(f"{page}/legs/{leg['id']}/handler", {"username": "eco.handler"}, token_from=page)
    assert outsider.status_code == 400 and "handler_not_in_department" in outsider.get_data(as_text=True)
    handler = ConsoleUser(app)
    handler.log_in("samr.handler")
    assert "承办人 市场监管局经办人 赵磊" in handler.get(page).get_data(as_text=True)
    handler.post(f"{page}/legs/{leg['id']}/sign", token_from=page)
    refused = handler.client.post(
        f"{page}/legs/{leg['id']}/reply",
        data={"text": "已整改", "csrf_token": handler.csrf(page), "files": (BytesIO(b"MZ not an image"), "x.exe")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 400 and "unsupported_file_type" in refused.get_data(as_text=True)
    replied = handler.client.post(
        f"{page}/legs/{leg['id']}/reply",
        data={"text": "已整改并退还物品", "csrf_token": handler.csrf(page), "files": (BytesIO(PNG), "整改照片.png")},
        content_type="multipart/form-data",
    )
    assert replied.status_code == 303, replied.get_data(as_text=True)[:300]
    detail = desk.detail("supervisor", case["id"])
    assert detail["case"]["status"] == "replied"
    shown = handler.get(page).get_data(as_text=True)
    link = re.search(rf"/console/cases/{case['id']}/attachments/(\d+)", shown)
    assert link and "整改照片.png" in shown
    served = handler.get(link.group(0))
    assert served.data == PNG and served.mimetype == "image/png"
    assert (
        "sandbox" in served.headers["Content-Security-Policy"] and served.headers["X-Content-Type-Options"] == "nosniff"
    )


def test_administrator_api_tokens_need_the_second_factor_too(app: Flask, desk: Desk) -> None:
    admin = ConsoleUser(app)
    admin.log_in("sysadmin")
    secret = admin.enroll_second_factor()
    response = desk.client.post("/api/v1/session", json={"username": "sysadmin", "password": "Demo-2026-pass"})
    assert response.status_code == 201 and response.get_json()["second_factor_required"] is True
    headers = {"Authorization": f"Bearer {response.get_json()['token']}"}
    blocked = desk.client.get("/api/v1/users", headers=headers)
    assert (blocked.status_code, blocked.get_json()["code"]) == (403, "second_factor_required")
    assert desk.client.get("/api/v1/me", headers=headers).status_code == 200
    wrong = desk.client.post("/api/v1/session/second-factor", json={"code": "000000"}, headers=headers)
    assert (wrong.status_code, wrong.get_json()["code"]) == (401, "invalid_second_factor")
    with app.app_context():  # the failure counts towards the lockout (it was committed, not rolled back)
        count = db.session.scalar(select(StaffUser.failed_login_count).where(StaffUser.username == "sysadmin"))
        assert count == 1
    code = pyotp.TOTP(secret).at(utcnow() + timedelta(seconds=30))
    assert desk.client.post("/api/v1/session/second-factor", json={"code": code}, headers=headers).status_code == 204
    assert desk.client.get("/api/v1/users", headers=headers).status_code == 200
    clerk = desk.client.post("/api/v1/session", json={"username": "clerk", "password": "Demo-2026-pass"})
    assert clerk.get_json()["second_factor_required"] is False


def first_unknown_year(app: Flask) -> int:
    from complaints.calendar_schedule import load_calendar
    from complaints.workdays import china_day

    with app.app_context():
        calendar = load_calendar(db.session)
    year = china_day(utcnow()).year
    while calendar.knows(year):
        year += 1
    return year


def schedule_for(year: int) -> str:
    return "\n".join(
        [
            f"{year}-01-01 元旦",
            f"{year}-02-10至{year}-02-16 春节",
            f"{year}-02-07 上班",
            f"{year}-10-01至{year}-10-07 国庆节",
        ]
    )


def test_an_administrator_enters_next_year_and_provisional_deadlines_become_firm(app: Flask, desk: Desk) -> None:
    from complaints.deadlines import provisional_count

    year = first_unknown_year(app)
    for _ in range(2):
        case = desk.register()["case"]
        desk.ok("triage", f"/api/v1/complaints/{case['id']}/accept")
        desk.ok("triage", f"/api/v1/complaints/{case['id']}/assign", {"lead_department": "city-samr"})
    with app.app_context():
        before = provisional_count(db.session)
    if before == 0:
        pytest.skip(f"no deadline of a case assigned today reaches {year}, the first year without a schedule")
    admin = ConsoleUser(app)
    admin.log_in("sysadmin")
    admin.enroll_second_factor()
    page = admin.get("/console/admin/calendar").get_data(as_text=True)
    assert f'id="provisional">{before}<' in page
    bad = admin.post(
        "/console/admin/calendar",
        {"year": year, "schedule": f"{year}-02-30 春节"},
        token_from="/console/admin/calendar",
    )
    assert bad.status_code == 400 and "第1行的日期不存在" in bad.get_data(as_text=True)
    entered = admin.post(
        "/console/admin/calendar", {"year": year, "schedule": schedule_for(year)}, token_from="/console/admin/calendar"
    )
    assert entered.status_code == 303
    after = admin.get("/console/admin/calendar").get_data(as_text=True)
    assert 'id="provisional">0<' in after and f"{before} 个暂定期限已重新计算为正式期限" in after
    with app.app_context():
        assert provisional_count(db.session) == 0


def test_an_administrator_edits_routing_rules_and_thresholds(app: Flask, desk: Desk) -> None:
    admin = ConsoleUser(app)
    admin.log_in("sysadmin")
    admin.enroll_second_factor()
    page = "/console/admin/routing"
    added = admin.post(
        page, {"department_code": "city-eco", "domain_code": "environment", "note": "环保"}, token_from=page
    )
    assert added.status_code == 303
    assert "环保" in admin.get(page).get_data(as_text=True)
    empty = admin.post(page, {"department_code": "city-eco"}, token_from=page)
    assert empty.status_code == 400 and "rule_without_condition" in empty.get_data(as_text=True)
    admin.post("/console/admin/categories/inaction/threshold", {"threshold_percent": "85"}, token_from=page)
    rules = desk.get("supervisor", "/api/v1/routing-rules").get_json()
    assert [(r["note"], r["department_id"] is not None) for r in rules] == [("环保", True)]
    with app.app_context():
        from complaints.taxonomy import category_by_code

        assert category_by_code(db.session, "inaction").auto_route_threshold == pytest.approx(0.85)
    supervisor = ConsoleUser(app)
    supervisor.log_in("supervisor")
    assert supervisor.get(page).status_code == 403


@dataclass(frozen=True)
class SeededFigures:
    """The demo center's figures counted straight from its rows, for comparing with the dashboard."""

    funnel: dict[str, int]
    categories: dict[str, int]
    samr: dict[str, int]


def seed_and_count(app: Flask) -> SeededFigures:
    from collections import Counter

    from api.settings import personal_data_cipher
    from complaints.cases import Complaint
    from complaints.demo import seed_demo_center
    from complaints.follow_ups import FollowUp
    from complaints.legs import DepartmentLeg

    with app.app_context():
        seed_demo_center(db.session, personal_data_cipher(), now=utcnow())
        db.session.commit()
        cases = list(db.session.scalars(select(Complaint)))
        legs = [
            leg
            for leg in db.session.scalars(select(DepartmentLeg).where(DepartmentLeg.role == "lead"))
            if leg.department.code == "city-samr"
        ]
        visits = {(f.complaint_id, f.round): f.outcome for f in db.session.scalars(select(FollowUp))}
        done = [leg for leg in legs if leg.status == "done"]  # each visit counts for the round its lead closed
        return SeededFigures(
            funnel={
                "collected": len(cases),
                "accepted": sum(c.accepted_at is not None for c in cases),
                "closed": sum(c.status == "closed" for c in cases),
            },
            categories=dict(Counter(c.category.name if c.category else "未分类" for c in cases)),
            samr={
                "assigned": len(legs),
                "signed": sum(leg.signed_at is not None for leg in legs),
                "closed": sum(leg.complaint.status == "closed" for leg in legs),
                "satisfied": sum(visits.get((leg.complaint_id, leg.round)) == "satisfied" for leg in done),
                "visited": sum((leg.complaint_id, leg.round) in visits for leg in done),
            },
        )


def test_the_dashboard_s_figures_match_the_database(app: Flask, desk: Desk) -> None:
    seeded = seed_and_count(app)
    expected, categories, samr = seeded.funnel, seeded.categories, seeded.samr
    user = ConsoleUser(app)
    user.log_in("supervisor")
    start = (utcnow() - timedelta(days=400)).date().isoformat()
    page = user.get(f"/console/dashboard?start={start}").get_data(as_text=True)
    for metric, value in expected.items():
        assert f'data-metric="{metric}">{value}<' in page, metric
    for name, count in categories.items():
        assert f'data-label="{name}" data-value="{count}"' in page, name
    row = re.search(r'<tr data-department="city-samr">(.*?)</tr>', page, re.S)
    assert row is not None
    for key, value in samr.items():
        assert f'data-count="{key}">{value}<' in row.group(1), key
    rate = f"{samr['closed'] / samr['assigned']:.0%}" if samr["assigned"] else "—"
    assert f'data-rate="resolution">{rate}<' in row.group(1)
    assert "解决率 = 办结数 ÷ 交办数" in page
    assert "<svg" in page and "cdn" not in page.lower()
    assert user.get("/console/dashboard?start=2026-13-01").status_code == 400
    department = ConsoleUser(app)
    department.log_in("samr.handler")
    assert department.get("/console/dashboard").status_code == 403


def test_follow_up_visits_record_verdicts_and_a_dissatisfied_one_reopens_the_case(app: Flask, desk: Desk) -> None:
    from api.settings import personal_data_cipher
    from complaints.cases import Complaint
    from complaints.demo import seed_demo_center

    with app.app_context():
        seed_demo_center(db.session, personal_data_cipher(), now=utcnow())
        db.session.commit()
        waiting = list(
            db.session.scalars(
                select(Complaint).where(Complaint.status == "closed", Complaint.follow_up_outcome.is_(None))
            )
        )
    assert waiting, "the demo center has a closed case awaiting its visit"
    case = waiting[0]
    user = ConsoleUser(app)
    user.log_in("clerk")
    page = user.get("/console/follow-ups").get_data(as_text=True)
    assert f'data-reference="{case.reference}"' in page
    done = user.post(
        f"/console/cases/{case.id}/follow-up",
        {"outcome": "dissatisfied", "comment": "问题没有解决"},
        token_from="/console/follow-ups",
    )
    assert done.status_code == 303
    detail = desk.detail("supervisor", case.id)["case"]
    assert (detail["status"], detail["redo_count"]) == ("assigned", 1)
    after = user.get("/console/follow-ups").get_data(as_text=True)
    assert f'data-reference="{case.reference}"' not in after
    row = re.search(r'<tr data-department="[^"]+"><td>[^<]+</td><td>(\d+)</td><td>(\d+)</td><td>(\d+)</td>', after)
    assert row is not None and int(row.group(3)) >= 1
    again = user.post(f"/console/cases/{case.id}/follow-up", {"outcome": "satisfied"}, token_from="/console/follow-ups")
    assert again.status_code == 409  # the case is back in handling; no verdict until it closes again
    handler = ConsoleUser(app)
    handler.log_in("samr.handler")
    assert handler.get("/console/follow-ups").status_code == 403


def read_workbook(data: bytes) -> dict[str, list[list[object]]]:
    from io import BytesIO

    from openpyxl import load_workbook

    workbook = load_workbook(BytesIO(data))
    return {sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)] for sheet in workbook.worksheets}


def test_exports_mask_personal_data_unless_the_role_allows_it_and_are_audited(app: Flask, desk: Desk) -> None:
    from complaints.audit import AuditEvent

    case = desk.register()["case"]
    clerk, supervisor = ConsoleUser(app), ConsoleUser(app)
    clerk.log_in("clerk")
    supervisor.log_in("supervisor")
    masked = clerk.get(f"/console/export/cases.xlsx?q={case['reference']}")
    assert masked.status_code == 200 and str(masked.mimetype).endswith("spreadsheetml.sheet")
    header, row = read_workbook(masked.data)["案件"]
    assert header[8:10] == ["诉求人", "联系电话"]
    assert row[0] == case["reference"] and row[8:11] == ["刘*国", "139****5678", "示例食品有限公司"]
    full = read_workbook(supervisor.get(f"/console/export/cases.xlsx?q={case['reference']}").data)["案件"][1]
    assert full[8:10] == ["刘建国", "13912345678"]
    sheets = read_workbook(supervisor.get("/console/export/statistics.xlsx").data)
    assert {"概况", "三率", "按问题类型", "按渠道", "按月趋势"} <= set(sheets)
    assert sheets["概况"][1] == ["收到", 1]
    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action.like("export.%")).order_by(AuditEvent.id)
        ).all()
    assert [(e.action, e.actor_name, e.details.get("personal_data")) for e in events] == [
        ("export.cases", "clerk", False),
        ("export.cases", "supervisor", True),
        ("export.statistics", "supervisor", None),
    ]
    handler = ConsoleUser(app)
    handler.log_in("samr.handler")
    assert handler.get("/console/export/cases.xlsx").status_code == 403


def pdf_text(pdf: bytes) -> str:
    from io import BytesIO

    import pypdfium2

    document = pypdfium2.PdfDocument(BytesIO(pdf))
    return "".join(page.get_textpage().get_text_range() for page in document)


def test_a_supervisor_issues_a_supervision_notice_that_prints_and_the_department_replies(
    app: Flask, desk: Desk
) -> None:
    case = desk.register()["case"]
    desk.ok("triage", f"/api/v1/complaints/{case['id']}/accept")
    desk.ok("triage", f"/api/v1/complaints/{case['id']}/assign", {"lead_department": "city-samr"})
    supervisor = ConsoleUser(app)
    supervisor.log_in("supervisor")
    page = f"/console/cases/{case['id']}"
    issued = supervisor.post(
        f"{page}/notices",
        {
            "kind": "supervision_notice",
            "department_code": "city-samr",
            "subject": "逾期未办",
            "body": "请于期限内办结并书面回复。",
            "rectify_by": (utcnow() + timedelta(days=30)).date().isoformat(),
        },
        token_from=page,
    )
    assert issued.status_code == 303
    notice_page = issued.headers["Location"]
    shown = supervisor.get(notice_page).get_data(as_text=True)
    number = re.search(r"法督督办〔\d{4}〕\d+号|法督督办[^<\s]+", shown)
    assert number and "问题督办单" in shown and "请于" in shown
    pdf = supervisor.get(f"{notice_page}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    text = pdf_text(pdf.data)
    assert "问题督办单" in text and "市市场监督管理局" in text and "逾期未办" in text and "整改期限" in text
    listed = supervisor.get("/console/notices").get_data(as_text=True)
    assert "待回复" in listed and (utcnow() + timedelta(days=30)).date().isoformat()[:7] in listed
    department = ConsoleUser(app)
    department.log_in("samr.head")
    assert number.group(0) in department.get("/console/notices").get_data(as_text=True)
    replied = department.post(f"{notice_page}/reply", {"reply": "已整改完毕"}, token_from=notice_page)
    assert replied.status_code == 303
    assert "已整改完毕" in supervisor.get(notice_page).get_data(as_text=True)
    other = ConsoleUser(app)
    other.log_in("eco.head")
    assert other.get(notice_page).status_code == 404


def test_a_clue_transfer_is_seen_only_by_the_supervisor_and_each_reading_is_recorded(app: Flask, desk: Desk) -> None:
    from complaints.audit import AuditEvent

    case = desk.register()["case"]
    supervisor = ConsoleUser(app)
    supervisor.log_in("supervisor")
    page = f"/console/cases/{case['id']}"
    issued = supervisor.post(
        f"{page}/notices",
        {
            "kind": "clue_transfer",
            "department_code": "discipline",
            "subject": "涉嫌索要财物",
            "body": "移交线索，请依规处置。",
        },
        token_from=page,
    )
    notice_page = issued.headers["Location"]
    assert "涉嫌索要财物" in supervisor.get(notice_page).get_data(as_text=True)
    pdf_text_found = pdf_text(supervisor.get(f"{notice_page}.pdf").data)
    assert "线索移交单" in pdf_text_found and "附：线索材料" in pdf_text_found and case["reference"] in pdf_text_found
    assert "刘建国" not in pdf_text_found  # the package carries the facts, not the complainant
    clerk = ConsoleUser(app)
    clerk.log_in("clerk")
    assert clerk.get(notice_page).status_code == 404
    assert "涉嫌索要财物" not in clerk.get("/console/notices").get_data(as_text=True)
    with app.app_context():
        reads = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "notice.clue_transfer_read")).all()
    assert [e.actor_name for e in reads] == ["supervisor", "supervisor"]


def admin_user(app: Flask, username: str) -> ConsoleUser:
    user = ConsoleUser(app)
    assert user.log_in(username).status_code == 302
    user.enroll_second_factor()
    return user


def test_the_three_administrators_each_do_only_their_part(app: Flask, desk: Desk) -> None:
    system, security, auditor = (admin_user(app, name) for name in ("sysadmin", "secadmin", "auditor"))
    created = system.post(
        "/console/admin/users",
        {
            "username": "eco.second",
            "display_name": "生态环境局经办人 钱七",
            "password": "Another-2026-pass",
            "role": "department_handler",
            "department_code": "city-eco",
        },
        token_from="/console/admin/users",
    )
    assert created.status_code == 303
    assert 'data-username="eco.second"' in system.get("/console/admin/users").get_data(as_text=True)
    newcomer = ConsoleUser(app)
    for _ in range(5):
        newcomer.log_in("eco.second", "wrong-password")
    assert "eco.second" in security.get("/console/admin/locked").get_data(as_text=True)
    with app.app_context():
        user_id = db.session.scalar(select(StaffUser.id).where(StaffUser.username == "eco.second"))
    assert (
        security.post(f"/console/admin/users/{user_id}/unlock", token_from="/console/admin/locked").status_code == 303
    )
    assert newcomer.log_in("eco.second", "Another-2026-pass").status_code == 302
    reworded = system.post(
        "/console/admin/texts",
        {"channel": "wecom", "event": "case.assigned", "text": "请签收案件 {reference}"},
        token_from="/console/admin/texts",
    )
    assert reworded.status_code == 303
    log = auditor.get("/console/admin/audit").get_data(as_text=True)
    assert "auth.account_locked" in log and "user.unlocked" in log and "auth.second_factor_enrolled" in log
    beyond = auditor.get(f"/console/admin/audit?before={2**64}")  # no key is that large: the first page
    assert beyond.status_code == 200 and "user.unlocked" in beyond.get_data(as_text=True)
    for page in ("/console/admin/users", "/console/admin/texts", "/console/admin/calendar"):
        assert auditor.get(page).status_code == 403, page  # the audit administrator reads and changes nothing else
    assert security.get("/console/admin/users").status_code == 403
    assert system.get("/console/admin/audit").status_code == 403


def test_the_system_administrator_adds_reference_data_and_deadline_policies(app: Flask, desk: Desk) -> None:
    system = admin_user(app, "sysadmin")
    page = "/console/admin/reference"
    assert (
        system.post(f"{page}/category", {"code": "permits", "name": "许可审批问题"}, token_from=page).status_code == 303
    )
    assert system.post(f"{page}/domain", {"code": "emergency", "name": "应急管理"}, token_from=page).status_code == 303
    department = system.client.post(
        f"{page}/department",
        data={
            "code": "city-ema",
            "name": "市应急管理局",
            "level": "city",
            "category_codes": ["permits", "inaction"],
            "csrf_token": system.csrf(page),
        },
    )
    assert department.status_code == 303
    duplicate = system.post(f"{page}/category", {"code": "permits", "name": "重复"}, token_from=page)
    assert duplicate.status_code == 400 and "duplicate_code" in duplicate.get_data(as_text=True)
    shown = system.get(page).get_data(as_text=True)
    assert "许可审批问题" in shown and "应急管理" in shown and "市应急管理局" in shown
    policy = system.post(
        "/console/admin/policies",
        {"clock": "handling", "category_code": "permits", "length": "20", "unit": "working_days", "basis": "本市规定"},
        token_from="/console/admin/policies",
    )
    assert policy.status_code == 303
    case = desk.register(category_code="permits")["case"]
    desk.ok("triage", f"/api/v1/complaints/{case['id']}/accept")
    desk.ok("triage", f"/api/v1/complaints/{case['id']}/assign", {"lead_department": "city-ema"})
    from complaints.deadlines import Deadline

    with app.app_context():
        handling = db.session.scalars(
            select(Deadline).where(Deadline.complaint_id == case["id"], Deadline.clock == "handling")
        ).one()
        assert (handling.length, handling.unit) == (20, "working_days")
    supervisor = ConsoleUser(app)
    supervisor.log_in("supervisor")
    assert supervisor.get(page).status_code == 403


def test_the_system_administrator_maps_events_to_subscribe_templates(app: Flask, desk: Desk) -> None:
    from api.settings import senders
    from notifications.subscribe import template_for

    system = admin_user(app, "sysadmin")
    page = "/console/admin/templates"
    assert 'data-event="complaint.signed"' in system.get(page).get_data(as_text=True)
    mapped = system.post(
        page,
        {
            "event": "complaint.signed",
            "template_id": "TPL-SIGNED-2027",
            "fields": "character_string1=reference,phrase2=status",
        },
        token_from=page,
    )
    assert mapped.status_code == 303
    bad = system.post(
        page, {"event": "complaint.signed", "template_id": "X", "fields": "thing1=phone"}, token_from=page
    )
    assert bad.status_code == 400 and "invalid_template_fields" in bad.get_data(as_text=True)
    with app.app_context():
        template = template_for(db.session(), "complaint.signed", senders().templates)
    assert template is not None and template.template_id == "TPL-SIGNED-2027"
    assert template.fields == {"character_string1": "reference", "phrase2": "status"}
    assert "已在此修改" in system.get(page).get_data(as_text=True)
