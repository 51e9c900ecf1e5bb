"""The organizer's pages for the day of a meeting and after, next to the organizer's page
(``/my/meetings/<id>/``): 受付 (the attendance list with check-in, the printable QR codes,
開催済みにする), 議事録・開催報告 (with the report's photos) and 参加後の希望 (the answers of
the post-meeting form); and, for a registering organization, its registration's .ics file
and QR code.

Who may: the organizer (members of the organizer organization) and coordinators, asked of
``meetings.services.is_organizer`` — someone else's draft is 404, someone else's meeting
403, as on the organizer's page. Thin views: each change is one call to
``meetings.day.attendance``, ``meetings.day.reports`` or ``meetings.day.wishes``, whose refusals
``web.errors.report`` puts on the form's field or at the top of the page.
"""

from __future__ import annotations

import base64
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from matching.consultations.api import ics_response
from meetings import calendar as meeting_calendar
from meetings import services
from meetings.day import attendance, reports, wishes
from meetings.models import Meeting, Registration
from web.errors import REFUSALS, report
from web.member.meeting_day_forms import CheckInForm, MinutesForm, PhotoForm, ReportForm

MeetingStatus = Meeting.Status


# --- Shared ------------------------------------------------------------------------------
def organized(request: HttpRequest, pk: int) -> Meeting:
    """The meeting, for its organizer: 404 when the user may not see it (someone else's
    draft), 403 when they see it but do not organize it."""
    meeting = get_object_or_404(services.visible_meetings(request.user), pk=pk)
    if not services.is_organizer(request.user, meeting):
        raise PermissionDenied(services.MSG_NOT_ORGANIZER)
    return meeting


def page(name: str, meeting: Meeting, anchor: str = "") -> str:
    return reverse(name, args=[meeting.pk]) + (f"#{anchor}" if anchor else "")


def qr_image(registration: Registration) -> str:
    """The registration's QR code (``attendance.qr_svg``) as a data: URL for an <img>
    (the page's Content-Security-Policy allows data: images, not inline markup)."""
    svg = attendance.qr_svg(registration, settings.TSUNAGU_BASE_URL)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def sections(meeting: Meeting) -> dict[str, Any]:
    """What the organizer's page says of each later step (one line each, with its link)."""
    now = timezone.now()
    registered = meeting.registrations.filter(status=Registration.Status.REGISTERED)
    answered = meeting.wishes.values("organization_id").distinct().count()
    return {
        "started": now >= meeting.starts_at,
        "ended": now >= meeting.ends_at,
        "registered": registered.count(),
        "checked_in": registered.filter(checked_in_at__isnull=False).count(),
        "tables_saved": meeting.tables.exists(),
        "has_minutes": bool(meeting.minutes),
        "report_public": reports.is_report_public(meeting),
        "photos": meeting.photos.count(),
        "answered": answered,
        "wishes_open": wishes.is_open(meeting),
        "wishes_deadline": wishes.deadline(meeting),
        "is_exchange": meeting.kind == Meeting.Kind.EXCHANGE,
    }


# --- 受付（当日） ---------------------------------------------------------------------------
def _render_checkin(
    request: HttpRequest, meeting: Meeting, bound: dict[int, CheckInForm] | None = None
) -> HttpResponse:
    sheet = attendance.attendance(meeting, request.user)
    bound = bound or {}
    rows = []
    for row in sheet.rows:
        rid = row.registration.pk
        form = bound.get(rid) or CheckInForm(
            prefix=f"r{rid}", initial={"people": row.attended_people or row.attendees}
        )
        rows.append({"row": row, "form": form})
    now = timezone.now()
    context = {
        "meeting": meeting,
        "sheet": sheet,
        "rows": rows,
        "days_after": attendance.CHECKIN_DAYS_AFTER,
        "margin": attendance.PEOPLE_MARGIN,
        "before_the_day": timezone.localdate(now) < timezone.localdate(meeting.starts_at),
        "can_hold": meeting.status in (MeetingStatus.PUBLISHED, MeetingStatus.CLOSED)
        and now >= meeting.starts_at,
    }
    return render(request, "member/meetings/checkin.html", context)


