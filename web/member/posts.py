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
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError as RefusedInput

from lib import ratelimit
from matching.consultations import ical
from matching.engine import COMPONENT_LABELS
from matching.matches import workflow
from matching.matches.interest import create_interest_request
from matching.models import InterestRequest, Match, Suggestion
from matching.models.matches import MatchParty
from matching.outcomes.evaluations import evaluation_status
from matching.scoring import adapter
from notifications import services as notices
from organizations.permissions import can_post_for
from proposals.api import visible_posts
from proposals.models import Need, Offer, Status
from proposals.serializers import NeedSerializer, OfferSerializer
from web.errors import field_errors
from web.member.forms import (
    InterestForm,
    NeedForm,
    OfferForm,
    initial_for,
    member_organizations,
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
    # The agreement's confirmations and the evaluations, told as they stand (マイページ and
    # the match page say the same).
    if state == Match.State.CONSULTING and match.terms_revision:
        own = [p for p in workflow.active_parties(match) if user.is_member_of(p.organization_id)]
        if workflow.unconfirmed(match, own):
            return _("記録された合意内容を確認してください")
        others = workflow.unconfirmed(match)
        if others:
            return _("ほかの団体の確認を待っています（未確認: %(names)s）") % {
                "names": "、".join(p.organization.name for p in others)
            }
    if state == Match.State.COMPLETED:
        awaiting = evaluation_status(match)["awaiting"]
        if any(user.is_member_of(o.pk) for o in awaiting):
            return _("評価の記入をお願いします")
        return _("ほかの団体とコーディネーターの評価を待っています")
    steps = {
        "proposed": _("コーディネーターが紹介の準備をしています"),
        "introduced": _("相手の団体の回答を待っています"),
        "consulting": _("事前相談で協働の内容を話し合ってください"),
        "agreed": _("協働の開始に向けて準備してください"),
        "active": _("協働を実施中です。終わったら完了の報告をお願いします"),
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
    """Parse with the API serializer and save through it: its validate() and save() are
    proposals.services.check_post / save_post, the rules every path shares. Returns the
    post, or None after copying the refusal's messages onto the form."""
    serializer = spec["serializer"](instance, data=form.api_data(), context={"request": request})
    if not serializer.is_valid():
        _add_errors(form, serializer.errors)
        return None
    try:
        with transaction.atomic():
            return serializer.save()
    except RefusedInput as exc:
        # Refused by save_post's second look (the post changed since it was read).
        _add_errors(form, exc.detail)
        return None


def _add_errors(form, errors) -> None:
    items = errors.items() if isinstance(errors, dict) else [(None, errors)]
    for name, messages_of_field in items:
        target = name if name in form.fields and name not in form.errors else None
        for error in (
            messages_of_field if isinstance(messages_of_field, list) else [messages_of_field]
        ):
            form.add_error(target, str(error))


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
    # 「この団体と話したい」 on each row, for the post's own organization: what it already
    # asked about each partner (the latest request), so that a sent request says so.
    asking = request.user.is_member_of(post.organization_id)
    if asking:
        partner_side = "offer" if spec["side"] == "need" else "need"
        sent = interest_requests_about(
            post.organization_id, partner_side, [row.partner.pk for row in rows]
        )
        for row in rows:
            row.interest = sent.get(row.partner.pk)
            row.interest_url = reverse("member-interest", args=[f"{partner_side}s", row.partner.pk])
    context = {"post": post, "post_type": post_type, "rows": rows, "asking": asking}
    return render(request, "member/suggestions.html", context)


def interest_requests_about(
    organization_id: int, side: str, post_ids: list[int]
) -> dict[int, InterestRequest]:
    """The latest interest request of the organization about each of these posts."""
    latest: dict[int, InterestRequest] = {}
    rows = InterestRequest.objects.filter(
        organization_id=organization_id, **{f"{side}_id__in": post_ids}
    ).order_by("created_at", "pk")
    for row in rows:
        latest[getattr(row, f"{side}_id")] = row
    return latest


def _back_to(request: HttpRequest) -> str:
    """The member page a form came from (the suggestions page), if it is one of ours."""
    target = request.POST.get("next", "")
    if target.startswith("/my/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


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
    # Shared with the API's interest requests (lib/ratelimit.py): per person and address.
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
            for errors in field_errors(exc).values():
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
            # Back to the suggestions page it was sent from, where the button now says so.
            return redirect(_back_to(request) or reverse(f"{post_type[:-1]}-page", args=[post.pk]))
    back = _back_to(request) if request.method == "POST" else ""
    if back and form.errors:
        # Sent from the suggestions page: the refusal is shown there, above the list.
        for error in [e for errors in form.errors.values() for e in errors]:
            messages.error(request, error)
        return redirect(back)
    return render(
        request,
        "member/interest.html",
        {"form": form, "post": post, "post_type": post_type, "is_need": post_type == "needs"},
        status=429 if limited else 200,
    )
