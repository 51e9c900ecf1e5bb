"""Consultations (事前打合せ・相談): parties book the slots (コマ) coordinators publish.

Plain service functions for bookings (book, cancel, reschedule; minutes and attendance;
who sees what), called by the API and the web pages. Slots are published, changed and
cancelled in ``matching.consultations.slots``; reminders are in
``matching.consultations.reminders``; slot usage and the week calendar in
``matching.consultations.calendar``. A ``match_transitioned`` receiver cancels the future
bookings of a match that ends.

Every state change is one transaction; a refused request raises a ``ServiceError`` (with
the HTTP status the API answers with) and changes nothing.

No double booking, even under concurrent requests:

1. ``book`` locks the match row, then the slot row (``SELECT … FOR UPDATE``), and checks the
   seats left under that lock, so parallel bookers of one slot queue up one after another;
2. the seat is taken with an ``F()`` update, and the database's CHECK constraint
   ``booked_count <= capacity`` refuses an overbooking whatever the application did;
3. the partial unique constraint on live bookings refuses the same match twice in a slot.

Locks are always taken in the order match → slot(s, by primary key) → booking, so two
services never wait on each other in a cycle.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lib import links
from lib.dates import day_time_text
from lib.errors import Conflict, Forbidden, Invalid
from matching.matches.permissions import is_party_member
from matching.matches.signals import match_transitioned
from matching.matches.workflow import party_members
from matching.models import ConsultationBooking, ConsultationSlot, Match
from notifications.services import notify
from organizations.permissions import is_coordinator

Status = ConsultationBooking.Status

# A match can hold consultations once introduced, and until it is closed.
BOOKABLE_MATCH_STATES = frozenset(
    {
        Match.State.INTRODUCED,
        Match.State.CONSULTING,
        Match.State.AGREED,
        Match.State.ACTIVE,
    }
)

# A match that ends (completed, declined, cancelled) keeps no future consultation.
CLOSING_MATCH_STATES = frozenset(
    {Match.State.COMPLETED, Match.State.DECLINED, Match.State.CANCELLED}
)

# Bookings that use a seat (a cancelled one gave it back).
LIVE_STATUSES = (Status.BOOKED, Status.HELD, Status.NO_SHOW)


MSG_FULL = _("満席です。別のコマを選んでください。")

MSG_SLOT_CANCELLED = _("このコマは取り消されています。")

MSG_SLOT_PAST = _("開始時刻を過ぎたコマは予約できません。")

MSG_NOT_PARTY = _("このマッチの参加団体のメンバーかコーディネーターだけが予約できます。")

MSG_ALREADY_BOOKED = _("このマッチはすでにこのコマを予約しています。")

MSG_COORDINATOR_ONLY = _("コーディネーターだけが実行できます。")

MSG_NOT_LIVE = _("この予約は取り消されているか、すでに終わっています。")


# --- Who is told -------------------------------------------------------------------------
def recipients(booking: ConsultationBooking) -> list:
    """Everyone concerned by a booking: the parties' members and the coordinators (the
    slot's and the match's)."""
    people = list(party_members(booking.match))
    for coordinator in (booking.slot.coordinator, booking.match.coordinator):
        if coordinator is not None:
            people.append(coordinator)
    return people


def _when(slot: ConsultationSlot) -> str:
    start = timezone.localtime(slot.starts_at)
    end = timezone.localtime(slot.ends_at)
    return f"{day_time_text(start)}〜{end:%H:%M}"


def _where(slot: ConsultationSlot) -> str:
    return slot.place or slot.online_url or ""


def _notify_booking(
    booking: ConsultationBooking,
    kind: str,
    title: Any,
    body: str = "",
    *,
    people: Iterable | None = None,
    dedupe_key: str | None = None,
) -> None:
    slot = booking.slot
    text = f"{booking.match.title}\n{_when(slot)}\n{_where(slot)}"
    if body:
        text = f"{body}\n\n{text}"
    notify(
        recipients(booking) if people is None else people,
        kind,
        str(title),
        text,
        url=links.match_page(booking.match_id, "consultations"),
        payload={
            "booking": booking.pk,
            "match": booking.match_id,
            "slot": slot.pk,
            "starts_at": slot.starts_at.isoformat(),
        },
        dedupe_key=dedupe_key,
    )


# --- Checks ------------------------------------------------------------------------------
def _require_coordinator(user) -> None:
    if not is_coordinator(user):
        raise Forbidden(MSG_COORDINATOR_ONLY)


def _require_party_or_coordinator(user, match: Match) -> None:
    if not (is_coordinator(user) or is_party_member(user, match)):
        raise Forbidden(MSG_NOT_PARTY)


def _require_bookable_match(match: Match) -> None:
    if match.state not in BOOKABLE_MATCH_STATES:
        raise Conflict(
            _("このマッチの状態（%(state)s）では相談を予約できません。")
            % {"state": match.get_state_display()},
            code="match_state",
        )


def _require_open_slot(slot: ConsultationSlot, now: dt.datetime) -> None:
    if slot.is_cancelled:
        raise Conflict(MSG_SLOT_CANCELLED, code="slot_cancelled")
    if slot.starts_at <= now:
        raise Invalid(MSG_SLOT_PAST, code="slot_past")
    if slot.booked_count >= slot.capacity:
        raise Conflict(MSG_FULL, code="slot_full")


def _take_seat(slot: ConsultationSlot) -> None:
    """+1 on the slot's counter; the CHECK constraint is the last guard."""
    try:
        with transaction.atomic():
            ConsultationSlot.objects.filter(pk=slot.pk).update(booked_count=F("booked_count") + 1)
    except IntegrityError as exc:
        raise Conflict(MSG_FULL, code="slot_full") from exc
    slot.booked_count += 1


