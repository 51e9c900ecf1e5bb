"""The demo city at N× its size (``load_demo --scale N``), and the pages users see most
keeping the same number of SQL queries whatever the size of the city."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import CaptureQueriesContext

from demo.loader import DEMO_PASSWORD, DEMO_SOURCE, DemoError, load_demo, remove_demo
from demo.scale import SCALE_USER_PREFIX, current_factor, scale_demo, score_demo

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _counts() -> dict[str, int]:
    from matching.models import ConsultationBooking, Evaluation, Match, MatchParty
    from organizations.models import Organization
    from proposals.models import Need, Offer

    return {
        "organizations": Organization.objects.filter(source=DEMO_SOURCE).count(),
        "needs": Need.objects.filter(source=DEMO_SOURCE).count(),
        "offers": Offer.objects.filter(source=DEMO_SOURCE).count(),
        # The scale-up copies the matches of matches.yaml, not the demo meetings (nor the
        # match that came out of one).
        "matches": Match.objects.exclude(origin=Match.Origin.MEETING).count(),
        "parties": MatchParty.objects.exclude(match__origin=Match.Origin.MEETING).count(),
        "evaluations": Evaluation.objects.count(),
        "bookings": ConsultationBooking.objects.count(),
    }


def test_scaled_demo(db):
    from matching.models import ConsultationSlot, Match, Suggestion
    from notifications.models import Notification
    from organizations.models import Organization, User
    from proposals.models import Need, Offer

    load_demo(allow_insecure_passwords=True)
    base = _counts()
    call_command("load_demo", "--scale", "3", "--quiet", "--allow-insecure-passwords")
    assert current_factor() == 3
    scaled = _counts()
    for name, count in base.items():
        assert scaled[name] == 3 * count, name

    # Copies are distinct, valid, Japanese, in every match state, with engine suggestions.
    ids = list(Organization.objects.values_list("external_id", flat=True))
    assert len(ids) == len(set(ids))
    names = Counter(Organization.objects.values_list("name", flat=True))
    assert names.most_common(1)[0][1] <= 3  # copies take other districts' names
    for model in (Need, Offer):
        ext = list(model.objects.values_list("external_id", flat=True))
        assert len(ext) == len(set(ext))
        for post in model.objects.filter(external_id__endswith="-x03")[:10]:
            post.full_clean()
            assert JAPANESE.search(post.title) and "lorem" not in post.description.lower()
            assert post.search_text  # searchable on the menu
    copied = Match.objects.filter(need__external_id__endswith="-x02")
    assert set(copied.values_list("state", flat=True)) == set(
        Match.objects.filter(need__external_id__regex=r"^demo-need-\d+$").values_list(
            "state", flat=True
        )
    )
    assert len(set(copied.values_list("state", flat=True))) >= 7
    assert Suggestion.objects.filter(need__external_id__endswith="-x03").exists()
    slots = ConsultationSlot.objects.all()
    assert all(s.booked_count <= s.capacity for s in slots)
    korei = User.objects.get(username="demo-korei")
    assert Notification.objects.filter(recipient=korei).count() > 0
    assert Need.objects.filter(organization__memberships__user=korei).count() == 3 * (
        Need.objects.filter(
            organization__memberships__user=korei, external_id__regex=r"^demo-need-\d+$"
        ).count()
    )

    # The demo logins still work; the copies' members have no usable password.
    client = Client()
    login = {"username": "demo-korei", "password": DEMO_PASSWORD}
    assert client.post("/accounts/login/", login).status_code == 302
    assert client.get("/my/").status_code == 200
    member = User.objects.filter(username__startswith=SCALE_USER_PREFIX).first()
    assert not member.has_usable_password()

    # Same size again: nothing added; another size: refused; the plain demo reload keeps it.
    scale_demo(3)
    assert _counts() == scaled
    with pytest.raises(DemoError):
        scale_demo(5)
    with pytest.raises(CommandError):
        call_command("load_demo", "--scale", "5", "--quiet", "--allow-insecure-passwords")
    load_demo(allow_insecure_passwords=True)
    assert _counts() == scaled

    remove_demo()
    assert Organization.objects.filter(source=DEMO_SOURCE).count() == 0
    assert not User.objects.filter(username__startswith="demo-").exists()
    assert Match.objects.count() == 0


def _pages() -> list[tuple[str, str]]:
    from proposals.models import Need

    need = (
        Need.objects.filter(
            organization__memberships__user__username="demo-korei",
            status="open",
            external_id__regex=r"^demo-need-\d+$",
        )
        .order_by("external_id")
        .first()
    )
    return [
        ("demo-korei", "/my/"),
        ("demo-npo", "/my/"),
        ("demo-coord", "/coord/review/"),
        ("demo-coord", "/coord/review/?field=children&area=demo-minato"),
        ("demo-coord", "/coord/review/?page=2"),
        ("", "/menu/?q=子ども"),
        ("", "/menu/?q=子ども&field=children&area=demo-minato"),
        ("", "/menu/?type=offers&q=高齢者"),
        ("demo-korei", f"/my/needs/{need.pk}/suggestions/"),
    ]


def _queries(pages: list[tuple[str, str]]) -> dict[str, int]:
    from organizations.models import User

    counts = {}
    for username, url in pages:
        client = Client()
        if username:
            client.force_login(User.objects.get(username=username))
        assert client.get(url).status_code == 200, url
        reset_queries()
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200, url
        counts[f"{username} {url}"] = len(captured)
    return counts


def test_page_queries_do_not_grow_with_the_city(db):
    """Member home, review queue, menu search and post suggestions: the same number of
    queries on the demo city and on 2× it (an N+1 would add one per extra row)."""
    load_demo(allow_insecure_passwords=True)
    score_demo()
    pages = _pages()
    small = _queries(pages)
    scale_demo(2)
    large = _queries(pages)
    assert large == small
