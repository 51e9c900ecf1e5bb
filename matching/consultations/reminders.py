"""Consultation reminders: the day before and one hour before a booked consultation, to
the parties' members and the coordinators.

Called every five minutes by the Celery task in ``matching.consultations.tasks``, with the
clock as a parameter. Each reminder is stamped on its booking under a row lock (and carries
a dedupe key), so parallel or repeated runs never send it twice.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from matching.consultations.services import Status, _notify_booking
from matching.models import ConsultationBooking

DAY_BEFORE = dt.timedelta(hours=24)

HOUR_BEFORE = dt.timedelta(hours=1)


# --- Reminders ---------------------------------------------------------------------------
def send_due_reminders(now: dt.datetime) -> dict[str, int]:
    """Remind everyone of consultations starting within 24 hours (the day before) and
    within one hour. The clock is a parameter; each reminder is sent once per booking and
    schedule (dedupe keys carry the SEQUENCE, so a rescheduled booking is reminded again).
    A booking made less than an hour ahead gets the one-hour reminder only."""
    sent = {"day_before": 0, "hour_before": 0}
    due = ConsultationBooking.objects.filter(
        status=Status.BOOKED,
        slot__is_cancelled=False,
        slot__starts_at__gt=now,
        slot__starts_at__lte=now + DAY_BEFORE,
    ).filter(
        Q(reminded_day_before_at__isnull=True)
        | Q(reminded_hour_before_at__isnull=True, slot__starts_at__lte=now + HOUR_BEFORE)
    )
    for pk in due.order_by("slot__starts_at", "pk").values_list("pk", flat=True):
        kind = _remind_one(pk, now)
        if kind:
            sent[kind] += 1
    return sent


@transaction.atomic
def _remind_one(pk: int, now: dt.datetime) -> str | None:
    booking = (
        ConsultationBooking.objects.select_for_update(of=("self",), skip_locked=True)
        .select_related("slot__coordinator", "match__coordinator")
        .filter(pk=pk, status=Status.BOOKED, slot__is_cancelled=False)
        .first()
    )
    if booking is None:  # taken by a parallel run, or cancelled meanwhile
        return None
    starts_at = booking.slot.starts_at
    if not (now < starts_at <= now + DAY_BEFORE):
        return None
    if starts_at <= now + HOUR_BEFORE:
        if booking.reminded_hour_before_at is not None:
            return None
        _notify_booking(
            booking,
            "consultation.reminder_hour",
            _("まもなく事前相談が始まります（1時間前）"),
            dedupe_key=f"consultation-reminder-hour:{booking.uid}:{booking.sequence}",
        )
        booking.reminded_hour_before_at = now
        # The day-before reminder is moot now.
        booking.reminded_day_before_at = booking.reminded_day_before_at or now
        booking.save(update_fields=["reminded_hour_before_at", "reminded_day_before_at"])
        return "hour_before"
    if booking.reminded_day_before_at is not None:
        return None
    _notify_booking(
        booking,
        "consultation.reminder_day",
        _("明日、事前相談があります"),
        dedupe_key=f"consultation-reminder-day:{booking.uid}:{booking.sequence}",
    )
    booking.reminded_day_before_at = now
    booking.save(update_fields=["reminded_day_before_at"])
    return "day_before"
