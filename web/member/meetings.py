"""マイページ: 交流の場 (meetings). What the user's organizations registered for (with the
waitlist position and a cancellation that asks first), and the organizer's pages of a
meeting: create and edit, publish, cancel, the registrations with their names, approval,
invitations, the capacity.

Why the organizer's pages are here and not under ``/coord/``: an organizer is a member of
the organizer organization (a department, an NPO…) or a coordinator
(``meetings.services.is_organizer``). Most organizers are members, so the pages sit with
the members' pages; a coordinator is signed in too and passes the same check, so there is
one set of pages behind one rule, and ``/coord/`` stays for coordinators only.

Thin views: every change is a call to ``meetings.services``; its refusals reach the page
through ``web.errors.report`` (on the form's field, or as a message).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from lib.api import text_search
from meetings import invitations, services
from meetings.models import ACTIVE_STATUSES, Meeting, Registration
from organizations.models import Organization
from organizations.permissions import is_coordinator
from web.errors import REFUSALS, report
from web.member import meeting_day
from web.member.meeting_forms import CancelMeetingForm, CapacityForm, InviteForm, MeetingForm

# How many past rows each list of 「自分の団体の交流の場」 shows (the rest: /meetings/past/).
PAST_ROWS = 20
# How many organizations an invitation search offers.
INVITE_CANDIDATES = 20


def _with_positions(rows: Any) -> list[Registration]:
    """Each registration with its waitlist position and whether it may still be cancelled
    (active, the meeting neither cancelled nor started: ``cancel_registration``'s rule)."""
    out, now = list(rows), timezone.now()
    for row in out:
        row.position = services.waitlist_position(row)
        row.is_active = row.status in ACTIVE_STATUSES
        row.can_cancel = (
            row.is_active
            and row.meeting.status != Meeting.Status.CANCELLED
            and now < row.meeting.starts_at
        )
    return out


def _organized(user: Any):
    """The meetings the user organizes: their organizations'; a coordinator, all."""
    meetings = Meeting.objects.select_related("organizer")
    if is_coordinator(user):
        return meetings
    return meetings.filter(organizer_id__in=user.organization_ids())


@login_required
def my_meetings(request: HttpRequest) -> HttpResponse:
    """自分の団体の交流の場: registrations (upcoming, then past) and organized meetings."""
    user, now = request.user, timezone.now()
    registrations = Registration.objects.filter(
        organization_id__in=user.organization_ids()
    ).select_related("meeting", "organization")
    upcoming = registrations.filter(meeting__ends_at__gt=now).exclude(
        status=Registration.Status.CANCELLED
    )
    past = registrations.filter(meeting__ends_at__lte=now, status=Registration.Status.REGISTERED)
    organized = _organized(user)
    organizing = list(organized.filter(ends_at__gt=now).order_by("starts_at", "pk"))
    for meeting in organizing:
        meeting.seats_left = services.seats_left(meeting)
        meeting.pending = meeting.registrations.filter(
            status=Registration.Status.PENDING_APPROVAL
        ).count()
    context = {
        "upcoming": _with_positions(upcoming.order_by("meeting__starts_at", "pk")),
        "past": past.order_by("-meeting__starts_at", "-pk")[:PAST_ROWS],
        "organizing": organizing,
        "organized_past": organized.filter(ends_at__lte=now).order_by("-starts_at", "-pk")[
            :PAST_ROWS
        ],
        "can_organize": is_coordinator(user) or bool(user.organization_ids()),
    }
    return render(request, "member/meetings/index.html", context)


def _next(request: HttpRequest, default: str) -> str:
    """Back to the page the person came from, if it is one of ours."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


@login_required
def registration_cancel(request: HttpRequest, rid: int) -> HttpResponse:
    """Cancel a registration after a confirmation page (no JavaScript needed). A POST
    without ``confirmed`` shows the confirmation again: a stray form never cancels."""
    registration = get_object_or_404(
        Registration.objects.select_related("meeting", "organization"), pk=rid
    )
    meeting = registration.meeting
    if not (
        request.user.is_member_of(registration.organization_id)
        or services.is_organizer(request.user, meeting)
    ):
        raise Http404
    back = _next(request, reverse("member-meetings"))
    if request.method != "POST" or request.POST.get("confirmed") != "1":
        context = {
            "registration": registration,
            "meeting": meeting,
            "position": services.waitlist_position(registration),
            "is_active": registration.status in ACTIVE_STATUSES,
            "next": back,
        }
        return render(request, "member/meetings/registration_cancel.html", context)
    try:
        services.cancel_registration(registration, request.user)
    except REFUSALS as exc:
        report(request, exc)
    else:
        messages.success(
            request,
            _("「%(title)s」への%(org)sの申込を取り消しました。")
            % {"title": meeting.title, "org": registration.organization.name},
        )
    return redirect(back)


# --- The organizer's pages -----------------------------------------------------------------
def _managed(request: HttpRequest, pk: int) -> Meeting:
    """The meeting, for its organizer: 404 when the user may not see it (someone else's
    draft), 403 when they see it but do not organize it."""
    meeting = get_object_or_404(services.visible_meetings(request.user), pk=pk)
    if not services.is_organizer(request.user, meeting):
        raise PermissionDenied(services.MSG_NOT_ORGANIZER)
    return meeting


def _manage_url(meeting: Meeting, anchor: str = "") -> str:
    return reverse("member-meeting-manage", args=[meeting.pk]) + (f"#{anchor}" if anchor else "")


@login_required
def meeting_new(request: HttpRequest) -> HttpResponse:
    """A new meeting, saved as a draft (``services.create_meeting``)."""
    user = request.user
    if not (is_coordinator(user) or user.organization_ids()):
        raise PermissionDenied(_("団体に所属している方とコーディネーターが会合を作れます。"))
    form = MeetingForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        try:
            meeting = services.create_meeting(user, form.cleaned_data.get("organizer"), **data)
        except REFUSALS as exc:
            report(request, exc, form)
        else:
            messages.success(
                request,
                _(
                    "下書きとして保存しました。内容を確かめて「公開する」を押すと、"
                    "交流の場の一覧に載り、申込を受け付けます。"
                ),
            )
            return redirect(_manage_url(meeting))
    return render(request, "member/meetings/form.html", {"form": form, "meeting": None})


@login_required
def meeting_edit(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _managed(request, pk)
    form = MeetingForm(request.POST or None, user=request.user, meeting=meeting)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_meeting(meeting, request.user, **form.service_data())
        except REFUSALS as exc:
            report(request, exc, form)
        else:
            messages.success(request, _("会合を更新しました。"))
            return redirect(_manage_url(meeting))
    return render(request, "member/meetings/form.html", {"form": form, "meeting": meeting})


@login_required
def meeting_manage(request: HttpRequest, pk: int) -> HttpResponse:
    """The organizer's page of one meeting: state and actions, seats, the registrations
    (with the attendees' names: only here), invitations."""
    meeting = _managed(request, pk)
    registrations = _with_positions(
        meeting.registrations.select_related("organization").order_by("created_at", "pk")
    )
    active = [r for r in registrations if r.is_active]
    invited = meeting.invitations.select_related("organization").order_by("organization__name")
    query = request.GET.get("org", "").strip()[:100]
    candidates = []
    if query:
        # Not those the service would refuse: the organizer, the invited, the registered.
        found = (
            text_search(Organization.objects.filter(is_active=True), query)
            .exclude(pk=meeting.organizer_id)
            .exclude(pk__in=invited.values("organization_id"))
            .exclude(pk__in=[r.organization_id for r in active])
        )
        candidates = list(found.order_by("name", "pk")[:INVITE_CANDIDATES])
    taken = services.seats_taken(meeting)
    context = {
        "meeting": meeting,
        "can_change": meeting.status not in (Meeting.Status.CANCELLED, Meeting.Status.HELD),
        "seats": {
            "capacity": meeting.capacity,
            "taken": taken,
            "left": max(meeting.capacity - taken, 0),
            "waiting": sum(r.attendees for r in active if r.status == "waitlisted"),
            "pending": sum(1 for r in active if r.status == "pending_approval"),
        },
        "active": active,
        "closed": [r for r in registrations if not r.is_active],
        "invitations": invited,
        "query": query,
        "candidates": candidates,
        "capacity_form": CapacityForm(initial={"capacity": meeting.capacity}),
        # The later steps' sections: suggestions, tables, check-in, report, wishes.
        "day": meeting_day.sections(meeting),
    }
    return render(request, "member/meetings/manage.html", context)


@login_required
@require_POST
def meeting_publish(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _managed(request, pk)
    try:
        services.publish(meeting, request.user)
    except REFUSALS as exc:
        report(request, exc)
    else:
        messages.success(request, _("公開しました。交流の場の一覧に載り、申込を受け付けます。"))
    return redirect(_manage_url(meeting))


@login_required
def meeting_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Call the meeting off, after a confirmation page that says who will be told."""
    meeting = _managed(request, pk)
    form = CancelMeetingForm(request.POST or None)
    confirmed = request.POST.get("confirmed") == "1"
    if request.method != "POST" or not confirmed or not form.is_valid():
        told = meeting.registrations.filter(status__in=ACTIVE_STATUSES).count()
        context = {"meeting": meeting, "form": form, "told": told}
        return render(request, "member/meetings/cancel.html", context)
    try:
        services.cancel_meeting(meeting, request.user, reason=form.cleaned_data["reason"])
    except REFUSALS as exc:
        report(request, exc)
    else:
        messages.success(request, _("会合を中止しました。申込んでいた団体にお知らせしました。"))
    return redirect(_manage_url(meeting))


@login_required
@require_POST
def meeting_capacity(request: HttpRequest, pk: int) -> HttpResponse:
    """A new capacity: more seats move the waitlist up (``services.update_meeting``)."""
    meeting = _managed(request, pk)
    form = CapacityForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("定員は人数（数字）で入力してください。"))
        return redirect(_manage_url(meeting, "seats"))
    try:
        services.update_meeting(meeting, request.user, capacity=form.cleaned_data["capacity"])
    except REFUSALS as exc:
        report(request, exc)
    else:
        messages.success(
            request, _("定員を%(n)d人にしました。") % {"n": form.cleaned_data["capacity"]}
        )
    return redirect(_manage_url(meeting, "seats"))


@login_required
@require_POST
def meeting_invite(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _managed(request, pk)
    form = InviteForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("招待する団体が見つかりません。"))
        return redirect(_manage_url(meeting, "invitations"))
    organization = form.cleaned_data["organization"]
    try:
        invitations.invite(meeting, request.user, organization)
    except REFUSALS as exc:
        report(request, exc)
    else:
        messages.success(request, _("%(name)sを招待しました。") % {"name": organization.name})
    return redirect(_manage_url(meeting, "invitations"))


DECISIONS = {
    "approve": (services.approve, gettext_lazy("%(name)sの申込を承認しました（%(status)s）。")),
    "decline": (services.decline, gettext_lazy("%(name)sの申込をお断りしました。")),
}


@login_required
@require_POST
def registration_decide(request: HttpRequest, pk: int, rid: int, decision: str) -> HttpResponse:
    """Approval mode: approve (registered if the people fit, else waitlisted) or decline."""
    meeting = _managed(request, pk)
    registration = get_object_or_404(meeting.registrations.select_related("organization"), pk=rid)
    action, text = DECISIONS[decision]
    try:
        registration = action(registration, request.user)
    except REFUSALS as exc:
        report(request, exc)
    else:
        messages.success(
            request,
            text
            % {"name": registration.organization.name, "status": registration.get_status_display()},
        )
    return redirect(_manage_url(meeting, "registrations"))
