"""iCalendar (.ics) for meetings: one file per registration, and the meetings in a person's
private calendar feed.

- **A registration's file** (``registration_ics``): for the registering organization's
  members, the organizer and coordinators. Its UID (``meeting-registration-<id>@tsunagu``)
  never changes, so a calendar that imports the file again updates the event in place.
  STATUS follows the registration and the meeting: CONFIRMED when registered, TENTATIVE
  while waiting (waitlist, approval), CANCELLED when the registration or the meeting is.
- **The feed** (``feed_events``): the meetings a user's organizations are registered for
  (参加確定) and those they organize (a coordinator: those they created without an
  organizer), one event per meeting (UID ``meeting-<id>@tsunagu``). A cancelled meeting
  stays in the feed as CANCELLED, so a subscribed calendar shows it called off rather
  than silently dropping it. The feed itself is matching's (``/calendar/<token>.ics``);
  this module's provider is registered in ``lib.calendar_feed`` by ``MeetingsConfig``.

Times carry TZID=Asia/Tokyo. SEQUENCE is the number of seconds between the record's
creation and its last change: it only grows, so clients take a changed meeting (a new
time, a new venue, a cancellation) as newer than what they hold. The description has the
meeting's public facts and the page's URL; never attendee names or contact details.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from icalendar import Calendar, Event

from meetings.models import Meeting, Registration
from meetings.notices import meeting_path
from meetings.services import is_organizer

PRODID = "-//Tsunagu//Meetings//JA"
UID_DOMAIN = "tsunagu"
# Like the consultations in the same feed: what is coming and the last half year.
FEED_PAST = dt.timedelta(days=180)

Status = Registration.Status


def registration_uid(registration: Registration) -> str:
    return f"meeting-registration-{registration.pk}@{UID_DOMAIN}"


def meeting_uid(meeting: Meeting) -> str:
    return f"meeting-{meeting.pk}@{UID_DOMAIN}"


def meeting_url(meeting: Meeting) -> str:
    """The meeting's public page, absolute (a calendar opens it outside the site)."""
    return settings.TSUNAGU_BASE_URL.rstrip("/") + meeting_path(meeting.pk)


