"""Every date shown with its weekday, set once: the project's date formats and the
``|day`` / ``|day_time`` filters of ``web``."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template import Context, Template
from django.utils import translation
from workflow_support import pair, suggest

pytestmark = pytest.mark.django_db

TUESDAY = dt.date(2027, 1, 5)


def render(source: str, **context) -> str:
    return Template("{% load web_tags %}" + source).render(Context(context))


def test_dates_carry_their_weekday_in_japanese_and_english():
    with translation.override("ja"):
        assert render("{{ d|date }}", d=TUESDAY) == "2027年1月5日(火)"
        assert render("{{ d|day }}", d=TUESDAY) == "2027年1月5日(火)"
    with translation.override("en"):
        assert render("{{ d|day }}", d=TUESDAY) == "Tue, Jan. 5, 2027"


def test_a_datetime_shows_its_local_day():
    # 20:30 UTC on Monday is 05:30 on Tuesday in Japan
    moment = dt.datetime(2027, 1, 4, 20, 30, tzinfo=dt.UTC)
    with translation.override("ja"):
        assert render("{{ m|day }}", m=moment) == "2027年1月5日(火)"
        assert render("{{ m|day_time }}", m=moment) == "2027年1月5日(火) 05:30"
        assert render("{{ m|day }}", m=None) == ""


def test_review_queue_shows_a_posts_period_with_weekdays(client, people):
    need, offer = pair(people, starts_on=TUESDAY, ends_on=dt.date(2027, 3, 31))
    suggest(need, offer, 0.9)
    client.force_login(people["coordinator"])
    html = client.get("/coord/review/").content.decode()
    assert "2027年1月5日(火) 〜 2027年3月31日(水)" in html


def test_slot_page_shows_days_with_weekdays(client, people):
    client.force_login(people["coordinator"])
    html = client.get("/coord/slots/", {"week": "2027-01-05"}).content.decode()
    assert "2027年1月4日(月)〜2027年1月10日(日) の相談のコマ" in html
