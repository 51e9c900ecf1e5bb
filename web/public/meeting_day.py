"""The pages of a meeting's day and after that its participants open from outside マイページ:
the check-in page a registration's QR code opens (``/meetings/checkin/<code>/``), the
post-meeting form 「もっと話したい団体」 (``/meetings/<id>/wishes/``), the minutes for those
allowed (``/meetings/<id>/minutes/``) and the report's photos (``/meetings/<id>/photos/<pid>/``).

Each is a thin view over ``meetings.day.attendance``, ``meetings.day.wishes`` and
``meetings.day.reports``: who may is theirs to say (``is_organizer``, ``may_see_wishes``,
``may_see_minutes``, ``visible_photo``), and a refusal is their message (403 page), never
a name or a meeting the person may not know of.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from lib.errors import NotFound
from meetings import services
from meetings.day import attendance, reports, wishes
from meetings.models import Meeting, Registration
from organizations.models import Organization
from web.errors import REFUSALS, report
from web.member.meeting_day_forms import CheckInForm, WishesForm

# A check-in code is 43 characters (``secrets.token_urlsafe(32)``); anything longer is no code.
MAX_TOKEN = 64
PHOTO_TYPES = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


def _meeting(request: HttpRequest, pk: int) -> Meeting:
    return get_object_or_404(services.visible_meetings(request.user), pk=pk)


# --- The QR code's page: 受付 ---------------------------------------------------------------
def _scanned(request: HttpRequest, token: str) -> Registration:
    """The registration of a scanned code, for the organizer; anyone else gets the
    service's refusal (403), which names neither the organization nor the meeting."""
    registration = (
        Registration.objects.select_related("meeting__organizer", "organization")
        .filter(checkin_token=token[:MAX_TOKEN])
        .first()
    )
    if registration is None:
        raise Http404(str(attendance.MSG_UNKNOWN_TOKEN))
    if not services.is_organizer(request.user, registration.meeting):
        raise PermissionDenied(attendance.MSG_QR_NOT_ORGANIZER)
    return registration


def _render_checkin(
    request: HttpRequest, registration: Registration, form: CheckInForm, **extra: Any
) -> HttpResponse:
    context = {
        "registration": registration,
        "meeting": registration.meeting,
        "form": form,
        "is_registered": registration.status == Registration.Status.REGISTERED,
        **extra,
    }
    return render(request, "public/meetings/checkin.html", context)