def may_download(user: Any, registration: Registration) -> bool:
    """A registration's .ics: members of the registering organization, the organizer's
    members and coordinators."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    return user.is_member_of(registration.organization_id) or is_organizer(
        user, registration.meeting
    )


def _tz() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def _sequence(created: dt.datetime | None, changed: dt.datetime | None) -> int:
    if created is None or changed is None:
        return 0
    return max(int((changed - created).total_seconds()), 0)


def location(meeting: Meeting) -> str:
    """Venue and address; the online URL when there is no venue."""
    place = "、".join(part for part in (meeting.venue_name, meeting.venue_address) if part)
    return place or meeting.online_url


def _accessibility(meeting: Meeting) -> str:
    marks = [
        label
        for flag, label in (
            (meeting.barrier_free, "バリアフリー"),
            (meeting.sign_language, "手話通訳"),
            (meeting.childcare, "託児"),
        )
        if flag
    ]
    return "、".join(marks)


def meeting_event(
    meeting: Meeting,
    *,
    uid: str,
    status: str,
    sequence: int,
    lines: list[str],
    stamp: dt.datetime,
) -> Event:
    """One VEVENT for a meeting; ``lines`` open the description (who comes, as what)."""
    event = Event()
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("dtstamp", stamp.astimezone(dt.UTC))
    event.add("last-modified", meeting.updated_at.astimezone(dt.UTC))
    event.add("dtstart", meeting.starts_at.astimezone(_tz()))
    event.add("dtend", meeting.ends_at.astimezone(_tz()))
    prefix = "【中止】" if meeting.status == Meeting.Status.CANCELLED else ""
    event.add("summary", f"{prefix}{meeting.get_kind_display()}: {meeting.title}")
    where = location(meeting)
    if where:
        event.add("location", where)
    url = meeting_url(meeting)
    event.add("url", url)
    description = list(lines)
    if meeting.organizer_id:
        description.append(f"主催: {meeting.organizer.name}")
    if meeting.venue_name and meeting.online_url:
        description.append(f"オンライン: {meeting.online_url}")
    marks = _accessibility(meeting)
    if marks:
        description.append(f"配慮: {marks}")
    if meeting.status == Meeting.Status.CANCELLED and meeting.cancel_reason:
        description.append(f"中止の理由: {meeting.cancel_reason}")
    description.append(f"詳細: {url}")
    event.add("description", "\n".join(description))
    event.add("status", status)
    return event


def _registration_status(registration: Registration) -> str:
    if registration.meeting.status == Meeting.Status.CANCELLED or registration.status in (
        Status.CANCELLED,
        Status.DECLINED,
    ):
        return "CANCELLED"
    if registration.status == Status.REGISTERED:
        return "CONFIRMED"
    return "TENTATIVE"  # waitlisted, or waiting for the organizer's approval


def registration_event(registration: Registration, *, stamp: dt.datetime | None = None) -> Event:
    meeting = registration.meeting
    changed = max(meeting.updated_at, registration.updated_at)
    line = (
        f"申込: {registration.organization.name}（{registration.attendees}人・"
        f"{registration.get_status_display()}）"
    )
    return meeting_event(
        meeting,
        uid=registration_uid(registration),
        status=_registration_status(registration),
        sequence=_sequence(registration.created_at, changed),
        lines=[line],
        stamp=stamp or timezone.now(),
    )


def _calendar(name: str | None = None) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    if name:
        cal.add("x-wr-calname", name)
    return cal


def registration_ics(registration: Registration) -> bytes:
    """The .ics file of one registration."""
    cal = _calendar()
    cal.add_component(registration_event(registration))
    cal.add_missing_timezones()
    return cal.to_ical()


# --- The personal feed -------------------------------------------------------------------
def feed_meetings(user: Any, *, now: dt.datetime | None = None) -> list[Meeting]:
    """The meetings of a user's feed: registered for (参加確定) by one of their
    organizations, or organized by one of them (or created by the user without an
    organizer); drafts are left out, cancelled ones kept. From ``FEED_PAST`` ago on."""
    if not (user and user.is_authenticated and user.is_active):
        return []
    now = now or timezone.now()
    orgs = user.organization_ids()
    registered = Q(
        registrations__organization_id__in=orgs,
        registrations__status=Status.REGISTERED,
    )
    organized = Q(organizer_id__in=orgs) | Q(organizer__isnull=True, created_by=user)
    ids = (
        Meeting.objects.filter(registered | organized, starts_at__gte=now - FEED_PAST)
        .exclude(status=Meeting.Status.DRAFT)
        .values("pk")
    )
    return list(
        Meeting.objects.filter(pk__in=ids).select_related("organizer").order_by("starts_at", "pk")
    )


def feed_events(user: Any) -> list[Event]:
    """The provider ``lib.calendar_feed`` calls for the private feed: one event per
    meeting, saying which of the user's organizations take part or organize."""
    meetings = feed_meetings(user)
    if not meetings:
        return []
    orgs = user.organization_ids()
    taking_part: dict[int, list[str]] = defaultdict(list)
    registrations = (
        Registration.objects.filter(
            meeting__in=meetings, organization_id__in=orgs, status=Status.REGISTERED
        )
        .select_related("organization")
        .order_by("organization__name", "pk")
    )
    for registration in registrations:
        taking_part[registration.meeting_id].append(
            f"{registration.organization.name}（{registration.attendees}人）"
        )
    stamp = timezone.now()
    events = []
    for meeting in meetings:
        lines = []
        if taking_part[meeting.pk]:
            lines.append(f"参加: {'、'.join(taking_part[meeting.pk])}")
        if meeting.organizer_id in orgs or (
            meeting.organizer_id is None and meeting.created_by_id == user.pk
        ):
            lines.append(
                "あなたの団体の主催です。" if meeting.organizer_id else "あなたの主催です。"
            )
        cancelled = meeting.status == Meeting.Status.CANCELLED
        events.append(
            meeting_event(
                meeting,
                uid=meeting_uid(meeting),
                status="CANCELLED" if cancelled else "CONFIRMED",
                sequence=_sequence(meeting.created_at, meeting.updated_at),
                lines=lines,
                stamp=stamp,
            )
        )
    return events
