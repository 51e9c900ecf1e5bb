"""Logged-in pages for organization members and department staff (「マイページ」).

Thin views: the rules live in the apps' services (proposals.services.save_post through the
API serializers, matching.review/workflow/consultations/outcomes, notifications.services).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from matching import adapter, ical, workflow
from matching.api_consultations import ics_response
from matching.consultations import (
    BOOKABLE_MATCH_STATES,
    ConsultationError,
    book,
    cancel_booking,
    visible_bookings,
)
from matching.engine import COMPONENT_LABELS
from matching.models import ConsultationSlot, Match, Suggestion
from matching.models.matches import MatchParty
from matching.outcomes import OutcomeError, evaluation_status, record_evaluation
from matching.permissions import can_see_party_contacts, can_view_match
from matching.review import create_interest_request
from notifications import services as notices
from organizations.permissions import can_post_for
from proposals.api import visible_posts
from proposals.models import Need, Offer, Status
from proposals.serializers import NeedSerializer, OfferSerializer
from tsunagu.pages import paginate

from .forms import (
    EvaluationForm,
    InterestForm,
    NeedForm,
    OfferForm,
    ReasonForm,
    initial_for,
    member_organizations,
    preference_form_class,
)

TYPES = {
    "needs": {"model": Need, "form": NeedForm, "serializer": NeedSerializer, "side": "need"},
    "offers": {"model": Offer, "form": OfferForm, "serializer": OfferSerializer, "side": "offer"},
}


def _type(post_type: str) -> dict:
    if post_type not in TYPES:
        raise Http404
    return TYPES[post_type]


# --------------------------------------------------------------------------- home
def next_step(user, match: Match) -> str:
    """What happens next, in words, from this user's point of view."""
    own_pending = any(
        p.response == MatchParty.Response.PENDING and user.is_member_of(p.organization_id)
        for p in match.parties.all()
    )
    state = match.state
    if state in workflow.RESPOND_STATES and own_pending:
        return _("紹介への回答をお願いします")
    steps = {
        "proposed": _("コーディネーターが紹介の準備をしています"),
        "introduced": _("相手の団体の回答を待っています"),
        "consulting": _("事前相談で協働の内容を話し合ってください"),
        "agreed": _("協働の開始に向けて準備してください"),
        "active": _("協働を実施中です。終わったら完了の報告をお願いします"),
        "completed": _("評価の記入をお願いします"),
    }
    return steps.get(state, _("この協働は終了しました"))


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    org_ids = user.organization_ids()
    top_k = adapter.active_profile().top_k
    posts = []
    for post_type, spec in TYPES.items():
        rows = (
            spec["model"]
            .objects.filter(organization_id__in=org_ids)
            .select_related("organization")
            .annotate(suggestion_count=Count("suggestions"))
            .order_by("-updated_at", "-pk")
        )
        for row in rows:
            row.post_type = post_type
            row.suggestion_count = min(row.suggestion_count, top_k)
            posts.append(row)
    posts.sort(key=lambda p: p.updated_at, reverse=True)
    matches = list(
        Match.objects.filter(parties__organization_id__in=org_ids)
        .distinct()
        .prefetch_related("parties__organization")
        .order_by("-updated_at", "-pk")[:50]
    )
    for match in matches:
        match.next_step = next_step(user, match)
    upcoming = ical.feed_bookings(user).filter(
        slot__starts_at__gte=timezone.now(), status="booked"
    )[:10]
    context = {
        "organizations": user.memberships.select_related("organization").filter(
            organization__is_active=True
        ),
        "posts": posts,
        "matches": matches,
        "upcoming": upcoming,
        "notifications": notices.inbox(user).order_by("-created_at", "-pk")[:5],
        "unread": notices.unread_count(user),
        "open_status": Status.OPEN,
    }
    return render(request, "member/home.html", context)