@login_required
def checkin_list(request: HttpRequest, pk: int) -> HttpResponse:
    """受付: the organizations registered (参加確定), each with a check-in button, the
    people registered and their names, and the totals."""
    return _render_checkin(request, organized(request, pk))


@login_required
@require_POST
def check_in(request: HttpRequest, pk: int, rid: int) -> HttpResponse:
    meeting = organized(request, pk)
    registration = get_object_or_404(meeting.registrations.select_related("organization"), pk=rid)
    form = CheckInForm(request.POST, prefix=f"r{rid}")
    if form.is_valid():
        try:
            registration = attendance.check_in(registration, request.user, form.people_value())
        except REFUSALS as exc:
            if report(request, exc, form):
                return _render_checkin(request, meeting, {rid: form})
        else:
            messages.success(
                request,
                _("%(org)sを受付しました（%(n)d人）。")
                % {"org": registration.organization.name, "n": registration.attended_people},
            )
        return redirect(page("member-meeting-checkin", meeting, f"r{rid}"))
    return _render_checkin(request, meeting, {rid: form})


@login_required
@require_POST
def undo_check_in(request: HttpRequest, pk: int, rid: int) -> HttpResponse:
    meeting = organized(request, pk)
    registration = get_object_or_404(meeting.registrations.select_related("organization"), pk=rid)
    try:
        attendance.undo_check_in(registration, request.user)
    except REFUSALS as exc:
        report(request, exc)
    else:
        messages.success(
            request,
            _("%(org)sの受付を取り消しました。") % {"org": registration.organization.name},
        )
    return redirect(page("member-meeting-checkin", meeting, f"r{rid}"))


@login_required
def qr_codes(request: HttpRequest, pk: int) -> HttpResponse:
    """A printable page of QR codes, one per registration (参加確定), to hand out or send."""
    meeting = organized(request, pk)
    sheet = attendance.attendance(meeting, request.user)
    cards = [{"row": row, "image": qr_image(row.registration)} for row in sheet.rows]
    context = {"meeting": meeting, "cards": cards, "base_url": settings.TSUNAGU_BASE_URL}
    return render(request, "member/meetings/qr_print.html", context)


