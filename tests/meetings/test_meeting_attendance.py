"""On the day (meetings.day.attendance): check-in from the list and by QR code, its window,
the meeting marked as held, the attendance list; and the same through the API."""

from __future__ import annotations

import datetime as dt
import io
import re
import xml.etree.ElementTree as ET

import pytest
import segno
from day_support import at, ended, meeting_with_registrants, move, started, status
from django.utils import timezone

from lib.errors import Conflict, Forbidden, Invalid, NotFound
from meetings import services
from meetings.day import attendance
from meetings.models import Meeting, Registration

pytestmark = pytest.mark.django_db


@pytest.fixture
def day(people):
    return meeting_with_registrants(people)


# --- check-in from the list ---------------------------------------------------------------
def test_the_organizer_checks_in_the_people_registered_by_default(day):
    started(day["meeting"])
    registration = day["reg"][0]["registration"]
    attendance.check_in(registration, day["organizer"])
    registration = status(registration)
    assert registration.checked_in_at is not None
    assert registration.attended_people == 2  # as registered


def test_the_people_who_came_are_counted_within_a_margin(day):
    started(day["meeting"])
    registration = day["reg"][0]["registration"]
    with pytest.raises(Invalid) as exc:
        attendance.check_in(registration, day["organizer"], people=2 + attendance.PEOPLE_MARGIN + 1)
    assert exc.value.field == "people"
    with pytest.raises(Invalid):
        attendance.check_in(registration, day["organizer"], people=0)
    assert status(registration).checked_in_at is None  # nothing saved
    attendance.check_in(registration, day["organizer"], people=3)
    first = status(registration).checked_in_at
    # Checked in again: the number is corrected, the time of arrival stays.
    attendance.check_in(registration, day["organizer"], people=1)
    assert status(registration).attended_people == 1
    assert status(registration).checked_in_at == first


def test_a_check_in_is_taken_back(day):
    started(day["meeting"])
    registration = day["reg"][0]["registration"]
    with pytest.raises(Conflict):
        attendance.undo_check_in(registration, day["organizer"])
    attendance.check_in(registration, day["coordinator"])
    attendance.undo_check_in(registration, day["coordinator"])
    registration = status(registration)
    assert registration.checked_in_at is None and registration.attended_people is None


def test_only_the_organizer_checks_in(day):
    started(day["meeting"])
    registration = day["reg"][0]["registration"]
    for user in (day["reg"][0]["user"], day["reg"][1]["user"], day["outsider"]):
        with pytest.raises(Forbidden):
            attendance.check_in(registration, user)
    assert status(registration).checked_in_at is None


def test_only_registered_registrations_are_checked_in(people):
    day = meeting_with_registrants(people, count=2)
    # The meeting fills up: a third organization waits.
    Meeting.objects.filter(pk=day["meeting"].pk).update(capacity=4)
    from conftest import make_org, make_user

    late = make_org("遅れて申し込んだ会", "citizen_group")
    waiting = services.register(day["meeting"], late, make_user("late", late), 1)
    assert waiting.status == Registration.Status.WAITLISTED
    started(day["meeting"])
    with pytest.raises(Conflict):
        attendance.check_in(waiting, day["organizer"])
    cancelled = day["reg"][0]["registration"]
    Registration.objects.filter(pk=cancelled.pk).update(status=Registration.Status.CANCELLED)
    with pytest.raises(Conflict):
        attendance.check_in(cancelled, day["organizer"])


def test_check_in_opens_on_the_meetings_day_and_closes_a_week_after(day, monkeypatch):
    local = timezone.get_current_timezone()
    start = dt.datetime.combine(
        timezone.localdate() + dt.timedelta(days=20), dt.time(14, 0), tzinfo=local
    )
    meeting = move(day["meeting"], start)
    registration = day["reg"][0]["registration"]
    # The evening before: too early.
    at(monkeypatch, start - dt.timedelta(hours=15))
    with pytest.raises(Conflict) as exc:
        attendance.check_in(registration, day["organizer"])
    assert exc.value.code == "too_early"
    # The morning of the day, before the start: the reception opens.
    at(monkeypatch, start - dt.timedelta(hours=5))
    attendance.check_in(registration, day["organizer"])
    # A week after the end: the paper list may still be typed in.
    later = day["reg"][1]["registration"]
    at(monkeypatch, meeting.ends_at + dt.timedelta(days=7) - dt.timedelta(minutes=1))
    attendance.check_in(later, day["organizer"])
    at(monkeypatch, meeting.ends_at + dt.timedelta(days=7, minutes=1))
    with pytest.raises(Conflict) as exc:
        attendance.check_in(day["reg"][2]["registration"], day["organizer"])
    assert exc.value.code == "too_late"