# --------------------------------------------------------------------------- posts
def _editable_post(request: HttpRequest, spec: dict, pk: int):
    post = get_object_or_404(spec["model"].objects.select_related("organization"), pk=pk)
    if not can_post_for(request.user, post.organization):
        raise PermissionDenied
    return post


def _save_via_serializer(request, spec, form, instance):
    """Validate with the API serializer (the same rules) and save through save_post.
    Returns the post, or None after copying the serializer's errors onto the form."""
    serializer = spec["serializer"](instance, data=form.api_data(), context={"request": request})
    if not serializer.is_valid():
        for name, errors in serializer.errors.items():
            target = name if name in form.fields and name not in form.errors else None
            for error in errors if isinstance(errors, list) else [errors]:
                form.add_error(target, str(error))
        return None
    with transaction.atomic():
        return serializer.save()


@login_required
def post_edit(request: HttpRequest, post_type: str, pk: int | None = None) -> HttpResponse:
    spec = _type(post_type)
    instance = _editable_post(request, spec, pk) if pk is not None else None
    form_class = spec["form"]
    kwargs = {"user": request.user, "instance": instance}
    if instance is None and not form_class(**kwargs).fields["organization"].queryset.exists():
        messages.error(request, _("投稿するには団体に所属している必要があります。"))
        return redirect("member-home")
    if request.method == "POST":
        initial = {"organization": instance.organization_id} if instance is not None else None
        form = form_class(request.POST, initial=initial, **kwargs)
        if form.is_valid():
            post = _save_via_serializer(request, spec, form, instance)
            if post is not None:
                messages.success(
                    request,
                    _("「%(title)s」を保存しました。") % {"title": post.title},
                )
                return redirect("member-home")
        messages.error(request, _("入力内容を確認してください。"))
    else:
        initial = initial_for(instance) if instance is not None else {"status": Status.OPEN}
        form = form_class(initial=initial, **kwargs)
    context = {
        "form": form,
        "post": instance,
        "post_type": post_type,
        "is_need": post_type == "needs",
    }
    return render(request, "member/post_form.html", context)


@login_required
def suggestions(request: HttpRequest, post_type: str, pk: int) -> HttpResponse:
    spec = _type(post_type)
    queryset = visible_posts(spec["model"].objects.select_related("organization"), request.user)
    post = get_object_or_404(queryset, pk=pk)
    if not can_post_for(request.user, post.organization):
        raise PermissionDenied
    limit = adapter.active_profile().top_k
    rows = list(
        Suggestion.objects.filter(**{spec["side"]: post})
        .select_related("need__organization", "offer__organization")
        .order_by("-score", "pk")[:limit]
    )
    for rank, row in enumerate(rows, start=1):
        row.rank = rank
        row.partner = row.offer if spec["side"] == "need" else row.need
        page = "offer-page" if spec["side"] == "need" else "need-page"
        row.partner_url = reverse(page, args=[row.partner.pk])
        row.parts = [
            {
                "label": c.get("label") or COMPONENT_LABELS.get(c.get("name"), c.get("name")),
                "contribution": c.get("contribution", 0.0),
                "percent": max(0, min(100, round(abs(c.get("contribution", 0.0)) * 100))),
                "negative": c.get("contribution", 0.0) < 0,
            }
            for c in row.components
        ]
    context = {"post": post, "post_type": post_type, "rows": rows}
    return render(request, "member/suggestions.html", context)


