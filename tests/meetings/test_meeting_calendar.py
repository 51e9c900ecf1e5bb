"""Meetings in calendars (meetings.calendar): the .ics of a registration (content, who may
download it) and the meetings in the personal calendar feed (/calendar/<token>.ics), which
matching serves through the provider registry in lib.calendar_feed."""

from __future__ import annotations

import pytest
from conftest import make_org, make_user
from icalendar import Calendar
from meeting_support import make_meeting

from lib import calendar_feed
from matching.consultations import ical
from meetings import calendar, services

pytestmark = pytest.mark.django_db


@pytest.fixture
def ctx(people):
    meeting = make_meeting(
        people["department"],
        people["staff"],
        capacity=3,
        venue_address="テスト市北区1-2-3",
        online_url="https://meet.example.jp/kosodate",
        sign_language=True,
    )
    registration = services.register(meeting, people["npo"], people["member"], 2, ["山田 太郎"])
    waiting = services.register(meeting, people["group"], people["other"], 3)
    outsider = make_user("outsider", make_org("無関係の会", "citizen_group"))
    return {
        "meeting": meeting,
        "registration": registration,
        "waiting": waiting,
        "outsider": outsider,
        **people,
    }


def _event(ics: bytes):
    cal = Calendar.from_ical(ics)
    assert cal["prodid"] and str(cal["version"]) == "2.0"
    (event,) = cal.events
    return event


# --- one registration's file ------------------------------------------------------------
def test_the_ics_of_a_registration(ctx):
    meeting, registration = ctx["meeting"], ctx["registration"]
    ics = calendar.registration_ics(registration)
    event = _event(ics)
    assert str(event["uid"]) == f"meeting-registration-{registration.pk}@tsunagu"
    start = event.decoded("dtstart")
    assert start == meeting.starts_at and str(start.tzinfo) == "Asia/Tokyo"
    assert event["dtstart"].params["TZID"] == "Asia/Tokyo"
    assert event.decoded("dtend") == meeting.ends_at
    assert any(c.name == "VTIMEZONE" for c in Calendar.from_ical(ics).walk())
    assert str(event["summary"]) == "交流会: 子育て支援の交流会"
    assert str(event["location"]) == "市民活動サポートセンター、テスト市北区1-2-3"
    assert str(event["url"]) == f"http://localhost:8000/meetings/{meeting.pk}/"
    assert str(event["status"]) == "CONFIRMED"
    description = str(event["description"])
    for text in (
        "NPO法人みどりの手（2人・参加確定）",
        "主催: テスト市 高齢福祉課",
        "オンライン: https://meet.example.jp/kosodate",
        "手話通訳",
        f"/meetings/{meeting.pk}/",
    ):
        assert text in description
    assert "山田 太郎" not in ics.decode()  # attendee names stay out
    assert ctx["npo"].contact_email not in ics.decode()

    assert str(_event(calendar.registration_ics(ctx["waiting"]))["status"]) == "TENTATIVE"


def test_a_cancelled_meeting_or_registration_is_cancelled_with_the_same_uid(ctx):
    registration = ctx["registration"]
    first = _event(calendar.registration_ics(registration))
    services.cancel_meeting(ctx["meeting"], ctx["staff"], reason="台風のため")
    registration.refresh_from_db()
    event = _event(calendar.registration_ics(registration))
    assert str(event["status"]) == "CANCELLED"
    assert str(event["uid"]) == str(first["uid"])
    assert int(event["sequence"]) >= int(first["sequence"])
    assert str(event["summary"]).startswith("【中止】")
    assert "中止の理由: 台風のため" in str(event["description"])

    waiting = ctx["waiting"]
    waiting.refresh_from_db()
    assert str(_event(calendar.registration_ics(waiting))["status"]) == "CANCELLED"


def test_an_online_meeting_is_located_at_its_url(people):
    meeting = make_meeting(
        people["department"], people["staff"], venue_name="", online_url="https://meet.example.jp/x"
    )
    registration = services.register(meeting, people["npo"], people["member"], 1)
    assert str(_event(calendar.registration_ics(registration))["location"]) == (
        "https://meet.example.jp/x"
    )