def test_no_check_in_for_a_cancelled_meeting(day):
    services.cancel_meeting(day["meeting"], day["organizer"], "台風")
    started(day["meeting"])
    with pytest.raises(Conflict):
        attendance.check_in(day["reg"][0]["registration"], day["organizer"])


# --- the QR code --------------------------------------------------------------------------
def _modules(svg: str) -> str:
    return re.search(r' d="([^"]+)"', svg).group(1)


def test_the_qr_code_encodes_the_check_in_page(day):
    registration = day["reg"][0]["registration"]
    svg = attendance.qr_svg(registration, "https://tsunagu.example.jp/")
    assert ET.fromstring(svg).tag.endswith("svg")
    url = f"https://tsunagu.example.jp/meetings/checkin/{registration.checkin_token}/"
    # The same symbol segno makes for that URL: the code carries exactly this address.
    reference = io.BytesIO()
    segno.make(url, error="m", micro=False).save(reference, kind="svg", scale=6, border=2)
    assert _modules(svg) == _modules(reference.getvalue().decode())
    # Each registration has its own code.
    other = attendance.qr_svg(day["reg"][1]["registration"], "https://tsunagu.example.jp")
    assert _modules(other) != _modules(svg)


def test_scanning_checks_in_for_the_organizer_once(day):
    started(day["meeting"])
    registration = day["reg"][0]["registration"]
    result = attendance.check_in_by_token(registration.checkin_token, day["organizer"])
    assert not result.already_checked_in
    assert status(registration).attended_people == 2
    again = attendance.check_in_by_token(registration.checkin_token, day["organizer"])
    assert again.already_checked_in
    assert again.registration.checked_in_at == status(registration).checked_in_at


def test_a_participant_scanning_its_own_code_learns_nothing(day):
    started(day["meeting"])
    registration = day["reg"][0]["registration"]
    with pytest.raises(Forbidden) as exc:
        attendance.check_in_by_token(registration.checkin_token, day["reg"][0]["user"])
    message = str(exc.value)
    assert day["reg"][0]["org"].name not in message
    assert day["meeting"].title not in message
    assert status(registration).checked_in_at is None
    with pytest.raises(NotFound):
        attendance.check_in_by_token("no-such-token", day["organizer"])


# --- held ---------------------------------------------------------------------------------
def test_a_meeting_is_marked_held_after_its_start(day):
    meeting = day["meeting"]
    with pytest.raises(Conflict):
        attendance.mark_held(meeting, day["organizer"])
    started(meeting)
    with pytest.raises(Forbidden):
        attendance.mark_held(meeting, day["reg"][0]["user"])
    held = attendance.mark_held(meeting, day["organizer"])
    assert held.status == Meeting.Status.HELD and held.held_at is not None
    with pytest.raises(Conflict):
        attendance.mark_held(meeting, day["organizer"])


def test_a_cancelled_meeting_is_never_held(day):
    services.cancel_meeting(day["meeting"], day["organizer"])
    started(day["meeting"])
    with pytest.raises(Conflict):
        attendance.mark_held(day["meeting"], day["coordinator"])
    day["meeting"].refresh_from_db()
    assert day["meeting"].status == Meeting.Status.CANCELLED


# --- the list -----------------------------------------------------------------------------
def test_the_attendance_list_has_names_and_totals_for_the_organizer(day):
    started(day["meeting"])
    attendance.check_in(day["reg"][1]["registration"], day["organizer"], people=3)
    listing = attendance.attendance(day["meeting"], day["organizer"])
    assert [row.organization_name for row in listing.rows] == [
        "参加団体0",
        "参加団体1",
        "参加団体2",
    ]
    assert listing.rows[0].attendee_names == ["参加 太郎0", "参加 花子0"]
    assert listing.registered_people == 6
    assert listing.checked_in_organizations == 1 and listing.attended_people == 3
    for user in (day["reg"][0]["user"], day["outsider"]):
        with pytest.raises(Forbidden):
            attendance.attendance(day["meeting"], user)


