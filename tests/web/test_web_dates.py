"""Every date shown with its weekday, set once: the project's date formats and the
``|day`` / ``|day_time`` filters of ``web``."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template import Context, Template
from django.utils import timezone, translation
from workflow_support import pair, suggest, two_party_match

from lib.dates import day_text, day_time_text
from matching.matches import workflow
from matching.matches.interest import create_interest_request
from matching.models import ConsultationSlot, Match
from notifications.models import Notification

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


def test_public_post_list_shows_the_period_with_weekdays(client, people):
    need, _offer = pair(people, starts_on=TUESDAY, ends_on=dt.date(2027, 3, 31))
    html = client.get("/menu/").content.decode()
    assert need.title in html
    assert "2027年1月5日(火)〜2027年3月31日(水)" in html


def test_coordinator_interest_page_shows_the_request_day_with_its_weekday(client, people):
    need, _offer = pair(people)
    create_interest_request(people["member"], people["npo"], need=need, message="話したい")
    client.force_login(people["coordinator"])
    html = client.get("/coord/interest/").content.decode()
    with translation.override("ja"):
        today = render("{{ d|day }}", d=timezone.localdate())
    assert f"依頼日 {today}" in html


def test_notification_bodies_name_dates_with_their_weekday(people):
    match = two_party_match(people)
    with translation.override("ja"):
        workflow.introduce(match, people["coordinator"])
        due = render("{{ d|day }}", d=Match.objects.get(pk=match.pk).response_due_on)
    body = Notification.objects.filter(recipient=people["member"]).latest("pk").body
    assert f"{due} までにご回答ください" in body
    assert due.endswith(")")


def test_dates_in_messages_carry_their_weekday():
    # lib.dates: what notifications and messages use (the pages use |day / |day_time).
    moment = dt.datetime(2027, 1, 4, 20, 30, tzinfo=dt.UTC)
    with translation.override("ja"):
        assert day_text(TUESDAY) == "2027年1月5日(火)"
        assert day_text(moment) == "2027年1月5日(火)"
        assert day_time_text(moment) == "2027年1月5日(火) 05:30"
    with translation.override("en"):
        assert day_text(TUESDAY) == "Tue, Jan. 5, 2027"


def test_a_slot_is_named_by_its_local_day_and_weekday(people):
    # what the admin's lists and choices show for a consultation slot
    start = timezone.make_aware(dt.datetime(2027, 1, 5, 10, 0))
    slot = ConsultationSlot(starts_at=start, ends_at=start + dt.timedelta(hours=1), place="会議室A")
    with translation.override("ja"):
        assert str(slot) == "2027年1月5日(火) 10:00 会議室A"
