"""Public pages of 交流の場 (meetings): the upcoming meetings with their filters, past
meetings with their reports, one meeting with its seats left and the registration form,
and the next meetings on the start page.

Thin views: what anyone may see is ``meetings.services.visible_meetings`` (drafts only for
their organizers and coordinators), seats are ``services.seats_left``, and registering is
``services.register``, whose refusals ``web.errors.report`` puts on the form's fields.
Attendee names never appear on these pages: the organizer sees them on their own page
(``web/member/meetings.py``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django.contrib import messages
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from lib import dates
from lib.errors import Invalid
from lib.pages import chosen_lists, filter_data, ignored_filters, known_choices, paginate
from meetings import services
from meetings.day import reports, wishes
from meetings.models import ACTIVE_STATUSES, Meeting, Registration
from organizations.filters import AreaFilterMixin, CodeMultipleFilter
from organizations.models import Area, Field
from proposals.api import visible_posts
from web.errors import REFUSALS, report
from web.member.meeting_forms import RegistrationForm

MeetingStatus = Meeting.Status
CHOICE_LABELS = {
    "kind": gettext_lazy("種類"),
    "field": gettext_lazy("分野"),
    "area": gettext_lazy("地域"),
}
DATE_LABELS = {"from": gettext_lazy("開始日（から）"), "to": gettext_lazy("開始日（まで）")}
SEARCH_PARAMS = [*CHOICE_LABELS, *DATE_LABELS]


class MeetingFilter(AreaFilterMixin):
    """Kind, fields and areas (an area includes the districts inside it and the areas
    containing it, as on 協働メニュー). The dates are read by ``_date_range``."""

    kind = django_filters.MultipleChoiceFilter(choices=Meeting.Kind.choices)
    field = CodeMultipleFilter(field_name="fields__code", queryset=Field.objects.all())

    class Meta:
        model = Meeting
        fields: list[str] = []


def _public() -> QuerySet[Meeting]:
    return services.visible_meetings(AnonymousUser()).prefetch_related("fields", "areas")


def upcoming_meetings() -> QuerySet[Meeting]:
    """Published meetings that have not ended, soonest first (the list and the start page)."""
    return (
        _public()
        .filter(status=MeetingStatus.PUBLISHED, ends_at__gt=timezone.now())
        .with_seats_taken()
    )


def registration_open(meeting: Meeting) -> bool:
    """Whether the page offers the form (``services.register`` decides again)."""
    return (
        meeting.status == MeetingStatus.PUBLISHED and timezone.now() <= meeting.effective_deadline
    )


def with_seats(meetings: Any) -> list[Meeting]:
    """The meetings with what the lists show of each: seats left, registration open."""
    out = list(meetings)
    for meeting in out:
        meeting.seats_left = services.seats_left(meeting)
        meeting.is_open = registration_open(meeting)
    return out


def _date_range(params) -> tuple[dt.date | None, dt.date | None, list[str]]:
    """``from`` and ``to`` (YYYY-MM-DD); an unreadable date is dropped with a note."""
    found: dict[str, dt.date | None] = {}
    notes = []
    for name, label in DATE_LABELS.items():
        raw = params.get(name, "").strip()
        try:
            found[name] = dates.parse_day(raw, name) if raw else None
        except Invalid:  # not a date, or beyond the calendar's usable range
            found[name] = None
        if raw and found[name] is None:
            notes.append(
                _(
                    "「%(label)s」の「%(values)s」は日付として読めないため、この条件を外して検索しました。"
                )
                % {"label": label, "values": raw}
            )
    return found["from"], found["to"], notes


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


def meeting_list(request: HttpRequest) -> HttpResponse:
    """交流の場: upcoming published meetings, filtered by dates, kind, field and area."""
    filterset = MeetingFilter(
        filter_data(request.GET, list(CHOICE_LABELS)), queryset=upcoming_meetings()
    )
    queryset = filterset.qs
    start, end, date_notes = _date_range(request.GET)
    if start:
        queryset = queryset.filter(starts_at__gte=_start_of(start))
    if end:
        queryset = queryset.filter(starts_at__lt=_start_of(end + dt.timedelta(days=1)))
    page = paginate(request, queryset.order_by("starts_at", "pk"))
    page.object_list = with_seats(page.object_list)
    options = {
        "kind": list(Meeting.Kind.choices),
        "field": list(Field.objects.values_list("code", "name")),
        "area": Area.tree_choices(),
    }
    context = {
        "page": page,
        "chosen_lists": known_choices(chosen_lists(request.GET, list(CHOICE_LABELS)), options),
        "dates": {"from": start, "to": end},
        "ignored": ignored_filters(filterset, request.GET, CHOICE_LABELS) + date_notes,
        "searched": any(request.GET.get(name, "").strip() for name in SEARCH_PARAMS),
        "kinds": options["kind"],
        "fields": options["field"],
        "areas": options["area"],
    }
    return render(request, "public/meetings/list.html", context)


def past_meetings(request: HttpRequest) -> HttpResponse:
    """Meetings held or ended, newest first, each with its report once published."""
    held = Q(status=MeetingStatus.HELD) | Q(
        status__in=[MeetingStatus.PUBLISHED, MeetingStatus.CLOSED], ends_at__lte=timezone.now()
    )
    page = paginate(
        request,
        _public().filter(held).prefetch_related("photos").order_by("-starts_at", "-pk"),
    )
    return render(request, "public/meetings/past.html", {"page": page})


# --- One meeting ----------------------------------------------------------------------------
def _meeting(request: HttpRequest, pk: int) -> Meeting:
    queryset = services.visible_meetings(request.user).prefetch_related("fields", "areas")
    return get_object_or_404(queryset, pk=pk)


def _own_registrations(user: Any, meeting: Meeting) -> list[Registration]:
    """The user's organizations' registrations that still say something (not cancelled),
    with their waitlist position; never the names."""
    if not user.is_authenticated:
        return []
    rows = list(
        meeting.registrations.filter(organization_id__in=user.organization_ids())
        .exclude(status=Registration.Status.CANCELLED)
        .select_related("organization")
        .order_by("-created_at", "-pk")
    )
    now = timezone.now()
    for row in rows:
        row.position = services.waitlist_position(row)
        row.is_active = row.status in ACTIVE_STATUSES
        row.can_cancel = (
            row.is_active and meeting.status != MeetingStatus.CANCELLED and now < meeting.starts_at
        )
    return rows


def _render_detail(
    request: HttpRequest, meeting: Meeting, form: RegistrationForm | None = None
) -> HttpResponse:
    user = request.user
    is_open = registration_open(meeting)
    own = _own_registrations(user, meeting)
    if form is None and user.is_authenticated and is_open:
        form = RegistrationForm(user=user, meeting=meeting)
    if form is not None and not form.fields["organization"].queryset.exists():
        form = None
    focus = request.GET.get("register") == "1" or (form is not None and form.is_bound)
    if form is not None and focus:
        first = "attendees" if form.fields["organization"].queryset.count() == 1 else "organization"
        form.fields[first].widget.attrs["autofocus"] = True
    organizer = meeting.organizer
    context = {
        "meeting": meeting,
        "seats_left": services.seats_left(meeting),
        "is_open": is_open,
        "is_organizer": services.is_organizer(user, meeting),
        "own_registrations": own,
        # The online link is for those who come: the organizer and confirmed registrants.
        "show_online_url": services.is_organizer(user, meeting)
        or any(r.status == Registration.Status.REGISTERED for r in own),
        "form": form,
        "focus": focus,
        "has_organizations": bool(user.is_authenticated and user.organization_ids()),
        "organizer_public": organizer is not None and organizer.is_active and organizer.is_verified,
        "needs": visible_posts(meeting.needs.select_related("organization"), AnonymousUser()),
        "offers": visible_posts(meeting.offers.select_related("organization"), AnonymousUser()),
        "report_published": meeting.report_published_at is not None and bool(meeting.report),
        # The day and after (web/public/meeting_day.py): the report's photos, the minutes
        # and the post-meeting form for those they are for.
        "photos": list(meeting.photos.order_by("created_at", "pk"))
        if reports.is_report_public(meeting)
        else [],
        "may_see_minutes": user.is_authenticated
        and meeting.starts_at <= timezone.now()
        and reports.may_see_minutes(user, meeting),
        "wishes_open": user.is_authenticated
        and wishes.is_open(meeting)
        and bool(wishes.participant_ids(meeting) & set(user.organization_ids())),
        "login_url": reverse("login")
        + "?"
        + urlencode({"next": reverse("meeting-page", args=[meeting.pk]) + "?register=1"}),
    }
    return render(request, "public/meetings/detail.html", context)


def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One meeting: what, when, where, seats left, and the member's registration.
    ``?register=1`` (the link in invitations) puts the focus on the registration form."""
    return _render_detail(request, _meeting(request, pk))


