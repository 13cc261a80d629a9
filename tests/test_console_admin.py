"""Administration, form errors, long lists and labels in the console, through HTTP as a browser would: account
management (deactivate, role and department, a lost authenticator) in the console, the API and the command line;
Chinese form errors shown beside the fields with the input kept; paged lists; readable audit log and exports."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from complaints.audit import AuditEvent
from complaints.database import db, utcnow
from complaints.staff import StaffUser

from .console_client import ConsoleUser
from .desk import Desk

USERS = "/console/admin/users"
SECURITY = "/console/admin/locked"


def signed_in(app: Flask, username: str) -> ConsoleUser:
    user = ConsoleUser(app)
    assert user.log_in(username).status_code == 302
    return user


def administrator(app: Flask, username: str) -> ConsoleUser:
    user = signed_in(app, username)
    user.enroll_second_factor()
    return user


def account(app: Flask, username: str) -> StaffUser:
    with app.app_context():
        user = db.session.scalars(select(StaffUser).where(StaffUser.username == username)).one()
        db.session.expunge(user)
        return user


def audited(app: Flask, action: str) -> list[AuditEvent]:
    with app.app_context():
        events = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))
        for event in events:
            db.session.expunge(event)
        return events


def text(response: Any) -> str:
    return str(response.get_data(as_text=True))


def test_the_system_administrator_moves_and_deactivates_accounts_and_their_sessions_end(app: Flask, desk: Desk) -> None:
    system = administrator(app, "sysadmin")
    handler = signed_in(app, "samr.handler")
    assert handler.get("/console/desk").status_code == 200
    handler_id = account(app, "samr.handler").id

    moved = system.post(
        f"{USERS}/{handler_id}/role",
        {"role": "department_head", "department_code": "city-eco"},
        token_from=USERS,
    )
    assert moved.status_code == 303
    assert "现为承办单位负责人，市生态环境局" in text(system.get(USERS))
    user = account(app, "samr.handler")
    assert (user.role, user.department_id is not None) == ("department_head", True)
    ended = handler.get("/console/desk")
    assert ended.status_code == 302 and ended.headers["Location"].startswith("/console/login")
    [change] = audited(app, "user.role_changed")
    assert change.actor_name == "sysadmin" and change.details["from"] == {
        "role": "department_handler",
        "department": "city-samr",
    }
    assert change.details["to"] == {"role": "department_head", "department": "city-eco"}

    head = signed_in(app, "eco.head")
    api_token = desk.headers("eco.head")
    head_id = account(app, "eco.head").id
    assert system.post(f"{USERS}/{head_id}/deactivate", token_from=USERS).status_code == 303
    shown = text(system.get(USERS))
    row = re.search(r'<tr data-username="eco.head".*?</tr>', shown, re.S)
    assert row and 'data-active="no"' in row.group(0) and "重新启用" in row.group(0)
    assert head.get("/console/desk").headers["Location"].startswith("/console/login")  # at once, not at timeout
    assert desk.client.get("/api/v1/me", headers=api_token).status_code == 401
    assert ConsoleUser(app).log_in("eco.head").status_code == 401
    assert system.post(f"{USERS}/{head_id}/activate", token_from=USERS).status_code == 303
    assert ConsoleUser(app).log_in("eco.head").status_code == 302
    assert [e.target for e in audited(app, "user.deactivated")] == [f"staff_user:{head_id}"]
    assert [e.target for e in audited(app, "user.reactivated")] == [f"staff_user:{head_id}"]


def test_no_administrator_removes_themselves_or_the_last_security_administrator(app: Flask, desk: Desk) -> None:
    system = administrator(app, "sysadmin")
    own_id, security_id = account(app, "sysadmin").id, account(app, "secadmin").id

    itself = system.post(f"{USERS}/{own_id}/deactivate", token_from=USERS)
    assert itself.status_code == 409 and "不能停用自己的账户" in text(itself)
    assert 'data-code="own_account"' in text(itself) and 'id="users"' in text(itself)  # the page, not a dead end
    demoted = system.post(f"{USERS}/{own_id}/role", {"role": "supervisor"}, token_from=USERS)
    assert demoted.status_code == 409 and account(app, "sysadmin").role == "system_admin"

    last = system.post(f"{USERS}/{security_id}/deactivate", token_from=USERS)
    assert last.status_code == 409 and "secadmin 是唯一在用的安全管理员" in text(last)
    moved = system.post(f"{USERS}/{security_id}/role", {"role": "auditor_admin"}, token_from=USERS)
    assert moved.status_code == 400 and "角色的取值无效" in text(moved)
    retired = system.post(f"{USERS}/{security_id}/role", {"role": "supervisor"}, token_from=USERS)
    assert retired.status_code == 409 and "last_administrator" in text(retired)
    assert account(app, "secadmin").is_active and account(app, "secadmin").role == "security_admin"

    second = system.post(
        USERS,
        {
            "username": "sec.two",
            "display_name": "安全管理员 二",
            "password": "Another-2026-pass",
            "role": "security_admin",
        },
        token_from=USERS,
    )
    assert second.status_code == 303
    assert system.post(f"{USERS}/{security_id}/deactivate", token_from=USERS).status_code == 303
    assert not account(app, "secadmin").is_active
    assert not audited(app, "user.role_changed")  # the refused changes left nothing behind


def test_the_security_administrator_resets_a_lost_authenticator(app: Flask, desk: Desk) -> None:
    system = administrator(app, "sysadmin")
    security = administrator(app, "secadmin")
    system_id = account(app, "sysadmin").id
    listed = text(security.get(SECURITY))
    assert 'data-username="sysadmin"' in listed and "重置动态口令" in listed
    refused = system.post(f"/console/admin/users/{system_id}/second-factor/reset", token_from=USERS)
    assert refused.status_code == 403  # the system administrator cannot reset second factors

    reset = security.post(f"/console/admin/users/{system_id}/second-factor/reset", token_from=SECURITY)
    assert reset.status_code == 303
    assert account(app, "sysadmin").totp_secret_encrypted is None
    assert system.get("/console/admin").headers["Location"].startswith("/console/login")
    [event] = audited(app, "user.second_factor_reset")
    assert (event.actor_name, event.target) == ("secadmin", f"staff_user:{system_id}")

    again = signed_in(app, "sysadmin")  # the password alone reaches only the set-up page of a new authenticator
    assert again.get("/console/admin").headers["Location"].endswith("/console/second-factor/setup")
    again.enroll_second_factor()
    assert again.get("/console/admin").status_code == 200

    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "reset-second-factor", "secadmin"])  # the last security administrator
    assert result.exit_code == 0, result.output
    assert account(app, "secadmin").totp_secret_encrypted is None
    assert security.get(SECURITY).headers["Location"].startswith("/console/login")
    assert [e.actor_name for e in audited(app, "user.second_factor_reset")] == ["secadmin", "cli"]


def test_the_api_manages_accounts_with_the_same_rules(app: Flask, desk: Desk) -> None:
    handler_id, system_id = account(app, "eco.handler").id, account(app, "sysadmin").id
    handler_token = desk.headers("eco.handler")
    moved = desk.client.put(
        f"/api/v1/users/{handler_id}/role",
        json={"role": "department_handler", "department_code": "city-samr"},
        headers=desk.headers("sysadmin"),
    )
    assert moved.status_code == 200 and moved.get_json()["department"]["code"] == "city-samr"
    assert desk.client.get("/api/v1/me", headers=handler_token).status_code == 401
    missing_department = desk.client.put(
        f"/api/v1/users/{handler_id}/role", json={"role": "department_head"}, headers=desk.headers("sysadmin")
    )
    assert missing_department.status_code == 400 and missing_department.get_json()["code"] == "department_required"
    own = desk.post("sysadmin", f"/api/v1/users/{system_id}/deactivate")
    assert own.status_code == 409 and own.get_json()["code"] == "own_account"
    stopped = desk.post("sysadmin", f"/api/v1/users/{handler_id}/deactivate")
    assert stopped.status_code == 200 and stopped.get_json()["is_active"] is False
    assert desk.post("sysadmin", f"/api/v1/users/{handler_id}/activate").get_json()["is_active"] is True

    with app.app_context():
        user = db.session.get(StaffUser, handler_id)
        assert user is not None
        user.totp_secret_encrypted = "enrolled"  # stands for an enrolled authenticator; the API only forgets it
        db.session.commit()
    assert (
        desk.client.delete(f"/api/v1/users/{handler_id}/second-factor", headers=desk.headers("sysadmin")).status_code
        == 403
    )
    forgot = desk.client.delete(f"/api/v1/users/{handler_id}/second-factor", headers=desk.headers("secadmin"))
    assert forgot.status_code == 200 and forgot.get_json()["second_factor_enrolled"] is False
    assert desk.get("secadmin", "/api/v1/users").status_code == 403


def test_a_refused_form_comes_back_in_chinese_beside_its_fields_with_the_input_kept(app: Flask, desk: Desk) -> None:
    system = administrator(app, "sysadmin")
    long_name = "很长的姓名" * 17
    refused = system.post(
        USERS,
        {"display_name": long_name, "password": "Another-2026-pass", "role": "supervisor"},
        token_from=USERS,
    )
    page = text(refused)
    assert refused.status_code == 400 and "提交的内容不完整或格式不正确" in page
    assert '<span class="warn field-error" data-field="username">请填写用户名</span>' in page
    assert '<span class="warn field-error" data-field="display_name">姓名不能超过80个字</span>' in page
    assert f'value="{long_name}"' in page and "Another-2026-pass" not in page  # a password is never echoed
    assert re.search(r'<option value="supervisor" selected>', page)
    assert "Missing data" not in page and "Length must be" not in page

    taken = system.post(
        USERS,
        {"username": "clerk", "display_name": "重名", "password": "Another-2026-pass", "role": "intake_clerk"},
        token_from=USERS,
    )
    assert taken.status_code == 409 and "用户名已存在" in text(taken) and 'value="重名"' in text(taken)

    year = utcnow().year + 5
    schedule = f"{year}-01-01 元旦\n{year}-02-30 春节"
    calendar = system.post("/console/admin/calendar", {"year": year, "schedule": schedule}, token_from=USERS)
    assert calendar.status_code == 400 and "第2行的日期不存在" in text(calendar)
    assert f">{schedule}</textarea>" in text(calendar) and f'value="{year}"' in text(calendar)

    case = desk.register()["case"]
    supervisor = signed_in(app, "supervisor")
    body = "请于期限内办结并书面回复。"
    notice = supervisor.post(
        f"/console/cases/{case['id']}/notices",
        {"kind": "clue_transfer", "department_code": "discipline", "body": body, "rectify_by": "明天"},
        token_from=f"/console/cases/{case['id']}",
    )
    page = text(notice)
    assert notice.status_code == 400 and 'id="notice-form"' in page
    assert "请填写事由" in page and "整改期限须为有效日期" in page
    assert f">{body}</textarea>" in page and '<option value="clue_transfer" selected>' in page
    assert '<option value="discipline" selected>' in page
    fresh = text(supervisor.get(f"/console/cases/{case['id']}/notices/new"))
    assert "请填写事由" not in fresh and 'id="form-refused"' not in fresh


def test_forms_without_a_page_of_their_own_still_speak_chinese(app: Flask, desk: Desk) -> None:
    case = desk.register()["case"]
    desk.ok("triage", f"/api/v1/complaints/{case['id']}/accept")
    state = desk.ok("triage", f"/api/v1/complaints/{case['id']}/assign", {"lead_department": "city-samr"})
    leg = next(leg for leg in state["legs"] if leg["department"]["code"] == "city-samr")
    handler = signed_in(app, "samr.handler")
    page = f"/console/cases/{case['id']}"
    too_long = handler.post(
        f"{page}/legs/{leg['id']}/extension", {"days": "45", "reason": "需要调取视频"}, token_from=page
    )
    assert too_long.status_code == 400 and "延期天数须在1至30之间" in text(too_long)
    assert "Must be" not in text(too_long)


def assigned_cases(desk: Desk, count: int) -> list[dict[str, Any]]:
    cases = []
    for number in range(count):
        case = desk.register(title=f"分页测试案件{number:02d}")["case"]
        desk.ok("triage", f"/api/v1/complaints/{case['id']}/accept")
        cases.append(desk.ok("triage", f"/api/v1/complaints/{case['id']}/assign", {"lead_department": "city-samr"}))
    return cases


def references_on(page: str) -> list[str]:
    return re.findall(r"分页测试案件\d\d", page)


def test_the_desk_and_the_notices_are_paged_with_a_total(app: Flask, desk: Desk) -> None:
    cases = assigned_cases(desk, 7)
    handler = signed_in(app, "samr.handler")
    first = text(handler.get("/console/desk?per_page=5"))
    assert '共 <b class="total">7</b> 件' in first and "第 1/2 页" in first
    assert len(references_on(first)) == 5 and 'href="/console/desk?per_page=5&amp;page=2"' in first
    second = text(handler.get("/console/desk?per_page=5&page=2"))
    assert len(references_on(second)) == 2 and set(references_on(first)).isdisjoint(references_on(second))
    assert handler.get("/console/desk?page=x").status_code == 400

    supervisor = signed_in(app, "supervisor")
    for case in cases[:6]:
        issued = supervisor.post(
            f"/console/cases/{case['id']}/notices",
            {"kind": "supervision_notice", "department_code": "city-samr", "subject": "逾期", "body": "请办理。"},
            token_from=f"/console/cases/{case['id']}",
        )
        assert issued.status_code == 303
    listed = text(supervisor.get("/console/notices?per_page=5"))
    assert '共 <b class="total">6</b> 份' in listed and listed.count('class="case-link"') == 5
    assert f'href="/console/cases/{cases[5]["id"]}" class="case-link">{cases[5]["reference"]}<' in listed
    department = signed_in(app, "samr.head")
    assert text(department.get("/console/notices?per_page=5&page=2")).count('class="case-link"') == 1
    notice_id = re.search(r'href="/console/notices/(\d+)"', listed)
    assert notice_id and department.get(f"/console/notices/{notice_id.group(1)}").status_code == 200
    assert signed_in(app, "eco.head").get(f"/console/notices/{notice_id.group(1)}").status_code == 404


def test_the_follow_up_list_is_paged(app: Flask, desk: Desk) -> None:
    for case in assigned_cases(desk, 6):
        url = f"/api/v1/complaints/{case['id']}"
        leg = next(leg for leg in case["legs"] if leg["department"]["code"] == "city-samr")
        desk.ok("samr.handler", f"{url}/legs/{leg['id']}/sign")
        desk.ok("samr.handler", f"{url}/legs/{leg['id']}/reply", {"reply": "已撤销处罚"})
        desk.ok("triage", f"{url}/review")
        desk.ok("supervisor", f"{url}/close", {"conclusion": "处罚已撤销。"})
    clerk = signed_in(app, "clerk")
    first = text(clerk.get("/console/follow-ups?per_page=5"))
    assert '<span id="waiting">6</span>' in first and first.count("data-reference=") == 5
    assert (
        first.count('data-reference="')
        + text(clerk.get("/console/follow-ups?per_page=5&page=2")).count('data-reference="')
        == 6
    )


def test_the_audit_log_and_the_administration_pages_speak_chinese(app: Flask, desk: Desk) -> None:
    for _ in range(5):
        ConsoleUser(app).log_in("eco.handler", "wrong-password")
    system = administrator(app, "sysadmin")
    system.post(f"{USERS}/{account(app, 'eco.head').id}/deactivate", token_from=USERS)
    auditor = administrator(app, "auditor")
    log = text(auditor.get("/console/admin/audit"))
    assert "账户被锁定" in log and "停用账户" in log and "登录失败" in log
    assert 'data-action="auth.account_locked"' in log
    assert "原因：密码错误" in log and "用户名：eco.head" in log and f"账户 #{account(app, 'eco.head').id}" in log
    assert '{"' not in log  # no raw JSON
    only = text(auditor.get("/console/admin/audit?action=user.deactivated"))
    assert "停用账户" in only and "登录失败</td>" not in only

    reference = text(system.get("/console/admin/reference"))
    assert '<td data-level="city">市级</td>' in reference and re.search(
        r'<option value="external"\s*>外部机关<', reference
    )
    messages = text(system.get("/console/admin/texts"))
    assert "企业微信 · 新交办案件" in messages and "站内 · 类案风险提示" in messages


def test_the_admin_home_warns_of_provisional_deadlines(app: Flask, desk: Desk) -> None:
    from complaints.calendar_schedule import calendar_status

    system = administrator(app, "sysadmin")
    home = text(system.get("/console/admin"))
    with app.app_context():
        status = calendar_status(db.session, now=utcnow())
    if status.warning is None:
        pytest.skip("this and next year's schedules are both known and no deadline is provisional")
    assert 'id="calendar-warning"' in home and status.warning in home
    assert 'href="/console/admin/calendar"' in home


def read_workbook(data: bytes) -> dict[str, list[list[object]]]:
    from io import BytesIO

    from openpyxl import load_workbook

    workbook = load_workbook(BytesIO(data))
    return {sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)] for sheet in workbook.worksheets}


def test_exports_name_channels_in_chinese_and_record_the_personal_data_read(app: Flask, desk: Desk) -> None:
    case = desk.register()["case"]
    clerk, supervisor = signed_in(app, "clerk"), signed_in(app, "supervisor")
    masked = read_workbook(clerk.get(f"/console/export/cases.xlsx?q={case['reference']}").data)["案件"]
    assert masked[1][3] == "12345热线"
    full = supervisor.get("/console/export/cases.xlsx?q=执法人员")
    assert full.status_code == 200
    sheets = read_workbook(supervisor.get("/console/export/statistics.xlsx").data)
    assert ["12345热线", 1] in sheets["按渠道"]
    reads = audited(app, "personal_data.read")
    exported = [e for e in reads if e.details.get("purpose") == "export"]
    assert [(e.actor_name, e.details["masked"]) for e in exported] == [("clerk", True), ("supervisor", False)]
    with app.app_context():
        from complaints.complainants import ComplaintParty

        complainant_ids = list(
            db.session.scalars(
                select(ComplaintParty.complainant_id).where(
                    ComplaintParty.complaint_id == case["id"], ComplaintParty.role == "principal"
                )
            )
        )
    assert exported[0].details["complainant_ids"] == sorted(complainant_ids)


def test_a_case_export_reads_every_page_and_refuses_rather_than_cuts_a_list_too_long(
    app: Flask, desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    from complaints import exports

    references = [desk.register()["case"]["reference"] for _ in range(5)]
    supervisor = signed_in(app, "supervisor")
    monkeypatch.setattr(exports, "PAGE_ROWS", 2)
    table = read_workbook(supervisor.get("/console/export/cases.xlsx").data)["案件"]
    assert [row[0] for row in table[1:]] == references  # oldest first, each once, across three pages
    assert audited(app, "export.cases")[-1].details["rows"] == 5
    monkeypatch.setattr(exports, "MAX_ROWS", 4)
    refused = supervisor.get("/console/export/cases.xlsx")
    assert refused.status_code == 400 and "有 5 件，超过一次导出的上限 4 件" in text(refused)
    assert len(audited(app, "export.cases")) == 1
