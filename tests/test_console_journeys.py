"""One journey per role through the console in Debian's Chromium, as a person would do it, with screenshots saved
as test artifacts: the triage officer clears the queue, the department handler signs and replies on a phone, the
supervisor escalates and reveals the complainant's identity to the department, and the supervisor approves an
extension, then reviews the reply and closes the case."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from complaints.demo import DEMO_PASSWORD

from .browser import DESKTOP, PHONE, PageFactory, Screen, live_server, screenshot
from .browser import browser_fixture as browser_fixture  # the fixture browser
from .browser import page_factory_fixture as page_factory_fixture  # the fixture page_factory
from .desk import Desk
from .triage_helpers import install_seed_model, run_job

PROCEDURE = {
    "title": "执法人员未出示证件就扣押货物",
    "content": "市场监管局执法人员到我店检查，没有出示执法证件，也没有制作现场笔录，直接把货物拉走，连扣押清单都不给。",
    "category_code": None,
    "domain_code": None,
}


def log_in(page_factory: PageFactory, base_url: str, username: str, screen: Screen = DESKTOP) -> Any:
    from playwright.sync_api import expect

    page = page_factory(screen, base_url=base_url)
    page.goto("/console/")
    expect(page.get_by_role("heading", name="工作人员登录")).to_be_visible()
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    return page


def assigned_case(desk: Desk, respondent: str = "市市场监督管理局") -> dict[str, Any]:
    case: dict[str, Any] = desk.register(respondent=respondent)["case"]
    desk.ok("triage", f"/api/v1/complaints/{case['id']}/accept")
    desk.ok("triage", f"/api/v1/complaints/{case['id']}/assign", {"lead_department": "city-samr"})
    return case


def test_triage_officer_clears_the_queue(app: Flask, desk: Desk, seed_models: Path, page_factory: PageFactory) -> None:
    from playwright.sync_api import expect

    install_seed_model(app, seed_models)
    case = desk.register(**PROCEDURE)["case"]
    run_job(app)
    with live_server(app) as base_url:
        page = log_in(page_factory, base_url, "triage")
        expect(page.get_by_role("heading", name="分流台")).to_be_visible()
        card = page.locator(f"article[data-reference='{case['reference']}']")
        expect(card).to_contain_text("执法程序不规范")  # the suggested category with its confidence
        expect(card).to_contain_text("依据词语")
        screenshot(page, "triage-queue", full_page=True)
        card.get_by_label("主办单位").select_option(label="市市场监督管理局")
        card.get_by_role("button", name="受理并交办").click()
        expect(page.get_by_role("status")).to_contain_text(f"{case['reference']} 已受理并交办")
        expect(page.locator(f"article[data-reference='{case['reference']}']")).to_have_count(0)
        screenshot(page, "triage-after")
        phone = log_in(page_factory, base_url, "triage", PHONE)
        expect(phone.get_by_role("heading", name="分流台")).to_be_visible()
        screenshot(phone, "triage-phone", full_page=True)
    assert desk.detail("triage", case["id"])["case"]["status"] == "assigned"


def test_department_handler_signs_and_replies_on_a_phone(app: Flask, desk: Desk, page_factory: PageFactory) -> None:
    from playwright.sync_api import expect

    case = assigned_case(desk)
    with live_server(app) as base_url:
        page = log_in(page_factory, base_url, "samr.handler", PHONE)
        expect(page.get_by_role("heading", name="承办台")).to_be_visible()
        screenshot(page, "desk-phone", full_page=True)
        page.get_by_role("link", name=case["reference"]).click()
        expect(page.locator("#case")).to_contain_text("诉求人身份依法保密")
        page.get_by_role("button", name="签收").click()
        expect(page.get_by_role("status")).to_contain_text(f"已签收 {case['reference']}")
        page.get_by_label("答复意见").fill("经核查，执法人员已补正执法文书，并退还扣押物品。")
        page.get_by_role("button", name="提交答复").click()
        expect(page.get_by_role("status")).to_contain_text("已提交")
        screenshot(page, "case-replied-phone", full_page=True)
    detail = desk.detail("supervisor", case["id"])["case"]
    assert detail["status"] == "replied"
    assert detail["legs"][0]["reply"].startswith("经核查")


def test_supervisor_escalates_and_reveals_the_identity(app: Flask, desk: Desk, page_factory: PageFactory) -> None:
    from playwright.sync_api import expect

    case = assigned_case(desk, respondent="东城区某街道办事处")  # never revealed to the unit complained about
    with live_server(app) as base_url:
        page = log_in(page_factory, base_url, "supervisor")
        expect(page.get_by_role("heading", name="督办看板")).to_be_visible()
        expect(page.locator("#by-department")).to_contain_text("市市场监督管理局")
        screenshot(page, "board", full_page=True)
        page.goto(f"/console/cases/{case['id']}")
        expect(page.locator("#case")).to_contain_text("刘建国")  # the center sees who complained
        page.get_by_label("督办级别").select_option("yellow")
        page.get_by_label("说明").fill("逾期未签收")
        page.get_by_role("button", name="提高督办级别").click()
        expect(page.get_by_role("status")).to_contain_text("督办级别已调整")
        expect(page.locator("#case")).to_contain_text("黄牌督办")
        page.get_by_text("向承办单位披露诉求人身份").click()
        page.get_by_label("披露理由（将记录在案）").fill("需当面核实情况")
        page.get_by_role("button", name="披露身份").click()
        expect(page.get_by_role("status")).to_contain_text("已向市市场监督管理局披露")
        screenshot(page, "case-supervised", full_page=True)
    seen = desk.detail("samr.handler", case["id"])
    assert seen["complainants"][0]["name"] == "刘建国"


def test_supervisor_approves_an_extension_then_reviews_and_closes(
    app: Flask, desk: Desk, page_factory: PageFactory
) -> None:
    from playwright.sync_api import expect

    case = assigned_case(desk)
    url = f"/api/v1/complaints/{case['id']}"
    leg = desk.detail("samr.handler", case["id"])["case"]["legs"][0]["id"]
    desk.ok("samr.handler", f"{url}/legs/{leg}/sign")
    desk.ok("samr.handler", f"{url}/legs/{leg}/extension", {"days": 20, "reason": "需调取执法记录仪视频核实"})
    with live_server(app) as base_url:
        page = log_in(page_factory, base_url, "supervisor")
        requests = page.locator("#extension-requests")
        expect(requests).to_contain_text("需调取执法记录仪视频核实")
        screenshot(page, "board-extension-requests", full_page=True)
        requests.get_by_role("link", name=case["reference"]).click()
        page.get_by_label("审批意见").fill("同意延期")
        page.get_by_role("button", name="批准延期").click()
        expect(page.get_by_role("status")).to_contain_text("延期申请已批准")
        expect(page.locator("#extensions")).to_contain_text("已批准")
        expect(page.locator("#documents")).to_contain_text("延期告知书")

        desk.ok("samr.handler", f"{url}/legs/{leg}/reply", {"reply": "经核查，已撤销顶格处罚，改为责令改正。"})
        page.reload()
        actions = page.locator("#center-actions")
        expect(actions).to_contain_text("经核查，已撤销顶格处罚")
        actions.get_by_role("button", name="开始审核").click()
        expect(page.get_by_role("status")).to_contain_text("已进入审核")
        conclusion = page.get_by_label("办结答复意见（将以答复意见书告知诉求人）")
        expect(conclusion).to_have_value("经核查，已撤销顶格处罚，改为责令改正。")
        conclusion.fill("经审核，承办单位已撤销顶格处罚并责令改正，现予办结。")
        screenshot(page, "case-under-review", full_page=True)
        page.get_by_role("button", name="审核通过并办结").click()
        expect(page.get_by_role("status")).to_contain_text(f"{case['reference']} 已办结")
        expect(page.locator("#case")).to_contain_text("已办结")
        expect(page.locator("#documents")).to_contain_text("答复意见书")
        screenshot(page, "case-closed", full_page=True)
    detail = desk.detail("supervisor", case["id"])
    assert detail["case"]["status"] == "closed"
    assert detail["case"]["conclusion"].startswith("经审核")
    assert detail["extensions"][0]["status"] == "approved"