# --------------------------------------------------------------------------- interest
@login_required
def interest(request: HttpRequest, post_type: str, pk: int) -> HttpResponse:
    spec = _type(post_type)
    post = get_object_or_404(
        visible_posts(spec["model"].objects.select_related("organization"), request.user).filter(
            status=Status.OPEN
        ),
        pk=pk,
    )
    organizations = (
        member_organizations(request.user)
        .filter(pk__in=request.user.organization_ids())
        .exclude(pk=post.organization_id)
    )
    if not organizations.exists():
        raise PermissionDenied
    form = InterestForm(request.POST or None, organizations=organizations)
    if request.method == "POST" and form.is_valid():
        try:
            create_interest_request(
                request.user,
                form.cleaned_data["organization"],
                message=form.cleaned_data["message"],
                **{spec["side"]: post},
            )
        except ValidationError as exc:
            for errors in exc.message_dict.values():
                for error in errors:
                    form.add_error(None, error)
        else:
            messages.success(
                request,
                _(
                    "「%(title)s」への紹介の依頼を受け付けました。"
                    "コーディネーターが確認してご連絡します。"
                )
                % {"title": post.title},
            )
            return redirect(f"{post_type[:-1]}-page", pk=post.pk)
    return render(
        request,
        "member/interest.html",
        {"form": form, "post": post, "post_type": post_type, "is_need": post_type == "needs"},
    )


# --------------------------------------------------------------------------- matches
def _match(request: HttpRequest, pk: int) -> Match:
    match = get_object_or_404(Match.objects.select_related("need", "offer", "coordinator"), pk=pk)
    if not can_view_match(request.user, match):
        raise Http404
    return match


def _own_party(user, match: Match, organization_id: str | None) -> MatchParty:
    parties = [p for p in workflow.active_parties(match) if user.is_member_of(p.organization_id)]
    for party in parties:
        if str(party.organization_id) == str(organization_id or party.organization_id):
            return party
    raise PermissionDenied


@login_required
def match_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    match = _match(request, pk)
    parties = list(match.parties.select_related("organization"))
    own = [p for p in parties if user.is_member_of(p.organization_id)]
    actions = workflow.available_actions(user, match)
    now = timezone.now()
    bookings = visible_bookings(user).filter(match=match).order_by("slot__starts_at")
    slots = []
    if match.state in BOOKABLE_MATCH_STATES:
        booked = set(bookings.filter(status="booked").values_list("slot_id", flat=True))
        slots = [
            s
            for s in ConsultationSlot.objects.filter(starts_at__gt=now, is_cancelled=False)
            .exclude(pk__in=booked)
            .order_by("starts_at")[:20]
            if s.seats_left > 0
        ]
    awaiting = []
    if match.state == Match.State.COMPLETED:
        waiting_ids = {o.pk for o in evaluation_status(match)["awaiting"]}
        awaiting = [p for p in own if p.organization_id in waiting_ids]
    context = {
        "match": match,
        "parties": parties,
        "own": own,
        "pending_own": [p for p in own if p.response == MatchParty.Response.PENDING],
        "show_contacts": can_see_party_contacts(user, match),
        "history": workflow.history(match),
        "can_respond": "respond" in actions,
        "can_decline": "decline" in actions and bool(own),
        "bookings": bookings,
        "slots": slots,
        "now": now,
        "evaluate_for": awaiting,
        "next_step": next_step(user, match),
        "reason_form": ReasonForm(),
        "evaluation_form": EvaluationForm(),
    }
    return render(request, "member/match_detail.html", context)


def _back(pk: int):
    return redirect("member-match", pk=pk)


def _error(request, exc) -> None:
    detail = getattr(exc, "message_dict", None)
    if detail:
        for errors in detail.values():
            for error in errors:
                messages.error(request, error)
    else:
        messages.error(request, str(getattr(exc, "message", None) or exc))


@login_required
@require_POST
def match_respond(request: HttpRequest, pk: int) -> HttpResponse:
    match = _match(request, pk)
    party = _own_party(request.user, match, request.POST.get("organization"))
    accepted = request.POST.get("answer") == "accept"
    try:
        if accepted:
            workflow.respond(match, request.user, party.organization, True)
            messages.success(request, _("紹介に前向きに回答しました。"))
        else:
            form = ReasonForm(request.POST)
            if not form.is_valid():
                messages.error(request, _("辞退の理由を入力してください。"))
                return _back(pk)
            workflow.decline(match, request.user, party.organization, form.cleaned_data["reason"])
            messages.success(request, _("辞退を伝えました。"))
    except (workflow.WorkflowConflict, ValidationError, PermissionDenied) as exc:
        _error(request, exc)
    return _back(pk)


