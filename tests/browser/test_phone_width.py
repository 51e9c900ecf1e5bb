"""Every main page at a phone's width (390 px, an iPhone 12–15), per role, on the demo
city: the page itself never scrolls sideways, no table cell is squeezed so narrow that its
text breaks one character per line, and no box scrolls inside the page (filter choices
grow with the page instead); a wide table may scroll sideways in its own frame.

Screenshots of every page go to ``$SCREENSHOT_DIR`` (``phone-<role>-<page>.png``); with
``TSUNAGU_DOC_SCREENSHOTS=1`` a few are written to ``docs/screenshots/phone-*.png`` (the
first screenful, as on a phone).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser.conftest import PageGuard, screenshot_dir, session_cookie

pytestmark = [pytest.mark.browser]

PHONE = {"width": 390, "height": 844}
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
# Committed to docs/screenshots/ with TSUNAGU_DOC_SCREENSHOTS=1: (role, page) → (name,
# what the screenful starts at: a CSS selector, or None for the top of the page).
DOC_SHOTS = {
    ("public", "menu"): ("phone-menu", None),
    ("npo", "my"): ("phone-member-home", "#h-posts"),
    ("coordinator", "coord-matches"): ("phone-coord-matches", "main h1"),
    ("coordinator", "coord-review"): ("phone-coord-review", "main h1"),
}

# What a page must not do at 390 px, measured in the page (see the script's comment).
MEASURE = (Path(__file__).parent / "phone_measure.js").read_text(encoding="utf-8")


def _pages() -> dict[str, tuple[object, list[tuple[str, str]]]]:
    """(user or None, [(page name, path)]) per role, on the demo city's data."""
    from django.urls import reverse

    from matching.models import Match
    from meetings.models import Meeting
    from organizations.models import Organization, User
    from proposals.models import Need, Offer

    npo_user = User.objects.get(username="demo-npo")
    staff = User.objects.get(username="demo-korei")
    coordinator = User.objects.get(username="demo-coord")
    npo = npo_user.memberships.get().organization
    department = staff.memberships.get().organization
    need = Need.objects.filter(status="open").order_by("pk").first()
    offer = Offer.objects.filter(status="open").order_by("pk").first()
    own_offer = Offer.objects.filter(organization=npo).order_by("pk").first()
    own_need = Need.objects.filter(organization=department).order_by("pk").first()
    npo_match = Match.objects.filter(parties__organization=npo).order_by("pk").first()
    staff_match = Match.objects.filter(parties__organization=department).order_by("pk").first()
    any_match = Match.objects.order_by("-pk").first()
    organization = Organization.objects.filter(is_verified=True).order_by("pk").first()
    public = [
        ("home", "/"),
        ("menu", "/menu/"),
        ("need", f"/needs/{need.pk}/"),
        ("offer", f"/offers/{offer.pk}/"),
        ("organizations", "/organizations/"),
        ("organization", f"/organizations/{organization.pk}/"),
        ("cases", "/cases/"),
        ("about", "/about/"),
        ("login", "/accounts/login/"),
        ("signup", "/accounts/signup/"),
        ("terms", "/terms/"),
        ("privacy", "/privacy/"),
        ("contact", "/contact/"),
    ]
    member = [
        ("my", "/my/"),
        ("inbox", "/my/notifications/"),
        ("notification-settings", "/my/notifications/settings/"),
        ("requests", "/my/requests/"),
        ("privacy", "/my/privacy/"),
    ]
    npo_pages = [
        *member,
        ("offer-suggestions", f"/my/offers/{own_offer.pk}/suggestions/"),
        ("offer-new", "/my/offers/new/"),
        ("match", f"/my/matches/{npo_match.pk}/"),
    ]
    staff_pages = [
        *member,
        ("need-suggestions", f"/my/needs/{own_need.pk}/suggestions/"),
        ("need-edit", f"/my/needs/{own_need.pk}/edit/"),
        ("match", f"/my/matches/{staff_match.pk}/"),
    ]
    coordinator_pages = [
        ("coord", "/coord/"),
        ("coord-review", "/coord/review/"),
        ("coord-interest", "/coord/interest/"),
        ("coord-matches", "/coord/matches/"),
        ("coord-match", f"/coord/matches/{any_match.pk}/"),
        ("coord-slots", "/coord/slots/"),
        ("coord-unverified", "/coord/organizations/unverified/"),
        ("coord-rescore", "/coord/rescore/"),
        ("coord-import", "/coord/import/"),
        ("coord-kpi", "/coord/kpi/"),
    ]
    # 交流の場: the demo city's upcoming meeting (published) and a held one, and the
    # organizer's pages of both (a coordinator may manage any meeting).
    meeting = Meeting.objects.get(status="published", registration_mode="open")
    held = Meeting.objects.filter(status="held").order_by("pk").first()
    public += [
        ("meetings", "/meetings/"),
        ("meetings-past", "/meetings/past/"),
        ("meeting", f"/meetings/{meeting.pk}/"),
        ("meeting-held", f"/meetings/{held.pk}/"),
    ]
    npo_pages += [("my-meetings", "/my/meetings/"), ("meeting-new", "/my/meetings/new/")]
    coordinator_pages += [
        ("meeting-manage", f"/my/meetings/{meeting.pk}/"),
        ("meeting-suggestions", f"/my/meetings/{meeting.pk}/suggestions/"),
        ("meeting-tables", f"/my/meetings/{meeting.pk}/tables/"),
        ("meeting-checkin", f"/my/meetings/{held.pk}/checkin/"),
        ("meeting-report", f"/my/meetings/{held.pk}/report/"),
        ("meeting-wishes", f"/my/meetings/{held.pk}/wishes/"),
        ("coord-rounds", reverse("coord:rounds")),
        ("coord-legal", reverse("coord-legal")),
    ]
    return {
        "public": (None, public),
        "npo": (npo_user, npo_pages),
        "department": (staff, staff_pages),
        "coordinator": (coordinator, coordinator_pages),
    }


