"""The coordinators' consultation slots (コマ): publish and cancel slots, the upcoming ones,
the week calendar and this fiscal year's slot usage.

Thin views over ``matching.consultations.services`` and ``.calendar``, whose Japanese
messages are shown as they are. Behind ``coordinator_required``.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext

from lib import dates
from lib.dates import fiscal_year_bounds
from lib.errors import Invalid, ServiceError
from matching.consultations import calendar
from matching.consultations import slots as slot_services
from matching.models import ConsultationBooking, ConsultationSlot
from web.coordinator.forms import (
    SlotCancelForm,
    SlotForm,
)
from web.coordinator.helpers import coordinator_required, form_errors
from web.errors import REFUSALS, report

SLOT_ERROR_FIELDS = {"ends_at": "end_time", "starts_at": "date", "place": "place",
                     "capacity": "capacity"}  # fmt: skip


@coordinator_required
def slots(request: HttpRequest) -> HttpResponse:
    form = SlotForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            slot = slot_services.publish_slot(
                request.user,
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                place=data["place"],
                online_url=data["online_url"],
                capacity=data["capacity"],
                note=data["note"],
            )
        except ServiceError as exc:
            form.add_error(SLOT_ERROR_FIELDS.get(exc.code), str(exc.message))
        else:
            when = formats.date_format(timezone.localtime(slot.starts_at), "DATETIME_FORMAT")
            messages.success(request, gettext("%(when)s のコマを公開しました。") % {"when": when})
            return redirect("coord:slots")
    today = timezone.localdate()
    upcoming = (
        ConsultationSlot.objects.filter(
            starts_at__gte=timezone.make_aware(dt.datetime.combine(today, dt.time.min))
        )
        .select_related("coordinator")
        .order_by("starts_at", "pk")
    )
    days: dict = OrderedDict()
    for slot in upcoming[:200]:
        days.setdefault(timezone.localtime(slot.starts_at).date(), []).append(slot)
    start, end = fiscal_year_bounds(today)
    monday = calendar.week_start(today)
    status = 200
    try:
        week = dates.day_param(request.GET, "week")
    except Invalid as exc:
        # The one date reader (lib/dates.py): a day at the calendar's edge is refused
        # like a misspelt one, with this week shown instead.
        messages.error(
            request,
            gettext("週の指定が正しくありません（例: 2026-11-23）。今週を表示します。")
            + f" {exc.message}",
        )
        status = 400
    else:
        if week is not None:
            monday = calendar.week_start(week)
    context = {
        "form": form,
        "week": calendar.week_calendar(monday),
        "week_start": monday,
        "week_end": monday + dt.timedelta(days=6),
        "previous_week": monday - dt.timedelta(days=7),
        "next_week": monday + dt.timedelta(days=7),
        "this_week": calendar.week_start(today),
        "days": list(days.items()),
        "usage": calendar.slot_usage(start, end),
        "fiscal_start": start.date(),
        "fiscal_end": (end - dt.timedelta(days=1)).date(),
    }
    return render(request, "coordinator/slots.html", context, status=status)


@coordinator_required
def slot_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel a slot, after a confirmation step that works without JavaScript.

    GET shows the confirmation (the slot, the matches booked on it, who will be told). A
    POST without ``confirmed`` on a slot that has bookings shows the same page instead of
    cancelling: a stray or replayed form never cancels the parties' consultations unseen.
    A slot nobody booked is cancelled at once (nothing to lose, no one to tell).
    """
    slot = get_object_or_404(ConsultationSlot, pk=pk)
    form = SlotCancelForm(request.POST or None)
    bookings = list(
        slot.bookings.filter(status=ConsultationBooking.Status.BOOKED).select_related("match")
    )
    confirmed = request.POST.get("confirmed") == "1"
    if request.method != "POST" or (bookings and not confirmed):
        if slot.is_cancelled:
            messages.info(request, gettext("このコマはすでに取り消されています。"))
            return redirect("coord:slots")
        context = {"slot": slot, "bookings": bookings, "form": form}
        return render(request, "coordinator/slot_cancel.html", context)
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return redirect("coord:slots")
    try:
        slot_services.cancel_slot(slot, request.user, reason=form.cleaned_data["reason"])
    except REFUSALS as exc:
        report(request, exc)
    else:
        messages.success(request, gettext("コマを取り消しました。予約していた団体に通知しました。"))
    return redirect("coord:slots")