def _registered_message(registration: Registration) -> str:
    status = registration.status
    if status == Registration.Status.REGISTERED:
        return _("参加が確定しました（%(n)d人）。") % {"n": registration.attendees}
    if status == Registration.Status.WAITLISTED:
        return _(
            "定員に達しているため、キャンセル待ち（%(n)d番目）で受け付けました。"
            "席が空くと自動で参加確定になり、お知らせします。"
        ) % {"n": services.waitlist_position(registration) or 0}
    return _("申込を受け付けました。主催者の承認をお待ちください。")


@require_POST
def meeting_register(request: HttpRequest, pk: int) -> HttpResponse:
    """Register one of the user's organizations (``services.register``)."""
    page = reverse("meeting-page", args=[pk])
    if not request.user.is_authenticated:
        return redirect_to_login(f"{page}?register=1")
    meeting = _meeting(request, pk)
    form = RegistrationForm(request.POST, user=request.user, meeting=meeting)
    if not form.is_valid():
        return _render_detail(request, meeting, form)
    data = form.cleaned_data
    try:
        registration = services.register(
            meeting, data["organization"], request.user, data["attendees"], form.names()
        )
    except REFUSALS as exc:
        if report(request, exc, form):
            return _render_detail(request, meeting, form)
    else:
        messages.success(request, _registered_message(registration))
    return redirect(f"{page}#register")