def _free_seat(slot_id: int) -> None:
    ConsultationSlot.objects.filter(pk=slot_id, booked_count__gt=0).update(
        booked_count=F("booked_count") - 1
    )


def _lock_match(match: Match) -> Match:
    return Match.objects.select_for_update().get(pk=match.pk)


def _lock_slot(slot: ConsultationSlot | int) -> ConsultationSlot:
    pk = slot if isinstance(slot, int) else slot.pk
    return (
        ConsultationSlot.objects.select_for_update(of=("self",))
        .select_related("coordinator")
        .get(pk=pk)
    )


def _lock_booking(booking: ConsultationBooking) -> ConsultationBooking:
    return (
        ConsultationBooking.objects.select_for_update(of=("self",))
        .select_related("slot__coordinator", "match__coordinator")
        .get(pk=booking.pk)
    )


# --- Bookings ----------------------------------------------------------------------------
def _live_future_bookings(queryset: QuerySet, now: dt.datetime) -> list[ConsultationBooking]:
    return list(
        queryset.filter(status=Status.BOOKED, slot__starts_at__gt=now)
        .select_related("slot__coordinator", "match__coordinator")
        .select_for_update(of=("self",))
        .order_by("pk")
    )


@transaction.atomic
def book(
    slot: ConsultationSlot, match: Match, user, *, now: dt.datetime | None = None
) -> ConsultationBooking:
    """Book ``slot`` for ``match``. Raises ``ServiceError`` (nothing changed) when the
    slot is full, past or cancelled, the user is not a party member or a coordinator, the
    match's state does not allow it, or the match already holds this slot."""
    now = now or timezone.now()
    _require_party_or_coordinator(user, match)
    match = _lock_match(match)
    _require_bookable_match(match)
    slot = _lock_slot(slot)
    _require_open_slot(slot, now)
    if slot.bookings.filter(match=match, status=Status.BOOKED).exists():
        raise Conflict(MSG_ALREADY_BOOKED, code="already_booked")
    _take_seat(slot)
    try:
        with transaction.atomic():
            booking = ConsultationBooking.objects.create(slot=slot, match=match, booked_by=user)
    except IntegrityError as exc:
        raise Conflict(MSG_ALREADY_BOOKED, code="already_booked") from exc
    _notify_booking(
        booking,
        "consultation.booked",
        _("相談の予約が入りました"),
        _("%(user)sさんが事前相談を予約しました。") % {"user": user},
    )
    return booking