@login_required
@require_POST
def match_book(request: HttpRequest, pk: int) -> HttpResponse:
    match = _match(request, pk)
    slot = get_object_or_404(ConsultationSlot, pk=request.POST.get("slot") or 0)
    try:
        book(slot, match, request.user)
        messages.success(request, _("事前相談を予約しました。"))
    except ConsultationError as exc:
        messages.error(request, str(exc.message if hasattr(exc, "message") else exc))
    return _back(pk)


@login_required
@require_POST
def booking_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    booking = get_object_or_404(visible_bookings(request.user), pk=pk)
    try:
        cancel_booking(booking, request.user, reason=request.POST.get("reason", ""))
        messages.success(request, _("予約を取り消しました。"))
    except ConsultationError as exc:
        messages.error(request, str(exc.message if hasattr(exc, "message") else exc))
    return _back(booking.match_id)


@login_required
def booking_ics(request: HttpRequest, pk: int) -> HttpResponse:
    booking = get_object_or_404(visible_bookings(request.user), pk=pk)
    return ics_response(ical.booking_ics(booking), f"consultation-{booking.pk}.ics")


@login_required
@require_POST
def match_evaluate(request: HttpRequest, pk: int) -> HttpResponse:
    match = _match(request, pk)
    party = _own_party(request.user, match, request.POST.get("organization"))
    form = EvaluationForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("評価（A〜D）を選んでください。"))
        return _back(pk)
    try:
        record_evaluation(match, request.user, party.organization, **form.cleaned_data)
        messages.success(request, _("評価を記録しました。ご協力ありがとうございました。"))
    except OutcomeError as exc:
        messages.error(request, str(exc.message if hasattr(exc, "message") else exc))
    return _back(pk)


# --------------------------------------------------------------------------- notifications
@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        if request.POST.get("all"):
            count = notices.mark_read(request.user)
        else:
            ids = [int(v) for v in request.POST.getlist("ids") if v.isdigit()]
            count = notices.mark_read(request.user, ids)
        messages.success(request, _("%(count)d件を既読にしました。") % {"count": count})
        return redirect("member-inbox")
    only_unread = request.GET.get("unread") == "1"
    rows = notices.inbox(request.user).order_by("-created_at", "-pk")
    if only_unread:
        rows = rows.filter(read_at__isnull=True)
    context = {
        "page": paginate(request, rows),
        "unread": notices.unread_count(request.user),
        "only_unread": only_unread,
    }
    return render(request, "member/inbox.html", context)


@login_required
def notification_settings(request: HttpRequest) -> HttpResponse:
    rows = notices.preferences(request.user)
    form_class = preference_form_class(rows)
    if request.method == "POST":
        form = form_class(request.POST)
        if form.is_valid():
            notices.set_preferences(
                request.user,
                {
                    name.removeprefix("kind__"): value
                    for name, value in form.cleaned_data.items()
                    if value
                },
            )
            messages.success(request, _("通知の設定を保存しました。"))
            return redirect("member-notification-settings")
        messages.error(request, _("入力内容を確認してください。"))
    else:
        form = form_class()
    feed = ical.feed_for(request.user)
    context = {
        "form": form,
        "feed_url": request.build_absolute_uri(reverse("calendar-feed", args=[feed.token])),
    }
    return render(request, "member/notification_settings.html", context)


@login_required
@require_POST
def rotate_feed(request: HttpRequest) -> HttpResponse:
    ical.rotate_feed(request.user)
    messages.success(request, _("カレンダーのURLを新しくしました。以前のURLは使えなくなりました。"))
    return redirect("member-notification-settings")
