"""Requests for an introduction (「この団体と話したい」): a member asks, for their
organization, to be introduced to a post's organization; a coordinator accepts or declines,
and the requester may withdraw a pending request.

An accepted request ends in ``workflow.create_match``, like an approved pair of the review
queue (``matching.review.services``): a coordinator stays between the parties.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from lib import links
from lib.errors import Forbidden, Invalid
from matching.matches import workflow
from matching.matches.audit import audit_actor
from matching.models import (
    InterestRequest,
    Match,
    MatchParty,
)
from notifications.services import notify
from organizations.models import Organization
from organizations.permissions import is_coordinator
from organizations.services import coordinators, members_of
from proposals.models import Need, Offer, Status


def create_interest_request(
    actor,
    organization: Organization,
    *,
    need: Need | None = None,
    offer: Offer | None = None,
    message: str = "",
    origin_note: str = "",
) -> InterestRequest:
    """「この団体と話したい」: a member asks, for their organization, to be introduced to a
    post's organization. It goes to the coordinators, who decide. ``origin_note``: where
    the wish came from, in words (a meeting's post-meeting form, meetings.day.wishes); the
    queue shows it and the match keeps it."""
    if not (actor and actor.is_authenticated and actor.is_member_of(organization.pk)):
        raise Forbidden(gettext("所属している団体として依頼してください。"))
    errors: dict[str, list[str]] = {}
    if (need is None) == (offer is None):
        errors["non_field_errors"] = [gettext("ニーズかシーズのどちらか一つを指定してください。")]
        raise Invalid(errors=errors)
    post = need or offer
    key = "need" if need is not None else "offer"
    if post.status != Status.OPEN or not post.organization.is_active:
        errors[key] = [gettext("募集中の投稿にだけ依頼できます。")]
    elif post.organization_id == organization.pk:
        errors[key] = [gettext("自分の団体の投稿には依頼できません。")]
    elif InterestRequest.objects.filter(
        organization=organization, status=InterestRequest.Status.PENDING, **{key: post}
    ).exists():
        errors[key] = [gettext("この投稿への依頼はすでに受け付けています。")]
    if errors:
        raise Invalid(errors=errors)
    try:
        with transaction.atomic(), audit_actor(actor):
            request = InterestRequest.objects.create(
                organization=organization,
                need=need,
                offer=offer,
                message=(message or "").strip(),
                origin_note=(origin_note or "").strip()[:300],
                requested_by=actor,
            )
            notify(
                coordinators(),
                "interest.received",
                gettext("紹介の依頼: %(org)s →「%(post)s」")
                % {"org": organization.name, "post": post.title},
                request.message,
                url=links.interest_queue(),
                payload={"interest_request": request.pk},
            )
    except IntegrityError as exc:  # a concurrent duplicate
        raise Invalid(
            errors={key: [gettext("この投稿への依頼はすでに受け付けています。")]}
        ) from exc
    return request


def _lock_request(request: InterestRequest | int) -> InterestRequest:
    pk = request.pk if isinstance(request, InterestRequest) else request
    return (
        InterestRequest.objects.select_for_update(of=("self",))
        .select_related("organization", "need__organization", "offer__organization")
        .get(pk=pk)
    )


def _pending(request: InterestRequest) -> None:
    if request.status != InterestRequest.Status.PENDING:
        raise workflow.WorkflowConflict(
            gettext("この依頼はすでに「%(status)s」です。")
            % {"status": request.get_status_display()}
        )


def _notify_requester(request: InterestRequest, kind: str, title: str, body: str) -> None:
    notify(
        members_of([request.organization_id]),
        kind,
        title,
        body,
        url=links.sent_requests(),
        payload={"interest_request": request.pk, "match": request.match_id},
    )


def accept_interest_request(
    actor, request: InterestRequest | int, comment: str = ""
) -> InterestRequest:
    """A coordinator takes the request on: a match (proposed) with the requester and the
    post's organization. Asking about a need makes the requester the offering side, and
    asking about an offer makes it the side with the need."""
    if not is_coordinator(actor):
        raise Forbidden(gettext("依頼に対応できるのはコーディネーターだけです。"))
    with transaction.atomic(), audit_actor(actor):
        request = _lock_request(request)
        _pending(request)
        post = request.post
        if request.need_id:
            roles = (MatchParty.Role.NEED_POSTER, MatchParty.Role.OFFER_POSTER)
        else:
            roles = (MatchParty.Role.OFFER_POSTER, MatchParty.Role.NEED_POSTER)
        match = workflow.create_match(
            actor,
            parties=[
                workflow.PartySpec(post.organization, roles[0]),
                workflow.PartySpec(request.organization, roles[1]),
            ],
            title=post.title,
            need=request.need,
            offer=request.offer,
            # A request from a meeting's post-meeting form keeps where it came from.
            origin=Match.Origin.MEETING if request.origin_note else Match.Origin.INTEREST,
            comment=comment or request.message,
        )
        if request.origin_note:
            match.origin_note = request.origin_note
            match.save(update_fields=["origin_note", "updated_at"])
        request.status = InterestRequest.Status.ACCEPTED
        request.handled_by, request.handled_at = actor, timezone.now()
        request.handling_comment = (comment or "").strip()
        request.match = match
        request.save()
        _notify_requester(
            request,
            "interest.accepted",
            gettext("紹介の依頼を受け付けました:「%(post)s」") % {"post": post.title},
            gettext("コーディネーターが紹介の準備を始めます。"),
        )
    return request


def decline_interest_request(
    actor, request: InterestRequest | int, comment: str = ""
) -> InterestRequest:
    if not is_coordinator(actor):
        raise Forbidden(gettext("依頼に対応できるのはコーディネーターだけです。"))
    if not (comment or "").strip():
        raise Invalid(errors={"comment": [gettext("見送りの理由を入力してください。")]})
    with transaction.atomic(), audit_actor(actor):
        request = _lock_request(request)
        _pending(request)
        request.status = InterestRequest.Status.DECLINED
        request.handled_by, request.handled_at = actor, timezone.now()
        request.handling_comment = comment.strip()
        request.save()
        _notify_requester(
            request,
            "interest.declined",
            gettext("紹介の依頼は見送りになりました:「%(post)s」") % {"post": request.post.title},
            request.handling_comment,
        )
    return request


def withdraw_interest_request(actor, request: InterestRequest | int) -> InterestRequest:
    with transaction.atomic(), audit_actor(actor):
        request = _lock_request(request)
        if not (actor and actor.is_authenticated and actor.is_member_of(request.organization_id)):
            raise Forbidden(gettext("依頼した団体のメンバーだけが取り下げられます。"))
        _pending(request)
        request.status = InterestRequest.Status.WITHDRAWN
        request.handled_at = timezone.now()
        request.save()
    return request


def update_origin_note(request: InterestRequest | int, origin_note: str) -> None:
    """Rewrite where a request came from (meetings.day.wishes marks a wish 「（双方が希望）」 once
    the other organization wishes back), and the note of the match made from it."""
    note = (origin_note or "").strip()[:300]
    with transaction.atomic():
        request = _lock_request(request)
        request.origin_note = note
        request.save(update_fields=["origin_note"])
        if request.match_id:
            Match.objects.filter(pk=request.match_id, origin=Match.Origin.MEETING).update(
                origin_note=note
            )