def _mark_cancelled(booking: ConsultationBooking, now: dt.datetime) -> None:
    booking.status = Status.CANCELLED
    booking.cancelled_at = now
    booking.sequence += 1  # calendars replace the event with the cancelled one
    booking.save(update_fields=["status", "cancelled_at", "sequence"])


@transaction.atomic
def cancel_booking(
    booking: ConsultationBooking, user, *, reason: str = "", now: dt.datetime | None = None
) -> ConsultationBooking:
    """Cancel a booking before it starts: the seat is freed and everyone is told."""
    now = now or timezone.now()
    _require_party_or_coordinator(user, booking.match)
    _lock_match(booking.match)
    _lock_slot(booking.slot_id)
    booking = _lock_booking(booking)
    if booking.status != Status.BOOKED:
        raise Conflict(MSG_NOT_LIVE, code="not_booked")
    if booking.slot.starts_at <= now:
        raise Invalid(_("開始時刻を過ぎた相談は取り消せません。"), code="slot_past")
    _mark_cancelled(booking, now)
    _free_seat(booking.slot_id)
    body = _("%(user)sさんが事前相談の予約を取り消しました。") % {"user": user}
    if reason:
        body = f"{body}\n{_('理由')}: {reason}"
    _notify_booking(booking, "consultation.cancelled", _("相談の予約が取り消されました"), body)
    return booking


@transaction.atomic
def reschedule(
    booking: ConsultationBooking,
    new_slot: ConsultationSlot,
    user,
    *,
    now: dt.datetime | None = None,
) -> ConsultationBooking:
    """Move a booking to another slot in one step (the old seat is freed only if the new
    one is taken). The calendar UID stays, its SEQUENCE grows; everyone is told."""
    now = now or timezone.now()
    _require_party_or_coordinator(user, booking.match)
    match = _lock_match(booking.match)
    _require_bookable_match(match)
    if new_slot.pk == booking.slot_id:
        raise Invalid(_("今と同じコマです。"), code="same_slot")
    # Both slots, in primary-key order (no lock cycles with another reschedule).
    locked = {pk: _lock_slot(pk) for pk in sorted((booking.slot_id, new_slot.pk))}
    old_slot, new_slot = locked[booking.slot_id], locked[new_slot.pk]
    booking = _lock_booking(booking)
    if booking.status != Status.BOOKED:
        raise Conflict(MSG_NOT_LIVE, code="not_booked")
    if old_slot.starts_at <= now:
        raise Invalid(_("開始時刻を過ぎた相談は変更できません。"), code="slot_past")
    _require_open_slot(new_slot, now)
    if new_slot.bookings.filter(match=match, status=Status.BOOKED).exists():
        raise Conflict(MSG_ALREADY_BOOKED, code="already_booked")
    _take_seat(new_slot)
    _free_seat(old_slot.pk)
    booking.slot = new_slot
    booking.sequence += 1
    booking.reminded_day_before_at = None
    booking.reminded_hour_before_at = None
    try:
        with transaction.atomic():
            booking.save(
                update_fields=[
                    "slot",
                    "sequence",
                    "reminded_day_before_at",
                    "reminded_hour_before_at",
                ]
            )
    except IntegrityError as exc:
        raise Conflict(MSG_ALREADY_BOOKED, code="already_booked") from exc
    _notify_booking(
        booking,
        "consultation.rescheduled",
        _("相談の日時が変更されました"),
        _("%(user)sさんが事前相談を %(old)s から変更しました。")
        % {"user": user, "old": _when(old_slot)},
    )
    return booking


