"""Browser tests (issue 6): Playwright drives Debian's chromium against pytest-django's
``live_server`` (a real HTTP server on the transactional test database).

Every page opened through ``new_page`` is guarded: a console error, an uncaught page error
(JavaScript exception) or an HTTP response >= 500 from the live server fails the test at
teardown, whatever the test itself asserted.

Without ``/usr/bin/chromium`` (or the ``playwright`` package) the tests are skipped with
the reason on a developer machine and fail in CI (``conftest._unavailable``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import _unavailable

CHROMIUM = Path(os.environ.get("TSUNAGU_CHROMIUM", "/usr/bin/chromium"))
# Playwright's own browser download cannot run here (and CI has no network for it):
# Debian's chromium, without the background services that would try to reach the network.
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 900}
PASSWORD = "pass-Tsunagu-2026"  # tests/conftest.py make_user()


def pytest_collection_modifyitems(items) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


def screenshot_dir() -> Path:
    """``$SCREENSHOT_DIR`` if set (CI: artifacts/screenshots), else
    ``$TSUNAGU_VAR_DIR/screenshots``."""
    from django.conf import settings

    folder = Path(os.environ.get("SCREENSHOT_DIR") or Path(settings.VAR_DIR) / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def shot(page, name: str) -> Path:
    """A full-page PNG of what the user sees now."""
    path = screenshot_dir() / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture(scope="package")
def browser() -> Iterator:
    if not CHROMIUM.exists():
        _unavailable(f"no chromium at {CHROMIUM} (apt-get install chromium fonts-noto-cjk)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -e '.[test]')")
    # Playwright's sync API keeps an asyncio loop on this thread; Django would then refuse
    # ORM calls from the test body ("async context"). The tests are plain sync code, so
    # allow it while the browser runs, and only then.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
            try:
                yield browser
            finally:
                browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


class PageGuard:
    """Collects what must never happen on a page: console errors, page errors, 5xx."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.problems: list[str] = []

    def attach(self, page) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        page.on("response", self._response)

    def _console(self, message) -> None:
        if message.type == "error":
            where = message.location.get("url", "") if message.location else ""
            self.problems.append(f"console error: {message.text} ({where})")

    def _response(self, response) -> None:
        if response.status >= 500 and response.url.startswith(self.base_url):
            self.problems.append(f"HTTP {response.status} from {response.url}")


@pytest.fixture
def new_page(browser, live_server, _reference_data_after_flush) -> Iterator[Callable]:
    """``new_page(user=None, login=False)``: a page in a browser context of its own
    (Japanese, 1280 px wide), signed in as ``user`` by a session cookie, or through the
    real login form with ``login=True``."""
    guard = PageGuard(live_server.url)
    contexts = []

    def open_page(user=None, *, login: bool = False, locale: str = "ja-JP"):
        context = browser.new_context(
            base_url=live_server.url,
            locale=locale,
            viewport=VIEWPORT,
            accept_downloads=True,
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        guard.attach(page)
        if user is not None and login:
            login_with_form(page, user.username)
        elif user is not None:
            context.add_cookies([session_cookie(user, live_server.url)])
        return page

    yield open_page
    for context in contexts:
        context.close()
    if guard.problems:
        pytest.fail("the browser saw errors:\n" + "\n".join(guard.problems), pytrace=False)


@pytest.fixture
def page(new_page):
    """An anonymous visitor's page."""
    return new_page()


def session_cookie(user, url: str) -> dict:
    """A signed-in session for ``user`` (as ``client.force_login`` makes it)."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": url,
    }


def login_with_form(page, username: str, password: str = PASSWORD) -> None:
    from playwright.sync_api import expect

    page.goto("/accounts/login/")
    page.get_by_label("ユーザー名").fill(username)
    page.get_by_label("パスワード").fill(password)
    page.get_by_role("button", name="ログイン").click()
    expect(page.get_by_role("button", name="ログアウト")).to_be_visible()


def number_in(text: str) -> int:
    """The first whole number in ``text`` (「3 件」 → 3)."""
    found = re.search(r"\d+", text)
    assert found, f"no number in {text!r}"
    return int(found.group())
