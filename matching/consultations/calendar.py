"""Reading consultation slots (コマ): slot usage over a period (offered vs booked seats: a
KPI, also in the API and on the coordinators' slots page) and the coordinators' week
calendar, with the days the city offices are closed. Read-only; changes go through
``matching.consultations.services``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, Q, Sum
from django.utils import timezone

from lib.dates import is_business_day
from matching.consultations.services import LIVE_STATUSES, Status
from matching.models import ConsultationBooking, ConsultationSlot


# --- KPI ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class SlotUsage:
    start: dt.datetime
    end: dt.datetime
    slots: int  # slots offered (not cancelled)
    offered: int  # seats offered (sum of capacities)
    booked: int  # seats booked (booked, held or no-show)
    held: int
    no_show: int
    cancelled_slots: int

    @property
    def usage_rate(self) -> float | None:
        """Booked seats / offered seats (Sagamihara: 38 / 252 ≈ 0.151)."""
        return round(self.booked / self.offered, 4) if self.offered else None

    @property
    def no_show_rate(self) -> float | None:
        attended = self.held + self.no_show
        return round(self.no_show / attended, 4) if attended else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "slots": self.slots,
            "offered": self.offered,
            "booked": self.booked,
            "held": self.held,
            "no_show": self.no_show,
            "cancelled_slots": self.cancelled_slots,
            "usage_rate": self.usage_rate,
            "no_show_rate": self.no_show_rate,
        }


def slot_usage(start: dt.datetime, end: dt.datetime) -> SlotUsage:
    """Slot use for slots starting in [start, end): offered vs booked seats (the KPI)."""
    slots = ConsultationSlot.objects.filter(starts_at__gte=start, starts_at__lt=end)
    offered = slots.filter(is_cancelled=False).aggregate(n=Count("pk"), seats=Sum("capacity"))
    bookings = ConsultationBooking.objects.filter(
        slot__in=slots.filter(is_cancelled=False)
    ).aggregate(
        booked=Count("pk", filter=Q(status__in=LIVE_STATUSES)),
        held=Count("pk", filter=Q(status=Status.HELD)),
        no_show=Count("pk", filter=Q(status=Status.NO_SHOW)),
    )
    return SlotUsage(
        start=start,
        end=end,
        slots=offered["n"] or 0,
        offered=offered["seats"] or 0,
        booked=bookings["booked"] or 0,
        held=bookings["held"] or 0,
        no_show=bookings["no_show"] or 0,
        cancelled_slots=slots.filter(is_cancelled=True).count(),
    )


@dataclass
class CalendarDay:
    """One day of the coordinators' week calendar."""

    day: dt.date
    is_closed: bool  # weekend, public holiday or the New Year break: the office is shut
    holiday: str
    slots: list[ConsultationSlot]


def week_start(day: dt.date) -> dt.date:
    """The Monday of ``day``'s week."""
    return day - dt.timedelta(days=day.weekday())


def week_calendar(monday: dt.date) -> list[CalendarDay]:
    """Seven days from ``monday`` with their slots (cancelled ones too, marked) and the
    matches booked in each, in one query for slots and one for bookings."""
    import jpholiday

    start = timezone.make_aware(dt.datetime.combine(monday, dt.time.min))
    live = ConsultationBooking.objects.filter(status__in=LIVE_STATUSES).select_related("match")
    slots = (
        ConsultationSlot.objects.filter(
            starts_at__gte=start, starts_at__lt=start + dt.timedelta(days=7)
        )
        .select_related("coordinator")
        .prefetch_related(Prefetch("bookings", queryset=live, to_attr="live_bookings"))
        .order_by("starts_at", "pk")
    )
    by_day: dict[dt.date, list[ConsultationSlot]] = {}
    for slot in slots:
        by_day.setdefault(timezone.localtime(slot.starts_at).date(), []).append(slot)
    days = []
    for offset in range(7):
        day = monday + dt.timedelta(days=offset)
        days.append(
            CalendarDay(
                day=day,
                is_closed=not is_business_day(day),
                holiday=jpholiday.is_holiday_name(day) or "",
                slots=by_day.get(day, []),
            )
        )
    return days
