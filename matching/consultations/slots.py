"""Consultation slots (相談枠): a coordinator publishes, changes and cancels the times
parties can book. Cancelling a slot cancels its future bookings and tells the parties;
bookings themselves are ``matching.consultations.services``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lib.errors import Conflict, Invalid
from matching.consultations.services import (
    MSG_SLOT_CANCELLED,
    _live_future_bookings,
    _lock_slot,
    _mark_cancelled,
    _notify_booking,
    _require_coordinator,
)
from matching.models import ConsultationSlot


def _validate_slot_fields(
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    place: str,
    online_url: str,
    capacity: int,
    now: dt.datetime,
) -> None:
    if timezone.is_naive(starts_at) or timezone.is_naive(ends_at):
        raise Invalid(_("日時にはタイムゾーンが必要です。"))
    if ends_at <= starts_at:
        raise Invalid(_("終了日時は開始日時より後にしてください。"), code="ends_at")
    if starts_at <= now:
        raise Invalid(_("過去の日時にはコマを作れません。"), code="starts_at")
    if not (place or online_url):
        raise Invalid(_("場所かオンライン会議のURLのどちらかを入力してください。"), code="place")
    if capacity < 1:
        raise Invalid(_("受付できる件数は1以上にしてください。"), code="capacity")


# --- Slots -------------------------------------------------------------------------------
def publish_slot(
    user,
    *,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    place: str = "",
    online_url: str = "",
    capacity: int = 1,
    note: str = "",
    coordinator=None,
    now: dt.datetime | None = None,
) -> ConsultationSlot:
    """A coordinator offers a slot (コマ)."""
    _require_coordinator(user)
    _validate_slot_fields(starts_at, ends_at, place, online_url, capacity, now or timezone.now())
    return ConsultationSlot.objects.create(
        coordinator=coordinator or user,
        starts_at=starts_at,
        ends_at=ends_at,
        place=place,
        online_url=online_url,
        capacity=capacity,
        note=note,
    )


SLOT_FIELDS = ("starts_at", "ends_at", "place", "online_url", "capacity", "note")

# Changes that make the bookings' calendar entries out of date.
SCHEDULE_FIELDS = ("starts_at", "ends_at", "place", "online_url")


@transaction.atomic
def update_slot(
    slot: ConsultationSlot, user, *, now: dt.datetime | None = None, **changes: Any
) -> ConsultationSlot:
    """Change a slot. Moving it (time or place) bumps its bookings' calendar SEQUENCE,
    re-arms their reminders and tells everyone concerned."""
    _require_coordinator(user)
    unknown = set(changes) - set(SLOT_FIELDS)
    if unknown:
        raise Invalid(_("変更できない項目です: %s") % ", ".join(sorted(unknown)))
    now = now or timezone.now()
    slot = _lock_slot(slot)
    if slot.is_cancelled:
        raise Conflict(MSG_SLOT_CANCELLED, code="slot_cancelled")
    if slot.starts_at <= now:
        raise Invalid(_("開始時刻を過ぎたコマは変更できません。"), code="slot_past")
    moved = any(k in changes and changes[k] != getattr(slot, k) for k in SCHEDULE_FIELDS)
    for key, value in changes.items():
        setattr(slot, key, value)
    _validate_slot_fields(
        slot.starts_at, slot.ends_at, slot.place, slot.online_url, slot.capacity, now
    )
    if slot.capacity < slot.booked_count:
        raise Conflict(
            _("予約済みの件数（%(n)d件）より少なくはできません。") % {"n": slot.booked_count},
            code="capacity",
        )
    slot.save(update_fields=[*changes])
    if moved:
        for booking in _live_future_bookings(slot.bookings.all(), now):
            booking.sequence += 1
            booking.reminded_day_before_at = None
            booking.reminded_hour_before_at = None
            booking.save(
                update_fields=["sequence", "reminded_day_before_at", "reminded_hour_before_at"]
            )
            _notify_booking(
                booking,
                "consultation.changed",
                _("相談の日時・場所が変更されました"),
                _("コーディネーターが相談の日時または場所を変更しました。"),
            )
    return slot


@transaction.atomic
def cancel_slot(
    slot: ConsultationSlot, user, *, reason: str = "", now: dt.datetime | None = None
) -> ConsultationSlot:
    """Withdraw a slot: its bookings are cancelled and everyone concerned is told."""
    _require_coordinator(user)
    now = now or timezone.now()
    slot = _lock_slot(slot)
    if slot.is_cancelled:
        raise Conflict(MSG_SLOT_CANCELLED, code="slot_cancelled")
    if slot.starts_at <= now:
        raise Invalid(_("開始時刻を過ぎたコマは取り消せません。"), code="slot_past")
    bookings = _live_future_bookings(slot.bookings.all(), now)
    for booking in bookings:
        _mark_cancelled(booking, now)
    slot.is_cancelled = True
    slot.booked_count = 0
    slot.save(update_fields=["is_cancelled", "booked_count"])
    body = _("コーディネーターがこのコマを取り消しました。別のコマを予約してください。")
    if reason:
        body = f"{body}\n{_('理由')}: {reason}"
    for booking in bookings:
        _notify_booking(booking, "consultation.cancelled", _("相談のコマが取り消されました"), body)
    return slot
