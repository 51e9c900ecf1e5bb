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
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from matching import adapter, ical, workflow
from matching.api_consultations import ics_response
from matching.consultations import (
    BOOKABLE_MATCH_STATES,
    ConsultationError,
    book,
    cancel_booking,
    reschedule,
    visible_bookings,
)
from matching.engine import COMPONENT_LABELS
from matching.models import ConsultationSlot, Match, Suggestion
from matching.models.matches import MatchParty
from matching.outcomes import (
    OutcomeError,
    answer_follow_up,
    evaluation_status,
    follow_ups_for,
    record_evaluation,
)
from matching.permissions import can_see_party_contacts, can_view_match
from matching.review import create_interest_request
from notifications import services as notices
from organizations.permissions import can_post_for
from organizations.privacy import log_personal_data_access
from proposals.api import visible_posts
from proposals.models import Need, Offer, Status
from proposals.serializers import NeedSerializer, OfferSerializer
from tsunagu import ratelimit
from tsunagu.pages import paginate

from .forms import (
    AgreeForm,
    EvaluationForm,
    FollowUpForm,
    InterestForm,
    NeedForm,
    OfferForm,
    ReasonForm,
    agree_initial,
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
    # A post the user may not even see (another organization's draft) is 404, as in the
    # API, so that its existence is not confirmed; a visible one they may not edit is 403.
    queryset = visible_posts(spec["model"].objects.select_related("organization"), request.user)
    post = get_object_or_404(queryset, pk=pk)
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
    # Shared with the API's interest requests (tsunagu/ratelimit.py): per person and address.
    limit_keys = (f"user:{request.user.pk}", ratelimit.client_ip(request))
    limited = request.method == "POST" and ratelimit.INTEREST_REQUEST.is_over(*limit_keys)
    if limited:
        form.is_valid()
        form.add_error(None, ratelimit.INTEREST_REQUEST.message)
    elif request.method == "POST" and form.is_valid():
        ratelimit.INTEREST_REQUEST.hit(*limit_keys)
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
        status=429 if limited else 200,
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


# The party's own steps on the match page, as buttons (agree has a form of its own).
PARTY_STEPS = {
    "start_consulting": (workflow.start_consulting, gettext_lazy("事前相談を始めました。")),
    "activate": (workflow.activate, gettext_lazy("協働を開始しました。")),
    "complete": (workflow.complete, gettext_lazy("完了を報告しました。評価の記入をお願いします。")),
}
PARTY_STEP_LABELS = {
    "start_consulting": gettext_lazy("事前相談を始める"),
    "activate": gettext_lazy("協働を開始する"),
    "complete": gettext_lazy("完了を報告する"),
}


def _open_follow_ups(user, match: Match) -> list:
    """The continuation follow-ups this user's organizations are asked to answer now."""
    return list(
        follow_ups_for(user)
        .filter(
            match=match,
            answer="",
            due_on__lte=timezone.localdate(),
            organization_id__in=user.organization_ids(),
        )
        .order_by("due_on", "pk")
    )


def _contacts_shown(request: HttpRequest, match: Match, parties) -> bool:
    """May the user see the parties' contacts here? A coordinator's view is logged."""
    shown = can_see_party_contacts(request.user, match)
    if shown:
        log_personal_data_access(
            request.user,
            [p.organization for p in parties],
            via="web:member-match",
            request=request,
            record=f"match:{match.pk}",
        )
    return shown


def _match_page(request: HttpRequest, match: Match, *, status: int = 200, **forms) -> HttpResponse:
    """The match page; ``forms`` are bound forms to show again with their errors."""
    user = request.user
    parties = list(match.parties.select_related("organization"))
    own = [p for p in parties if user.is_member_of(p.organization_id)]
    actions = workflow.available_actions(user, match)
    now = timezone.now()
    bookings = list(visible_bookings(user).filter(match=match).order_by("slot__starts_at"))
    slots = []
    if match.state in BOOKABLE_MATCH_STATES:
        booked = {b.slot_id for b in bookings if b.status == "booked"}
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
    active = workflow.active_parties(match)
    if any(p.response != MatchParty.Response.ACCEPTED for p in active):
        # Consulting starts once every party has said yes (workflow.start_consulting).
        actions = [a for a in actions if a != "start_consulting"]
    evaluation_org = forms.get("evaluation_org")
    follow_ups = _open_follow_ups(user, match)
    follow_up_form = forms.get("follow_up_form")
    for row in follow_ups:
        bound = follow_up_form is not None and forms.get("follow_up_pk") == row.pk
        row.form = follow_up_form if bound else FollowUpForm(prefix=f"fu{row.pk}")
    context = {
        "match": match,
        "parties": parties,
        "own": own,
        "pending_own": [p for p in own if p.response == MatchParty.Response.PENDING],
        "show_contacts": _contacts_shown(request, match, parties),
        "history": workflow.history(match),
        "can_respond": "respond" in actions,
        "can_decline": "decline" in actions and bool(own),
        "steps": [
            {"action": name, "label": PARTY_STEP_LABELS[name]}
            for name in PARTY_STEPS
            if name in actions
        ],
        "agree_form": forms.get("agree_form")
        or (
            AgreeForm(initial=agree_initial(match), parties=active) if "agree" in actions else None
        ),
        "bookings": bookings,
        "slots": slots,
        "now": now,
        "evaluate_for": [
            {
                "party": p,
                "form": forms["evaluation_form"]
                if evaluation_org == p.organization_id
                else EvaluationForm(prefix=f"ev{p.organization_id}"),
            }
            for p in awaiting
        ],
        "follow_ups": follow_ups,
        "next_step": next_step(user, match),
        "reason_form": forms.get("reason_form") or ReasonForm(),
    }
    return render(request, "member/match_detail.html", context, status=status)


@login_required
def match_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _match_page(request, _match(request, pk))


def _back(pk: int, anchor: str = ""):
    return redirect(reverse("member-match", args=[pk]) + (f"#{anchor}" if anchor else ""))


def _error(request, exc) -> None:
    detail = getattr(exc, "message_dict", None)
    if detail:
        for errors in detail.values():
            for error in errors:
                messages.error(request, error)
    else:
        messages.error(request, str(getattr(exc, "message", None) or exc))


def _invalid(request: HttpRequest) -> None:
    messages.error(request, _("入力内容を確認してください。"))


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
                _invalid(request)
                return _match_page(request, match, status=400, reason_form=form)
            workflow.decline(match, request.user, party.organization, form.cleaned_data["reason"])
            messages.success(request, _("辞退を伝えました。"))
    except (workflow.WorkflowConflict, ValidationError, PermissionDenied) as exc:
        _error(request, exc)
    return _back(pk)


@login_required
@require_POST
def match_step(request: HttpRequest, pk: int) -> HttpResponse:
    """A party moves its match on: start consulting, start the work, report completion."""
    match = _match(request, pk)
    action = request.POST.get("action", "")
    if action not in PARTY_STEPS:
        messages.error(request, _("この操作はここではできません。"))
        return _back(pk)
    function, done = PARTY_STEPS[action]
    try:
        function(match, request.user, comment=request.POST.get("comment", "")[:2000])
        messages.success(request, done)
    except (workflow.WorkflowConflict, ValidationError, PermissionDenied) as exc:
        _error(request, exc)
    return _back(pk)


@login_required
@require_POST
def match_agree(request: HttpRequest, pk: int) -> HttpResponse:
    """Record what the parties agreed (consulting → agreed)."""
    match = _match(request, pk)
    form = AgreeForm(request.POST, parties=workflow.active_parties(match))
    if form.is_valid():
        data = form.cleaned_data
        try:
            workflow.agree(
                match,
                request.user,
                form=data["form"],
                responsibilities=form.responsibilities(),
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                budget_note=data["budget_note"],
            )
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                for error in errors:
                    if name == "responsibilities":
                        _role_errors(form, error)
                    else:
                        form.add_error(name if name in form.fields else None, error)
        except (workflow.WorkflowConflict, PermissionDenied) as exc:
            _error(request, exc)
            return _back(pk)
        else:
            messages.success(request, _("合意内容を記録しました。"))
            return _back(pk)
    _invalid(request)
    return _match_page(request, match, status=400, agree_form=form)


def _role_errors(form: AgreeForm, error: str) -> None:
    """Put "a role is missing" next to each empty role field; anything else on top."""
    empty = [name for name in form.role_fields if not form.cleaned_data.get(name, "").strip()]
    if not empty:
        form.add_error(None, error)
    for name in empty:
        form.add_error(name, _("この団体の役割を入力してください。"))


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
    return _back(pk, "consultations")


@login_required
@require_POST
def booking_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    booking = get_object_or_404(visible_bookings(request.user), pk=pk)
    try:
        cancel_booking(booking, request.user, reason=request.POST.get("reason", ""))
        messages.success(request, _("予約を取り消しました。"))
    except ConsultationError as exc:
        messages.error(request, str(exc.message if hasattr(exc, "message") else exc))
    return _back(booking.match_id, "consultations")


@login_required
@require_POST
def booking_reschedule(request: HttpRequest, pk: int) -> HttpResponse:
    booking = get_object_or_404(visible_bookings(request.user), pk=pk)
    slot_id = request.POST.get("slot", "")
    slot = ConsultationSlot.objects.filter(pk=int(slot_id)).first() if slot_id.isdigit() else None
    if slot is None:
        messages.error(request, _("変更先の枠を選んでください。"))
        return _back(booking.match_id, "consultations")
    try:
        reschedule(booking, slot, request.user)
        messages.success(request, _("事前相談の日時を変更しました。"))
    except ConsultationError as exc:
        messages.error(request, str(exc.message if hasattr(exc, "message") else exc))
    return _back(booking.match_id, "consultations")


@login_required
def booking_ics(request: HttpRequest, pk: int) -> HttpResponse:
    booking = get_object_or_404(visible_bookings(request.user), pk=pk)
    return ics_response(ical.booking_ics(booking), f"consultation-{booking.pk}.ics")


@login_required
@require_POST
def match_evaluate(request: HttpRequest, pk: int) -> HttpResponse:
    match = _match(request, pk)
    party = _own_party(request.user, match, request.POST.get("organization"))
    form = EvaluationForm(request.POST, prefix=f"ev{party.organization_id}")
    if form.is_valid():
        try:
            record_evaluation(match, request.user, party.organization, **form.cleaned_data)
        except OutcomeError as exc:
            if exc.field and exc.field in form.fields:
                form.add_error(exc.field, str(exc.message))
            else:
                messages.error(request, str(exc.message))
                return _back(pk)
        else:
            messages.success(request, _("評価を記録しました。ご協力ありがとうございました。"))
            return _back(pk)
    _invalid(request)
    return _match_page(
        request,
        match,
        status=400,
        evaluation_form=form,
        evaluation_org=party.organization_id,
    )


@login_required
@require_POST
def follow_up_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """Answer a continuation follow-up (6 or 12 months after completion)."""
    row = get_object_or_404(follow_ups_for(request.user), pk=pk)
    match = _match(request, row.match_id)
    form = FollowUpForm(request.POST, prefix=f"fu{row.pk}")
    if form.is_valid():
        try:
            answer_follow_up(
                row, request.user, form.cleaned_data["answer"], form.cleaned_data["reason"]
            )
        except OutcomeError as exc:
            if exc.field and exc.field in form.fields:
                form.add_error(exc.field, str(exc.message))
            else:
                messages.error(request, str(exc.message))
                return _back(match.pk)
        else:
            messages.success(request, _("継続状況をお知らせいただき、ありがとうございました。"))
            return _back(match.pk)
    _invalid(request)
    return _match_page(request, match, status=400, follow_up_form=form, follow_up_pk=row.pk)


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
