"""Deadlines that are seen on the coordinators' pages: the match board, their home and the
KPI page flag overdue items with a badge, a colour and a count — never as plain text."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from outcomes_support import make_match

from matching.models import ConsultationBooking, ConsultationSlot

pytestmark = pytest.mark.django_db


@pytest.fixture
def overdue(people):
    """An introduction 16 days past its response deadline (both parties silent), and a
    consultation held three weeks ago without minutes."""
    answer = make_match(
        people, state="introduced", completed_on=None, title="16日超過の紹介",
        response_due_on=timezone.localdate() - dt.timedelta(days=16),
    )  # fmt: skip
    consulting = make_match(people, state="consulting", completed_on=None, title="相談中の協働")
    start = timezone.now() - dt.timedelta(days=21)
    slot = ConsultationSlot.objects.create(starts_at=start, ends_at=start + dt.timedelta(hours=1))
    ConsultationBooking.objects.create(slot=slot, match=consulting)
    make_match(people, state="active", completed_on=None, title="順調な協働")
    return {"answer": answer, "consulting": consulting}


def _card(html: str, title: str) -> str:
    start = html.index(title)
    return html[html.rindex('<li class="coord-card', 0, start) : html.index("</li>\n", start)]


def test_the_board_flags_a_sixteen_days_overdue_answer_in_red(client, people, overdue):
    client.force_login(people["coordinator"])
    html = client.get("/coord/matches/").content.decode()
    card = _card(html, "16日超過の紹介")
    assert "coord-card-overdue" in card
    assert "deadline-late" in card and "回答期限切れ" in card and "16日超過" in card
    assert "要対応" in card
    # The plain 「回答期限 YYYY-MM-DD」 is replaced by the badge.
    assert "（回答期限" not in card
    assert "議事録が未記入" in _card(html, "相談中の協働")
    assert "deadline" not in _card(html, "順調な協働")
    # Counts: on the page and on the columns.
    summary = re.search(r'<span class="deadline-count">(\d+)</span>', html)
    assert summary and summary.group(1) == "3"
    assert "期限切れ 2" in html and "期限切れ 1" in html


def test_the_coordinators_home_lists_what_needs_action(client, people, overdue):
    client.force_login(people["coordinator"])
    html = client.get("/coord/").content.decode()
    assert "コーディネーターのホーム" in html
    assert "16日超過" in html and "deadline-late" in html
    assert f'href="/coord/matches/{overdue["answer"].pk}/"' in html
    assert f'href="/coord/matches/{overdue["consulting"].pk}/"' in html
    assert "紹介の依頼（未対応）" in html


def test_the_coordinators_home_is_for_coordinators(client, people):
    assert client.get("/coord/").status_code == 302
    client.force_login(people["member"])
    assert client.get("/coord/").status_code == 403


def test_the_kpi_page_counts_overdue_items(client, people, overdue):
    client.force_login(people["coordinator"])
    html = client.get("/coord/kpi/").content.decode()
    assert "期限切れの対応（現在）" in html
    assert re.search(r'deadline-late"><strong>3</strong>', html)
    assert "議事録が未記入: <strong>1</strong>" in html


def test_nothing_overdue_says_so(client, people):
    client.force_login(people["coordinator"])
    assert "期限を過ぎたものはありません。" in client.get("/coord/matches/").content.decode()