def test_who_attended_is_those_checked_in_else_those_registered(day):
    started(day["meeting"])
    everyone = {r["org"].pk for r in day["reg"]}
    assert set(attendance.attended_organization_ids(day["meeting"])) == everyone
    attendance.check_in(day["reg"][2]["registration"], day["organizer"])
    assert attendance.attended_organization_ids(day["meeting"]) == [day["reg"][2]["org"].pk]


# --- the API ------------------------------------------------------------------------------
def _url(meeting, tail=""):
    return f"/api/v1/meetings/{meeting.pk}/{tail}"


def test_api_attendance_list_is_for_the_organizer_only(api, day):
    meeting = day["meeting"]
    assert api.get(_url(meeting, "attendance/")).status_code == 401
    api.force_authenticate(day["reg"][0]["user"])
    r = api.get(_url(meeting, "attendance/"))
    assert r.status_code == 403 and "参加 太郎" not in r.content.decode()
    api.force_authenticate(day["organizer"])
    r = api.get(_url(meeting, "attendance/"))
    assert r.status_code == 200
    assert r.data["registered_people"] == 6
    assert r.data["rows"][0]["attendee_names"] == ["参加 太郎0", "参加 花子0"]


def test_api_check_in_and_undo(api, day):
    started(day["meeting"])
    rid = day["reg"][0]["registration"].pk
    api.force_authenticate(day["reg"][0]["user"])
    url = _url(day["meeting"], f"registrations/{rid}/check-in/")
    assert api.post(url, {"people": 2}, format="json").status_code == 403
    api.force_authenticate(day["organizer"])
    r = api.post(url, {"people": 99}, format="json")
    assert r.status_code == 400 and "people" in r.data
    r = api.post(url, {"people": 3}, format="json")
    assert r.status_code == 200, r.data
    assert r.data["attended_people"] == 3 and r.data["checked_in_at"]
    r = api.post(_url(day["meeting"], f"registrations/{rid}/undo-check-in/"))
    assert r.status_code == 200 and r.data["checked_in_at"] is None


def test_api_check_in_by_qr(api, day):
    started(day["meeting"])
    registration = day["reg"][0]["registration"]
    url = f"/api/v1/meetings/checkin/{registration.checkin_token}/"
    assert api.post(url).status_code == 401
    api.force_authenticate(day["reg"][0]["user"])
    r = api.post(url)
    assert r.status_code == 403
    assert day["reg"][0]["org"].name not in r.content.decode()
    api.force_authenticate(day["organizer"])
    r = api.post(url)
    assert r.status_code == 200, r.data
    assert r.data["organization_name"] == "参加団体0" and r.data["already_checked_in"] is False
    assert api.post(url).data["already_checked_in"] is True
    assert api.post("/api/v1/meetings/checkin/unknown-token/").status_code == 404


def test_api_qr_code_for_the_registrant_and_the_organizer(api, day):
    registration = day["reg"][0]["registration"]
    url = _url(day["meeting"], f"registrations/{registration.pk}/qr.svg/")
    assert api.get(url).status_code == 401
    api.force_authenticate(day["reg"][1]["user"])
    assert api.get(url).status_code == 403
    for user in (day["reg"][0]["user"], day["organizer"]):
        api.force_authenticate(user)
        r = api.get(url)
        assert r.status_code == 200
        assert r["Content-Type"].startswith("image/svg+xml")
        assert b"<svg" in r.content


def test_api_held(api, day):
    started(day["meeting"])
    api.force_authenticate(day["reg"][0]["user"])
    assert api.post(_url(day["meeting"], "held/")).status_code == 403
    api.force_authenticate(day["organizer"])
    r = api.post(_url(day["meeting"], "held/"))
    assert r.status_code == 200 and r.data["status"] == "held"
    assert api.post(_url(day["meeting"], "held/")).status_code == 409


def test_check_in_window_is_measured_from_the_meeting_day_also_after_it(day):
    ended(day["meeting"], ago=dt.timedelta(days=2))
    attendance.check_in(day["reg"][0]["registration"], day["organizer"])
    assert status(day["reg"][0]["registration"]).checked_in_at is not None
