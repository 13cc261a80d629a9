"""The browser harness end to end: the app served live, the API docs page (Swagger UI, its assets served by the
app itself, no CDN) opened in Chromium at desktop and at phone width, a screenshot of each."""

from __future__ import annotations

import pytest
from flask import Flask

from .browser import DESKTOP, PHONE, PageFactory, live_server, requested_urls, screenshot
from .browser import browser_fixture as browser_fixture  # the fixture browser
from .browser import page_factory_fixture as page_factory_fixture  # the fixture page_factory

API_TITLE = "法治监督中心 投诉受理与督办 API"


@pytest.mark.usefixtures("desk")
def test_api_docs_render_from_the_app_alone_at_desktop_and_phone_width(app: Flask, page_factory: PageFactory) -> None:
    from playwright.sync_api import expect

    with live_server(app) as base_url:
        for name, screen in (("desktop", DESKTOP), ("phone", PHONE)):
            page = page_factory(screen, base_url=base_url)
            urls = requested_urls(page)
            page.goto("/api/docs")
            expect(page).to_have_title(API_TITLE)
            expect(page.locator(".swagger-ui .info .title")).to_contain_text(API_TITLE)
            expect(page.locator(".opblock").first).to_be_visible()  # the spec was fetched and rendered
            assert [url for url in urls if not url.startswith((f"{base_url}/", "data:"))] == []
            path = screenshot(page, name)
            assert path.read_bytes().startswith(b"\x89PNG")
