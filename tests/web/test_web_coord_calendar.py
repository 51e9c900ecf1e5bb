"""The coordinators' week calendar of consultation slots on /coord/slots/."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from workflow_support import drive, two_party_match

from matching.consultations.services import book
from matching.consultations.slots import publish_slot


def _slot(people, day: dt.date, hour: int, place: str):
    start = timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))
    return publish_slot(people["coordinator"], starts_at=start,
                        ends_at=start + dt.timedelta(hours=1), place=place)  # fmt: skip


def test_week_calendar_shows_the_weeks_slots_bookings_and_holidays(client, people):
    monday = dt.date(2027, 11, 22)  # Tuesday 23 November 2027 is 勤労感謝の日
    booked = _slot(people, monday + dt.timedelta(days=2), 10, "市役所3階 会議室A")
    _slot(people, monday + dt.timedelta(days=9), 14, "来週の市民活動センター")
    match = drive(two_party_match(people), "introduced", people["coordinator"])
    book(booked, match, people["member"])
    client.force_login(people["coordinator"])

    html = client.get("/coord/slots/", {"week": "2027-11-24"}).content.decode()
    assert "2027年11月22日(月)〜2027年11月28日(日) の相談のコマ" in html  # any day: its Monday
    assert "勤労感謝の日" in html
    week = html[html.index('class="week-calendar"') : html.index("これからのコマ")]
    assert "市役所3階 会議室A" in week and "予約 1 / 1" in week
    assert match.title in week and f"/coord/matches/{match.pk}/" in week
    assert "来週の市民活動センター" not in week

    html = client.get("/coord/slots/", {"week": "2027-11-29"}).content.decode()
    week = html[html.index('class="week-calendar"') : html.index("これからのコマ")]
    assert "来週の市民活動センター" in week and "市役所3階 会議室A" not in week
    assert "?week=2027-11-22#week" in html and "?week=2027-12-06#week" in html


def test_bad_week_parameter_says_so_and_shows_this_week(client, people):
    client.force_login(people["coordinator"])
    response = client.get("/coord/slots/", {"week": "来週"})
    assert response.status_code == 400  # the page still shows this week, and says why
    html = response.content.decode()
    assert "週の指定が正しくありません" in html
    monday = timezone.localdate() - dt.timedelta(days=timezone.localdate().weekday())
    assert f"{monday.year}年{monday.month}月{monday.day}日(月)〜" in html


def test_calendar_is_for_coordinators_only(client, people):
    client.force_login(people["staff"])
    assert client.get("/coord/slots/").status_code in (302, 403)
