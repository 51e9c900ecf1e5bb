"""iCalendar (.ics) for consultations: one file per booking, and a private feed per user.

One VEVENT per booking. Its UID (``<booking.uid>@tsunagu``) never changes; SEQUENCE grows
with each reschedule or cancellation, so calendar clients update the event in place.
Times carry TZID=Asia/Tokyo (with its VTIMEZONE). The description names the parties and the
match, never anyone's e-mail address or telephone number.
"""

from __future__ import annotations

import datetime as dt
import secrets
import zoneinfo
from collections.abc import Iterable

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone
from icalendar import Calendar, Event

from lib import calendar_feed
from matching.models import CalendarFeed, ConsultationBooking

PRODID = "-//Tsunagu//Consultations//JA"
UID_DOMAIN = "tsunagu"
# The feed shows what is coming and what happened recently.
FEED_PAST = dt.timedelta(days=180)
FEED_TOKEN_BYTES = 32


def event_uid(booking: ConsultationBooking) -> str:
    return f"{booking.uid}@{UID_DOMAIN}"


def _tz() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def booking_event(booking: ConsultationBooking, *, stamp: dt.datetime | None = None) -> Event:
    slot, match = booking.slot, booking.match
    parties = [p.organization.name for p in match.parties.select_related("organization")]
    event = Event()
    event.add("uid", event_uid(booking))
    event.add("sequence", booking.sequence)
    event.add("dtstamp", (stamp or timezone.now()).astimezone(dt.UTC))
    event.add("dtstart", slot.starts_at.astimezone(_tz()))
    event.add("dtend", slot.ends_at.astimezone(_tz()))
    event.add("summary", f"協働の事前相談: {match.title}")
    location = slot.place or slot.online_url
    if location:
        event.add("location", location)
    if slot.online_url:
        event.add("url", slot.online_url)
    lines = [f"マッチ: {match.title}", f"参加団体: {'、'.join(parties)}"]
    if slot.place and slot.online_url:
        lines.append(f"オンライン: {slot.online_url}")
    if slot.note:
        lines.append(f"備考: {slot.note}")
    event.add("description", "\n".join(lines))
    cancelled = booking.status == ConsultationBooking.Status.CANCELLED or slot.is_cancelled
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    return event


def calendar_for(
    bookings: Iterable[ConsultationBooking],
    *,
    name: str | None = None,
    extra: Iterable[Event] = (),
) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    if name:
        cal.add("x-wr-calname", name)
        cal.add("x-wr-timezone", settings.TIME_ZONE)
        cal.add("refresh-interval", dt.timedelta(hours=1), parameters={"VALUE": "DURATION"})
        cal.add("x-published-ttl", "PT1H")
    stamp = timezone.now()
    for booking in bookings:
        cal.add_component(booking_event(booking, stamp=stamp))
    for event in extra:
        cal.add_component(event)
    cal.add_missing_timezones()
    return cal


def booking_ics(booking: ConsultationBooking) -> bytes:
    """The .ics file of one consultation."""
    return calendar_for([booking]).to_ical()


def feed_bookings(user, *, now: dt.datetime | None = None) -> QuerySet[ConsultationBooking]:
    """A user's own consultations: those of the matches their organizations take part in,
    and those on the slots they coordinate. Cancelled ones are left out (a subscribed
    calendar drops them)."""
    now = now or timezone.now()
    mine = Q(match__parties__organization_id__in=user.organization_ids()) | Q(
        slot__coordinator=user
    )
    ids = (
        ConsultationBooking.objects.filter(mine, slot__starts_at__gte=now - FEED_PAST)
        .exclude(status=ConsultationBooking.Status.CANCELLED)
        .exclude(slot__is_cancelled=True)
        .values("pk")
    )
    return (
        ConsultationBooking.objects.filter(pk__in=ids)
        .select_related("slot", "match")
        .order_by("slot__starts_at", "pk")
    )


def feed_ics(user) -> bytes:
    """The private feed of one user: their consultations, and the events the apps above
    matching add through ``lib.calendar_feed`` (the meetings they registered for or
    organize; matching may not import those apps, so they register themselves there)."""
    extra = calendar_feed.events_for(user)
    return calendar_for(feed_bookings(user), name="つなぐ の予定", extra=extra).to_ical()


def new_token() -> str:
    return secrets.token_urlsafe(FEED_TOKEN_BYTES)


def feed_for(user) -> CalendarFeed:
    """The user's feed, created on first use."""
    feed, _ = CalendarFeed.objects.get_or_create(user=user, defaults={"token": new_token()})
    return feed


def rotate_feed(user) -> CalendarFeed:
    """A new token: the old URL stops working at once."""
    feed = feed_for(user)
    feed.token = new_token()
    feed.save(update_fields=["token"])
    return feed


def user_for_token(token: str):
    """The active user a feed token belongs to, or None."""
    if not token or len(token) > 64:
        return None
    feed = CalendarFeed.objects.select_related("user").filter(token=token).first()
    if feed is None or not feed.user.is_active:
        return None
    return feed.user