def test_the_ics_api_for_the_registrant_the_organizer_and_coordinators_only(ctx, api):
    meeting, registration = ctx["meeting"], ctx["registration"]
    url = f"/api/v1/meetings/{meeting.pk}/registrations/{registration.pk}/ics/"
    assert api.get(url).status_code == 401
    for user in (ctx["member"], ctx["staff"], ctx["coordinator"], ctx["admin"]):
        api.force_authenticate(user)
        response = api.get(url)
        assert response.status_code == 200, user
        assert response["Content-Type"].startswith("text/calendar")
        assert "attachment" in response["Content-Disposition"]
        assert str(_event(response.content)["uid"]) == calendar.registration_uid(registration)
    api.force_authenticate(ctx["member"])
    assert api.get(url, HTTP_ACCEPT="text/calendar").status_code == 200  # a calendar client
    for user in (ctx["other"], ctx["outsider"]):  # another registrant, an outsider
        api.force_authenticate(user)
        response = api.get(url, HTTP_ACCEPT="text/calendar")
        assert response.status_code == 404
        assert response["Content-Type"].startswith("application/json")  # errors stay JSON
        assert b"BEGIN:VCALENDAR" not in response.content
    api.force_authenticate(ctx["member"])
    other_meeting = make_meeting(ctx["department"], ctx["staff"], title="別の会合")
    wrong = f"/api/v1/meetings/{other_meeting.pk}/registrations/{registration.pk}/ics/"
    assert api.get(wrong).status_code == 404  # a registration of another meeting


# --- the personal feed -------------------------------------------------------------------
def _feed(client, user) -> dict[str, object]:
    response = client.get(f"/calendar/{ical.feed_for(user).token}.ics")
    assert response.status_code == 200
    return {str(e["summary"]): e for e in Calendar.from_ical(response.content).events}


def test_the_meetings_provider_is_registered_at_start():
    assert "meetings" in calendar_feed.providers()


def test_the_feed_has_the_meeting_for_its_members_and_organizer_not_for_outsiders(ctx, client):
    meeting = ctx["meeting"]
    summary = "交流会: 子育て支援の交流会"
    event = _feed(client, ctx["member"])[summary]  # registered
    assert str(event["uid"]) == f"meeting-{meeting.pk}@tsunagu"
    assert str(event["status"]) == "CONFIRMED"
    assert event.decoded("dtstart") == meeting.starts_at
    assert "参加: NPO法人みどりの手（2人）" in str(event["description"])
    organizer_event = _feed(client, ctx["staff"])[summary]  # the organizer's member
    assert "あなたの団体の主催です。" in str(organizer_event["description"])
    assert summary not in _feed(client, ctx["other"])  # waiting: not (yet) in the calendar
    assert _feed(client, ctx["outsider"]) == {}
    assert _feed(client, ctx["coordinator"]) == {}  # not theirs

    # A draft is left out; a meeting a coordinator organizes without an organization is in.
    make_meeting(ctx["department"], ctx["staff"], publish=False, title="下書きの会")
    assert "交流会: 下書きの会" not in _feed(client, ctx["staff"])
    make_meeting(None, ctx["coordinator"], title="コーディネーターの研修会")
    assert "交流会: コーディネーターの研修会" in _feed(client, ctx["coordinator"])


def test_a_cancelled_meeting_stays_in_the_feed_as_cancelled(ctx, client):
    services.cancel_meeting(ctx["meeting"], ctx["staff"], reason="会場の都合")
    event = _feed(client, ctx["member"])["【中止】交流会: 子育て支援の交流会"]
    assert str(event["status"]) == "CANCELLED"
    assert str(event["uid"]) == f"meeting-{ctx['meeting'].pk}@tsunagu"


def test_a_cancelled_registration_leaves_the_feed(ctx, client):
    services.cancel_registration(ctx["registration"], ctx["member"])
    assert _feed(client, ctx["member"]) == {}
    # The waiting organization moved up: now the meeting is in its members' calendar.
    assert "交流会: 子育て支援の交流会" in _feed(client, ctx["other"])