# --- After the consultation --------------------------------------------------------------
@transaction.atomic
def record_minutes(
    booking: ConsultationBooking, user, minutes: str, *, now: dt.datetime | None = None
) -> ConsultationBooking:
    """Record the minutes (議事録) once the consultation has started."""
    now = now or timezone.now()
    _require_party_or_coordinator(user, booking.match)
    booking = _lock_booking(booking)
    if booking.status == Status.CANCELLED:
        raise Conflict(_("取り消された相談には議事録を記録できません。"))
    if booking.slot.starts_at > now:
        raise Invalid(_("議事録は相談の開始後に記録してください。"), code="not_started")
    minutes = (minutes or "").strip()
    if not minutes:
        raise Invalid(_("議事録を入力してください。"), code="minutes")
    booking.minutes = minutes
    booking.minutes_recorded_by = user
    booking.save(update_fields=["minutes", "minutes_recorded_by"])
    _notify_booking(
        booking,
        "consultation.minutes",
        _("相談の議事録が記録されました"),
        people=[p for p in recipients(booking) if p.pk != user.pk],
    )
    return booking


@transaction.atomic
def mark_attendance(
    booking: ConsultationBooking, user, status: str, *, now: dt.datetime | None = None
) -> ConsultationBooking:
    """A coordinator records, after the start time, whether the consultation took place
    (``held``) or the parties did not come (``no_show``); a mistake can be corrected."""
    now = now or timezone.now()
    _require_coordinator(user)
    if status not in (Status.HELD, Status.NO_SHOW):
        raise Invalid(_("出欠は「実施済み」か「欠席」を指定してください。"), code="status")
    booking = _lock_booking(booking)
    if booking.status == Status.CANCELLED:
        raise Conflict(_("取り消された相談の出欠は記録できません。"))
    if booking.slot.starts_at > now:
        raise Invalid(_("出欠は相談の開始後に記録してください。"), code="not_started")
    booking.status = status
    booking.save(update_fields=["status"])
    return booking


def mark_held(booking: ConsultationBooking, user, **kw: Any) -> ConsultationBooking:
    return mark_attendance(booking, user, Status.HELD, **kw)


def mark_no_show(booking: ConsultationBooking, user, **kw: Any) -> ConsultationBooking:
    return mark_attendance(booking, user, Status.NO_SHOW, **kw)


# --- Visibility --------------------------------------------------------------------------
def visible_bookings(user) -> QuerySet[ConsultationBooking]:
    """Bookings a user may see: coordinators all; others those of their matches."""
    queryset = ConsultationBooking.objects.select_related(
        "slot__coordinator", "match", "booked_by", "minutes_recorded_by"
    )
    if is_coordinator(user):
        return queryset
    if not (user and user.is_authenticated):
        return queryset.none()
    return queryset.filter(match__parties__organization_id__in=user.organization_ids()).distinct()


def bookable_matches(user) -> QuerySet[Match]:
    """Matches the user may book consultations for."""
    queryset = Match.objects.filter(state__in=BOOKABLE_MATCH_STATES)
    if is_coordinator(user):
        return queryset
    if not (user and user.is_authenticated):
        return queryset.none()
    return queryset.filter(parties__organization_id__in=user.organization_ids()).distinct()


# --- When a match closes -----------------------------------------------------------------
@receiver(match_transitioned, dispatch_uid="matching.consultations.match_closed")
def match_closed(sender, match: Match, target: str, actor=None, **kwargs: Any) -> None:
    """A completed, declined or cancelled match gives back its future seats; everyone
    is told."""
    if target not in CLOSING_MATCH_STATES:
        return
    cancel_future_bookings(match, now=timezone.now())


CLOSING_REASONS = {
    Match.State.COMPLETED: _("協働が完了したため、予定していた事前相談を取り消しました。"),
}


@transaction.atomic
def cancel_future_bookings(match: Match, *, now: dt.datetime) -> list[ConsultationBooking]:
    slot_ids = sorted(
        set(
            match.consultations.filter(status=Status.BOOKED, slot__starts_at__gt=now).values_list(
                "slot_id", flat=True
            )
        )
    )
    for slot_id in slot_ids:
        _lock_slot(slot_id)
    bookings = _live_future_bookings(match.consultations.all(), now)
    for booking in bookings:
        _mark_cancelled(booking, now)
        _free_seat(booking.slot_id)
    for booking in bookings:
        _notify_booking(
            booking,
            "consultation.cancelled",
            _("相談の予約が取り消されました"),
            CLOSING_REASONS.get(
                match.state, _("マッチが終了したため、予定していた事前相談を取り消しました。")
            ),
        )
    return bookings