def check_in_page(request: HttpRequest, token: str) -> HttpResponse:
    """GET: the registration and a button 「受付する」 (with the people who came). POST:
    check it in (``attendance.check_in_by_token``). Not signed in: login, then back."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    registration = _scanned(request, token)
    if request.method != "POST":
        initial = {"people": registration.attended_people or registration.attendees}
        return _render_checkin(request, registration, CheckInForm(initial=initial))
    form = CheckInForm(request.POST)
    if form.is_valid():
        try:
            result = attendance.check_in_by_token(token, request.user, form.people_value())
        except REFUSALS as exc:
            if report(request, exc, form):
                return _render_checkin(request, registration, form)
        else:
            done = result.registration
            if result.already_checked_in and form.people_value() is None:
                messages.info(
                    request, _("%(org)sは受付済みです。") % {"org": done.organization.name}
                )
            else:
                messages.success(
                    request,
                    _("%(org)sを受付しました（%(n)d人）。")
                    % {"org": done.organization.name, "n": done.attended_people},
                )
        return redirect(request.path)
    return _render_checkin(request, registration, form)


# --- 参加後アンケート -----------------------------------------------------------------------
OUTCOME_TEXT = {
    wishes.Outcome.REQUESTED: _(
        "%(org)s: 紹介の依頼としてコーディネーターに届けました%(mutual)s。"
    ),
    wishes.Outcome.ALREADY_REQUESTED: _(
        "%(org)s: すでに送っている紹介の依頼に加えました%(mutual)s。"
    ),
    wishes.Outcome.KEPT: _("%(org)s: 前の回答で紹介の依頼になっています%(mutual)s。"),
    wishes.Outcome.NO_OPEN_POST: _(
        "%(org)s: 募集中の投稿がないため紹介の依頼にはなりませんでしたが、"
        "コーディネーターに伝わり、改めて連絡します%(mutual)s。"
    ),
}


def _answering(user: Any, meeting: Meeting):
    """The user's organizations that took part (the form's 「回答する団体」)."""
    ids = wishes.participant_ids(meeting) & set(user.organization_ids())
    return Organization.objects.filter(pk__in=ids, is_active=True).order_by("name", "pk")


def _render_wishes(
    request: HttpRequest, meeting: Meeting, form: WishesForm | None = None
) -> HttpResponse:
    organizations = _answering(request.user, meeting)
    participants = list(wishes.participants(meeting))
    own = list(
        wishes.visible_wishes(meeting, request.user)
        .filter(organization__in=organizations)
        .order_by("organization__name", "target__name", "pk")
    )
    both = wishes.mutual_pairs(meeting)
    for wish in own:
        wish.mutual = (wish.organization_id, wish.target_id) in both
    is_open = wishes.is_open(meeting)
    if form is None and is_open and organizations.exists():
        first = organizations.first()
        initial = {
            "organization": first.pk,
            "targets": [w.target_id for w in own if w.organization_id == first.pk],
        }
        form = WishesForm(initial=initial, organizations=organizations, participants=participants)
    context = {
        "meeting": meeting,
        "form": form if is_open else None,
        "own": own,
        "is_open": is_open,
        "deadline": wishes.deadline(meeting),
        "ended": meeting.ends_at <= timezone.now(),
        "is_organizer": services.is_organizer(request.user, meeting),
    }
    return render(request, "public/meetings/wishes.html", context)


def wishes_page(request: HttpRequest, pk: int) -> HttpResponse:
    """「もっと話したい団体」: the participants (organizations that took part) name the
    others they want to talk to; each becomes a request in the coordinators' queue."""
    meeting = _meeting(request, pk)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not wishes.may_see_wishes(request.user, meeting):
        raise PermissionDenied(wishes.MSG_OUTSIDER)
    if request.method != "POST":
        return _render_wishes(request, meeting)
    form = WishesForm(
        request.POST,
        organizations=_answering(request.user, meeting),
        participants=list(wishes.participants(meeting)),
    )
    if not form.is_valid():
        return _render_wishes(request, meeting, form)
    data = form.cleaned_data
    try:
        result = wishes.submit_wishes(
            meeting, request.user, data["organization"], data["targets"], data["message"]
        )
    except REFUSALS as exc:
        if report(request, exc, form):
            return _render_wishes(request, meeting, form)
        return redirect(request.path)
    if not result.outcomes:
        messages.success(request, _("回答を受け付けました（選んだ団体はありません）。"))
    for outcome in result.outcomes:
        mutual = _("（双方が希望）") if outcome.mutual else ""
        text = OUTCOME_TEXT[outcome.outcome] % {"org": outcome.wish.target.name, "mutual": mutual}
        messages.success(request, text)
    return redirect(reverse("meeting-wishes-page", args=[meeting.pk]))


# --- 議事録 --------------------------------------------------------------------------------
def minutes_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The minutes, for the organizer, coordinators and the organizations registered."""
    meeting = _meeting(request, pk)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not reports.may_see_minutes(request.user, meeting):
        raise PermissionDenied(
            _("議事録は主催者、コーディネーターと参加した団体だけが見られます。")
        )
    context = {"meeting": meeting, "is_organizer": services.is_organizer(request.user, meeting)}
    return render(request, "public/meetings/minutes.html", context)


# --- 開催報告の写真 -------------------------------------------------------------------------
def photo(request: HttpRequest, pk: int, pid: int) -> HttpResponse:
    """A photo of the report, for whoever may read the report (``reports.visible_photo``:
    everyone once published; the organizer before). 404 otherwise."""
    meeting = _meeting(request, pk)
    try:
        found = reports.visible_photo(meeting, request.user, pid)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    extension = found.image.name.rsplit(".", 1)[-1].lower()
    try:
        with found.image.open("rb") as image:
            content = image.read()
    except FileNotFoundError as exc:  # the row without its file (a restore without media)
        raise Http404(_("写真が見つかりません。")) from exc
    response = HttpResponse(content, content_type=PHOTO_TYPES.get(extension, "image/jpeg"))
    response["Cache-Control"] = (
        "public, max-age=3600" if reports.is_report_public(meeting) else "private, no-store"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