@login_required
@require_POST
def mark_held(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = organized(request, pk)
    try:
        attendance.mark_held(meeting, request.user)
    except REFUSALS as exc:
        report(request, exc)
    else:
        messages.success(request, _("開催済みにしました。"))
    return redirect(page("member-meeting-checkin", meeting))


# --- 議事録・開催報告 --------------------------------------------------------------------
def _render_report(request: HttpRequest, meeting: Meeting, **forms: Any) -> HttpResponse:
    context = {
        "meeting": meeting,
        "minutes_form": forms.get("minutes_form")
        or MinutesForm(initial={"minutes": meeting.minutes}),
        "report_form": forms.get("report_form")
        or ReportForm(
            initial={"report": meeting.report, "publish": reports.is_report_public(meeting)}
        ),
        "photo_form": forms.get("photo_form") or PhotoForm(),
        "photos": list(meeting.photos.order_by("created_at", "pk")),
        "max_photos": reports.MAX_PHOTOS,
        "report_public": reports.is_report_public(meeting),
        "before_start": timezone.now() < meeting.starts_at,
        "writable": meeting.status not in (MeetingStatus.DRAFT, MeetingStatus.CANCELLED),
    }
    return render(request, "member/meetings/report.html", context)


@login_required
def report_page(request: HttpRequest, pk: int) -> HttpResponse:
    """議事録・開催報告: the minutes, the report (publish / take back) and its photos.
    A POST here saves the report."""
    meeting = organized(request, pk)
    if request.method != "POST":
        return _render_report(request, meeting)
    form = ReportForm(request.POST)
    if form.is_valid():
        publish = form.cleaned_data["publish"]
        try:
            reports.save_report(meeting, request.user, form.cleaned_data["report"], publish)
        except REFUSALS as exc:
            if report(request, exc, form):
                return _render_report(request, meeting, report_form=form)
        else:
            messages.success(
                request,
                _("開催報告を公開しました。会合のページと過去の会合の一覧に載ります。")
                if publish
                else _("開催報告を保存しました（公開していません）。"),
            )
    return redirect(page("member-meeting-report", meeting, "report"))


@login_required
@require_POST
def save_minutes(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = organized(request, pk)
    form = MinutesForm(request.POST)
    if form.is_valid():
        try:
            reports.save_minutes(meeting, request.user, form.cleaned_data["minutes"])
        except REFUSALS as exc:
            if report(request, exc, form):
                return _render_report(request, meeting, minutes_form=form)
        else:
            messages.success(request, _("議事録を保存しました。"))
    return redirect(page("member-meeting-report", meeting, "minutes"))


@login_required
@require_POST
def add_photo(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = organized(request, pk)
    form = PhotoForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            reports.add_photo(meeting, request.user, data["image"], data["caption"])
        except REFUSALS as exc:
            if report(request, exc, form):
                return _render_report(request, meeting, photo_form=form)
        else:
            messages.success(request, _("写真を追加しました。"))
    return redirect(page("member-meeting-report", meeting, "photos"))


@login_required
@require_POST
def remove_photo(request: HttpRequest, pk: int, pid: int) -> HttpResponse:
    meeting = organized(request, pk)
    try:
        reports.remove_photo(meeting, request.user, pid)
    except REFUSALS as exc:
        report(request, exc)
    else:
        messages.success(request, _("写真を削除しました。"))
    return redirect(page("member-meeting-report", meeting, "photos"))


# --- 参加後の希望 -------------------------------------------------------------------------
@login_required
def wishes_received(request: HttpRequest, pk: int) -> HttpResponse:
    """The answers of the post-meeting form: who wished whom, the mutual ones marked, and
    what became of each (the request in the coordinators' queue, or none: no open post)."""
    meeting = organized(request, pk)
    rows = list(
        wishes.visible_wishes(meeting, request.user).order_by(
            "organization__name", "target__name", "pk"
        )
    )
    both = wishes.mutual_pairs(meeting)
    for wish in rows:
        wish.mutual = (wish.organization_id, wish.target_id) in both
    participants = list(wishes.participants(meeting))
    answered = {wish.organization_id for wish in rows}
    context = {
        "meeting": meeting,
        "rows": rows,
        "mutual_count": len(both) // 2,
        "requests": sum(1 for wish in rows if wish.interest_request_id),
        "participants": participants,
        "waiting": [org for org in participants if org.pk not in answered],
        "is_open": wishes.is_open(meeting),
        "deadline": wishes.deadline(meeting),
        "ended": timezone.now() >= meeting.ends_at,
    }
    return render(request, "member/meetings/wishes.html", context)


# --- A registering organization's own: .ics and QR code ------------------------------------
def _own_registration(request: HttpRequest, rid: int) -> Registration:
    """A registration for the members of the registering organization, the organizer and
    coordinators (``calendar.may_download``); 404 for anyone else (not even its existence)."""
    registration = get_object_or_404(
        Registration.objects.select_related("meeting__organizer", "organization"), pk=rid
    )
    if not meeting_calendar.may_download(request.user, registration):
        raise Http404
    return registration


@login_required
def registration_ics(request: HttpRequest, rid: int) -> HttpResponse:
    """「カレンダーに追加（.ics）」: the registration as an iCalendar file."""
    registration = _own_registration(request, rid)
    return ics_response(
        meeting_calendar.registration_ics(registration),
        f"meeting-{registration.meeting_id}-registration-{registration.pk}.ics",
    )


@login_required
def registration_qr(request: HttpRequest, rid: int) -> HttpResponse:
    """The registration's QR code, to print or to show on a phone at the reception."""
    registration = _own_registration(request, rid)
    context = {
        "registration": registration,
        "meeting": registration.meeting,
        "image": qr_image(registration),
        "is_registered": registration.status == Registration.Status.REGISTERED,
    }
    return render(request, "member/meetings/registration_qr.html", context)
