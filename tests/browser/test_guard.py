"""The page guard itself: what it must catch, so that a quiet journey means a clean one."""

from __future__ import annotations

import pytest

from tests.browser.conftest import PageGuard

pytestmark = pytest.mark.browser


def test_guard_catches_console_errors_page_errors_and_5xx(browser):
    base = "http://guard.invalid"
    context = browser.new_context()
    try:
        page = context.new_page()
        guard = PageGuard(base)
        guard.attach(page)
        page.route(f"{base}/**", lambda route: route.fulfill(status=500, body="boom"))
        page.set_content(
            "<script>console.error('broken widget');"
            "setTimeout(function () { throw new Error('uncaught'); }, 0);</script>"
        )
        page.wait_for_timeout(200)
        page.goto(f"{base}/coord/")
    finally:
        context.close()
    text = "\n".join(guard.problems)
    assert "console error: broken widget" in text
    assert "page error: uncaught" in text
    assert f"HTTP 500 from {base}/coord/" in text
