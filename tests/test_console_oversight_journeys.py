"""Oversight journeys in Debian's Chromium: the supervisor issues a 问题督办单 and prints it as PDF; an
administrator passes the second factor, enters next year's holiday schedule and provisional deadlines become
firm; the dashboard shows the seeded center's figures."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest
from flask import Flask

from complaints.database import db, utcnow
from complaints.deadlines import provisional_count

from .browser import PageFactory, live_server, screenshot
from .browser import browser_fixture as browser_fixture  # the fixture browser
from .browser import page_factory_fixture as page_factory_fixture  # the fixture page_factory
from .desk import Desk
from .test_console import first_unknown_year, pdf_text, schedule_for, seed_and_count
from .test_console_journeys import assigned_case, log_in


def test_supervisor_issues_a_supervision_notice_and_prints_it(
    app: Flask, desk: Desk, page_factory: PageFactory
) -> None:
    from playwright.sync_api import expect

    case = assigned_case(desk)
    with live_server(app) as base_url:
        page = log_in(page_factory, base_url, "supervisor")
        page.goto(f"/console/cases/{case['id']}")
        page.get_by_text("签发通知单").click()
        page.get_by_label("类型").select_option(label="问题督办单")
        page.get_by_label("送达单位").select_option(label="市市场监督管理局")
        page.get_by_label("事由").fill("案件逾期未签收")
        page.get_by_label("正文").fill("请立即签收并于期限内书面回复办理情况。")
        page.get_by_role("button", name="签发").click()
        expect(page.get_by_role("status")).to_contain_text("已签发问题督办单")
        expect(page.locator("#notice")).to_contain_text("请立即签收")
        screenshot(page, "notice", full_page=True)
        with page.expect_popup() as popup:
            page.get_by_role("link", name="打印（PDF）").click()
        pdf_url = popup.value.url
        pdf = page.request.get(pdf_url)
        assert pdf.headers["content-type"] == "application/pdf"
        text = pdf_text(pdf.body())
    assert "问题督办单" in text and "案件逾期未签收" in text


def test_administrator_enters_next_year_and_deadlines_become_firm(
    app: Flask, desk: Desk, page_factory: PageFactory
) -> None:
    from playwright.sync_api import expect

    year = first_unknown_year(app)
    assigned_case(desk)
    with app.app_context():
        if provisional_count(db.session) == 0:
            pytest.skip(f"no deadline of a case assigned today reaches {year}, the first year without a schedule")
    with live_server(app) as base_url:
        page = log_in(page_factory, base_url, "sysadmin")
        expect(page.get_by_role("heading", name="设置动态口令（双因素认证）")).to_be_visible()
        secret = page.locator("#totp-secret").inner_text()
        page.get_by_label("输入应用显示的六位数字以确认").fill(pyotp.TOTP(secret).now())
        page.get_by_role("button", name="启用").click()
        expect(page.get_by_role("heading", name="系统管理")).to_be_visible()
        page.get_by_role("link", name="节假日与调休安排").click()
        expect(page.locator("#provisional")).not_to_have_text("0")
        page.get_by_label("年份").fill(str(year))
        page.locator("textarea[name=schedule]").fill(schedule_for(year))
        page.get_by_role("button", name="保存并重新计算期限").click()
        expect(page.get_by_role("status")).to_contain_text("暂定期限已重新计算为正式期限")
        expect(page.locator("#provisional")).to_have_text("0")
        screenshot(page, "calendar-entered", full_page=True)
    with app.app_context():
        assert provisional_count(db.session) == 0


def test_the_dashboard_draws_the_seeded_center(app: Flask, desk: Desk, page_factory: PageFactory) -> None:
    from playwright.sync_api import expect

    seeded = seed_and_count(app)
    start = (utcnow() - timedelta(days=400)).date().isoformat()
    with live_server(app) as base_url:
        page = log_in(page_factory, base_url, "supervisor")
        page.goto(f"/console/dashboard?start={start}")
        for metric, value in seeded.funnel.items():
            expect(page.locator(f"[data-metric={metric}]")).to_have_text(str(value))
        row = page.locator("tr[data-department=city-samr]")
        for key in ("assigned", "signed"):
            expect(row.locator(f"[data-count={key}]")).to_have_text(str(seeded.samr[key]))
        expect(page.locator("svg#by-category rect").first).to_be_visible()
        screenshot(page, "dashboard", full_page=True)
