"""Driving the web console as a person would: the app served live on 127.0.0.1 and Debian's Chromium driven by
Playwright (never ``playwright install``: the browser is the ``chromium`` package, installed by .ci/run).

A test module imports the fixtures ``browser`` (one headless Chromium per test session, launched on first use;
the test is skipped, or failed under CI=true, when Chromium or playwright is missing) and ``page_factory`` (pages
in fresh contexts with ``locale='zh-CN'``, at ``DESKTOP`` or ``PHONE`` size, all closed when the test ends, pass
or fail) through their functions, which are named apart so that test arguments don't shadow the imports::

    from .browser import PHONE, PageFactory, live_server, screenshot
    from .browser import browser_fixture as browser_fixture  # the fixture browser
    from .browser import page_factory_fixture as page_factory_fixture  # the fixture page_factory

``screenshot`` saves PNGs under ``$TEST_ARTIFACTS`` (default ``test-artifacts/`` in the repository), a folder per
test. Import playwright itself (``expect``) inside the test functions, so that a venv without it skips them
rather than failing the collection of the whole suite."""

from __future__ import annotations

import functools
import os
import re
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from flask import Flask
from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

from .services import require

if TYPE_CHECKING:  # imported where used, so that a venv without playwright skips these tests instead of erroring
    from playwright.sync_api import Browser, Page, Playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking"]
REPO = Path(__file__).resolve().parents[1]
TIMEOUT_MS = 10_000  # for every Playwright action and navigation; a healthy local page takes well under a second


@dataclass(frozen=True)
class Screen:
    width: int
    height: int
    mobile: bool = False


DESKTOP = Screen(1280, 800)
PHONE = Screen(390, 844, mobile=True)


@functools.cache
def chromium_problem() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as error:
        return f"playwright does not import ({error}; pip install -r requirements-dev.txt)"
    return None


class _QuietHandler(WSGIRequestHandler):
    timeout = 30  # an idle keep-alive connection the browser left open ends its thread

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class _LiveServer(ThreadedWSGIServer):  # what werkzeug's make_server(..., threaded=True) builds
    block_on_close = False  # closing does not wait on keep-alive connections of contexts still open


@contextmanager
def live_server(app: Flask) -> Iterator[str]:
    """Serve ``app`` on a free port of 127.0.0.1 in a background thread; yield its base URL."""
    server = _LiveServer("127.0.0.1", 0, app, handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


class _Chromium:
    """The session's one browser, shared by every module that imports the fixture."""

    playwright: Playwright | None = None
    browser: Browser | None = None

    @classmethod
    def get(cls) -> Browser:
        if cls.browser is None or not cls.browser.is_connected():
            from playwright.sync_api import sync_playwright

            cls.close()
            cls.playwright = sync_playwright().start()
            cls.browser = cls.playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        return cls.browser

    @classmethod
    def close(cls) -> None:
        browser, playwright, cls.browser, cls.playwright = cls.browser, cls.playwright, None, None
        try:
            if browser is not None:
                browser.close()
        finally:
            if playwright is not None:
                playwright.stop()


@pytest.fixture(scope="session", name="browser")
def browser_fixture() -> Iterator[Browser]:
    require("Chromium", chromium_problem())
    yield _Chromium.get()
    _Chromium.close()


class PageFactory:
    """Opens each page in a context of its own; ``close`` closes them all."""

    def __init__(self, browser: Browser) -> None:
        self._browser = browser
        self._contexts = ExitStack()

    def __call__(self, screen: Screen = DESKTOP, *, base_url: str | None = None) -> Page:
        context = self._browser.new_context(
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            viewport={"width": screen.width, "height": screen.height},
            is_mobile=screen.mobile,
            has_touch=screen.mobile,
            base_url=base_url,
        )
        self._contexts.callback(context.close)
        context.set_default_timeout(TIMEOUT_MS)
        return context.new_page()

    def close(self) -> None:
        self._contexts.close()


@pytest.fixture(name="page_factory")
def page_factory_fixture(browser: Browser) -> Iterator[PageFactory]:
    factory = PageFactory(browser)
    try:
        yield factory
    finally:
        factory.close()


def requested_urls(page: Page) -> list[str]:
    """The URLs ``page`` requests from now on, in a list that grows as it does (to check nothing leaves the app)."""
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))  # playwright refuses a bound builtin like .append
    return urls


def artifacts_dir(node_id: str | None = None) -> Path:
    """This test's artifact folder (created): ``$TEST_ARTIFACTS/<sanitized node id>``."""
    if node_id is None:  # "tests/test_x.py::test_y[sqlite] (call)"
        node_id = os.environ.get("PYTEST_CURRENT_TEST", "unknown-test").rsplit(" (", 1)[0]
    root = Path(os.environ.get("TEST_ARTIFACTS") or REPO / "test-artifacts")
    folder = root / re.sub(r"[^A-Za-z0-9._-]+", "_", node_id).strip("_")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def screenshot(page: Page, name: str, *, full_page: bool = False) -> Path:
    """Save a PNG of what ``page`` shows (or of the whole page) as a test artifact and return its path."""
    path = artifacts_dir() / f"{re.sub(r'[^A-Za-z0-9._-]+', '_', name)}.png"
    page.screenshot(path=path, full_page=full_page)
    return path
