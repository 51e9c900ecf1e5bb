"""The coordinators' review queue (suggested pairs to approve, reject or defer) and
requests for an introduction (「この団体と話したい」).

Both end in ``workflow.create_match``: a coordinator stays between the parties.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from matching import links
from notifications.services import notify
from organizations.filters import area_ids_covering
from organizations.models import Area, Organization, User
from proposals.models import Need, Offer, Status

from . import adapter, workflow
from .audit import audit_actor
from .models import InterestRequest, Match, MatchParty, RejectionReason, ReviewDecision, Suggestion
from .permissions import is_coordinator

Decision = ReviewDecision.Decision


# --------------------------------------------------------------------------- fingerprints


def fingerprint(post: Need | Offer) -> str:
    """What a post says, hashed: title, description, fields, areas, forms, period.

    A rejected pair returns to the queue when either fingerprint changes ("materially":
    a new status or a typo in the contact person does not count).
    """
    data = {
        "title": post.title.strip(),
        "description": post.description.strip(),
        # .all() so that a prefetched queue computes these without a query per post
        "fields": sorted(f.code for f in post.fields.all()),
        "areas": sorted(a.code for a in post.areas.all()),
        "forms": sorted(f.code for f in post.forms.all()),
        "period": [str(post.starts_on or ""), str(post.ends_on or "")],
    }
    raw = json.dumps(data, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(raw.encode()).hexdigest()


# --------------------------------------------------------------------------- the queue


def open_match_exists(need_id: int | None = None, offer_id: int | None = None) -> Q:
    return Q(state__in=Match.OPEN_STATES) & Q(need_id=need_id, offer_id=offer_id)


def review_queue(
    *,
    min_score: float | None = None,
    fields: list[str] | None = None,
    areas: list[Area] | None = None,
    departments: list[int] | None = None,
    forms: list[str] | None = None,
) -> QuerySet[Suggestion]:
    """Suggested pairs waiting for a coordinator, best first.

    Left out: pairs already approved or with an open match; pairs rejected (or deferred
    without a date) whose posts have not changed materially since; pairs deferred until a
    future date. Filters: ``fields`` (either post), ``areas`` (either post, with the areas
    inside and around them), ``departments`` (the need's organization), ``forms`` (both
    posts accept it).
    """
    threshold = adapter.active_profile().min_score if min_score is None else min_score
    today = timezone.localdate()
    qs = Suggestion.objects.filter(
        score__gte=threshold,
        need__status=Status.OPEN,
        offer__status=Status.OPEN,
        need__organization__is_active=True,
        offer__organization__is_active=True,
    )
    decisions = ReviewDecision.objects.filter(need=OuterRef("need"), offer=OuterRef("offer"))
    qs = qs.exclude(Exists(decisions.filter(decision=Decision.APPROVED)))
    qs = qs.exclude(
        Exists(
            Match.objects.filter(
                need=OuterRef("need"), offer=OuterRef("offer"), state__in=Match.OPEN_STATES
            )
        )
    )
    qs = qs.exclude(Exists(decisions.filter(decision=Decision.DEFERRED, deferred_until__gt=today)))
    hidden = _unchanged_pairs(qs)
    if hidden:
        cond = Q()
        for need_id, offer_id in hidden:
            cond |= Q(need_id=need_id, offer_id=offer_id)
        qs = qs.exclude(cond)
    if fields:
        qs = qs.filter(Q(need__fields__code__in=fields) | Q(offer__fields__code__in=fields))
    if areas:
        ids = area_ids_covering(list(areas))
        qs = qs.filter(Q(need__areas__in=ids) | Q(offer__areas__in=ids))
    if departments:
        qs = qs.filter(need__organization_id__in=departments)
    for code in forms or []:
        qs = qs.filter(
            Exists(
                Need.forms.through.objects.filter(
                    need=OuterRef("need"), collaborationform__code=code
                )
            ),
            Exists(
                Offer.forms.through.objects.filter(
                    offer=OuterRef("offer"), collaborationform__code=code
                )
            ),
        )
    # Filters over many-to-many rows can repeat a suggestion; a subquery keeps the
    # ordering and pagination simple.
    return (
        Suggestion.objects.filter(pk__in=qs.values("pk"))
        .select_related("need__organization", "offer__organization")
        .order_by("-score", "pk")
    )


def _unchanged_pairs(candidates: QuerySet[Suggestion]) -> set[tuple[int, int]]:
    """Pairs rejected (or deferred without a date) whose posts read as they did then."""
    rows = list(
        ReviewDecision.objects.filter(
            Q(decision=Decision.REJECTED) | Q(decision=Decision.DEFERRED, deferred_until=None),
            Exists(candidates.filter(need=OuterRef("need"), offer=OuterRef("offer"))),
        ).values_list("need_id", "offer_id", "need_fingerprint", "offer_fingerprint")
    )
    if not rows:
        return set()
    needs = _fingerprints(Need, {r[0] for r in rows})
    offers = _fingerprints(Offer, {r[1] for r in rows})
    return {(n, o) for n, o, nf, of in rows if needs.get(n) == nf and offers.get(o) == of}


def _fingerprints(model, ids: set[int]) -> dict[int, str]:
    posts = model.objects.filter(pk__in=ids).prefetch_related("fields", "areas", "forms")
    return {post.pk: fingerprint(post) for post in posts}


# --------------------------------------------------------------------------- decisions


@dataclass
class DecisionItem:
    need: Need
    offer: Offer
    decision: str
    reason: RejectionReason | None = None
    comment: str = ""
    deferred_until: dt.date | None = None


@dataclass
class DecisionResult:
    item: DecisionItem
    review: ReviewDecision
    match: Match | None = None


@dataclass
class ItemErrors(Exception):
    """Some items of a bulk decision are invalid; nothing was saved. One dict per item,
    in order, empty for the valid ones (as REST framework reports list errors)."""

    errors: list[dict] = field(default_factory=list)


def _item_errors(item: DecisionItem, seen: set[tuple[int, int]]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    pair = (item.need.pk, item.offer.pk)
    if pair in seen:
        errors["non_field_errors"] = [gettext("同じ組合せが重複しています。")]
    seen.add(pair)
    if not Suggestion.objects.filter(need=item.need, offer=item.offer).exists():
        errors.setdefault("non_field_errors", []).append(
            gettext("この組合せは現在の提案にありません。")
        )
    previous = ReviewDecision.objects.filter(need=item.need, offer=item.offer).first()
    if previous is not None and previous.decision == Decision.APPROVED:
        errors.setdefault("non_field_errors", []).append(
            gettext("この組合せはすでに承認されています。")
        )
    if Match.objects.filter(open_match_exists(item.need.pk, item.offer.pk)).exists():
        errors.setdefault("non_field_errors", []).append(
            gettext("この組合せにはすでに進行中のマッチがあります。")
        )
    if item.decision == Decision.REJECTED:
        if item.reason is None:
            errors["reason"] = [gettext("見送りの理由を選んでください。")]
        elif not item.reason.is_active:
            errors["reason"] = [gettext("この理由は現在使われていません。")]
        elif item.reason.code == "other" and not item.comment.strip():
            errors["comment"] = [gettext("「その他」の場合は理由を記入してください。")]
    if item.decision == Decision.DEFERRED and item.deferred_until is not None:
        if item.deferred_until <= timezone.localdate():
            errors["deferred_until"] = [gettext("保留の期限は明日以降の日付にしてください。")]
    return errors


def decide(actor, items: list[DecisionItem]) -> list[DecisionResult]:
    """Approve, reject or defer suggested pairs: all of them or none (each item's errors
    are reported with its position)."""
    if not is_coordinator(actor):
        raise PermissionDenied(gettext("提案を審査できるのはコーディネーターだけです。"))
    with transaction.atomic(), audit_actor(actor):
        # Lock the pairs' suggestions so two coordinators deciding at once do not both
        # create a match for the same pair.
        cond = Q()
        for item in items:
            cond |= Q(need=item.need, offer=item.offer)
        if items:
            list(Suggestion.objects.select_for_update().filter(cond).values_list("pk"))
        seen: set[tuple[int, int]] = set()
        errors = [_item_errors(item, seen) for item in items]
        if any(errors):
            raise ItemErrors(errors)
        return [_apply(actor, item) for item in items]


def _apply(actor, item: DecisionItem) -> DecisionResult:
    suggestion = Suggestion.objects.get(need=item.need, offer=item.offer)
    match = None
    if item.decision == Decision.APPROVED:
        match = workflow.create_match(
            actor,
            parties=[
                workflow.PartySpec(item.need.organization, MatchParty.Role.NEED_POSTER),
                workflow.PartySpec(item.offer.organization, MatchParty.Role.OFFER_POSTER),
            ],
            title=item.need.title,
            need=item.need,
            offer=item.offer,
            origin=Match.Origin.SUGGESTION,
            score=suggestion.score,
            comment=item.comment,
        )
    review, _created = ReviewDecision.objects.update_or_create(
        need=item.need,
        offer=item.offer,
        defaults={
            "decision": item.decision,
            "reason": item.reason if item.decision == Decision.REJECTED else None,
            "comment": item.comment,
            "deferred_until": item.deferred_until if item.decision == Decision.DEFERRED else None,
            "need_fingerprint": fingerprint(item.need),
            "offer_fingerprint": fingerprint(item.offer),
            "score": suggestion.score,
            "match": match,
            "decided_by": actor,
        },
    )
    return DecisionResult(item=item, review=review, match=match)


# --------------------------------------------------------------------------- interest


def coordinators() -> QuerySet[User]:
    return User.objects.filter(is_active=True, is_coordinator=True)


def create_interest_request(
    actor,
    organization: Organization,
    *,
    need: Need | None = None,
    offer: Offer | None = None,
    message: str = "",
) -> InterestRequest:
    """「この団体と話したい」: a member asks, for their organization, to be introduced to a
    post's organization. It goes to the coordinators, who decide."""
    if not (actor and actor.is_authenticated and actor.is_member_of(organization.pk)):
        raise PermissionDenied(gettext("所属している団体として依頼してください。"))
    errors: dict[str, list[str]] = {}
    if (need is None) == (offer is None):
        errors["non_field_errors"] = [gettext("ニーズかシーズのどちらか一つを指定してください。")]
        raise ValidationError(errors)
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
        raise ValidationError(errors)
    try:
        with transaction.atomic(), audit_actor(actor):
            request = InterestRequest.objects.create(
                organization=organization,
                need=need,
                offer=offer,
                message=(message or "").strip(),
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
        raise ValidationError(
            {key: [gettext("この投稿への依頼はすでに受け付けています。")]}
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
        workflow.members_of([request.organization_id]),
        kind,
        title,
        body,
        url=links.member_home(),
        payload={"interest_request": request.pk, "match": request.match_id},
    )


def accept_interest_request(
    actor, request: InterestRequest | int, comment: str = ""
) -> InterestRequest:
    """A coordinator takes the request on: a match (proposed) with the requester and the
    post's organization. Asking about a need makes the requester the offering side, and
    asking about an offer makes it the side with the need."""
    if not is_coordinator(actor):
        raise PermissionDenied(gettext("依頼に対応できるのはコーディネーターだけです。"))
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
            origin=Match.Origin.INTEREST,
            comment=comment or request.message,
        )
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
        raise PermissionDenied(gettext("依頼に対応できるのはコーディネーターだけです。"))
    if not (comment or "").strip():
        raise ValidationError({"comment": [gettext("見送りの理由を入力してください。")]})
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
            raise PermissionDenied(gettext("依頼した団体のメンバーだけが取り下げられます。"))
        _pending(request)
        request.status = InterestRequest.Status.WITHDRAWN
        request.handled_at = timezone.now()
        request.save()
    return request


def active_reasons() -> QuerySet[RejectionReason]:
    return RejectionReason.objects.filter(is_active=True)