def _doc_shot(page, name: str, start: str | None) -> None:
    if start is None:
        page.evaluate("() => window.scrollTo(0, 0)")
    else:
        page.locator(start).first.evaluate(
            "e => window.scrollTo(0, e.getBoundingClientRect().top + scrollY - 16)"
        )
    page.wait_for_timeout(300)
    path = DOCS / f"{name}.png"
    page.screenshot(path=str(path))
    if path.stat().st_size > 300_000:  # as docs/screenshots/make.py: JPEG when too large
        path.unlink()
        page.screenshot(path=str(DOCS / f"{name}.jpg"), type="jpeg", quality=80)


def test_every_main_page_fits_a_phone(browser, live_server, _reference_data_after_flush):
    from django.core.management import call_command

    call_command("load_demo", allow_insecure_passwords=True, quiet=True)
    guard = PageGuard(live_server.url)
    problems: list[str] = []
    folder = screenshot_dir()
    for role, (user, pages) in _pages().items():
        context = browser.new_context(
            base_url=live_server.url,
            locale="ja-JP",
            viewport=PHONE,
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
        )
        context.set_default_timeout(15_000)
        try:
            if user is not None:
                context.add_cookies([session_cookie(user, live_server.url)])
            page = context.new_page()
            guard.attach(page)
            for name, path in pages:
                response = page.goto(path)
                if response is None or response.status != 200:
                    status = response.status if response else "none"
                    problems.append(f"{role} {path}: HTTP {status}")
                    continue
                page.wait_for_load_state("networkidle")
                if os.environ.get("TSUNAGU_DOC_SCREENSHOTS") and (role, name) in DOC_SHOTS:
                    _doc_shot(page, *DOC_SHOTS[role, name])
                found = page.evaluate(MEASURE)
                page.screenshot(path=str(folder / f"phone-{role}-{name}.png"), full_page=True)
                problems += [f"{role} {path}: {problem}" for problem in found]
        finally:
            context.close()
    problems += guard.problems
    assert not problems, "at 390 px:\n" + "\n".join(problems)


def test_the_measure_sees_a_squeezed_table_and_a_page_too_wide(browser):
    """The measure itself: what it must catch, so that a quiet run means a fitting page."""
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        page.set_content(
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            "<main><table style='width:100%'><tr>"
            + "".join(f"<td>協働テーマの名前{i}</td>" for i in range(12))
            + "</tr></table><div style='width:600px'>wide</div>"
            "<div style='max-height:3rem;overflow-y:auto'>" + "<p>行</p>" * 10 + "</div></main>"
        )
        found = "\n".join(page.evaluate(MEASURE))
    finally:
        context.close()
    assert "page is" in found and "wide:" in found
    assert "cell" in found and "wraps" in found
    assert "scrolls inside the page" in found
