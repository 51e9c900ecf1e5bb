"""The coordinators' review queue (suggested pairs to approve, reject or defer), the
decisions on it, and the rejection reasons to choose from.

An approved pair ends in ``workflow.create_match``, like an accepted request for an
introduction (``matching.matches.interest``): a coordinator stays between the parties.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from lib.errors import Forbidden, Invalid
from matching.matches import workflow
from matching.matches.audit import audit_actor
from matching.models import (
    Match,
    MatchParty,
    RejectionReason,
    ReviewDecision,
    Suggestion,
)
from matching.scoring import adapter
from organizations.filters import area_ids_covering
from organizations.models import Area
from organizations.permissions import is_coordinator
from proposals.models import Need, Offer, Status

Decision = ReviewDecision.Decision

# The review page groups the queue by theme (the need) and shows this many suggestions per
# theme before folding the rest; a coordinator may ask for more or fewer (?per_theme=).
DEFAULT_PER_THEME = 5
MAX_PER_THEME = 50


@dataclass(frozen=True)
class ScoreLevel:
    code: str  # "high" / "medium" / "low": a CSS class, stable across languages
    label: str  # 高い / 中程度 / 低い


# A score in words, for people (the API keeps the number). Each bound is the lowest score of
# its level, highest first; the one place these thresholds live (docs/workflow.md, "The
# review queue"). On the demo city's queue (511 pairs, median 0.53) they split it about
# 20 % 高い / 60 % 中程度 / 20 % 低い; the pairs coordinators approved there score 0.78+.
# Pairs under the profile's min_score (0.25) are not in the queue at all.
SCORE_LEVELS: tuple[tuple[float, str, str], ...] = (
    (0.6, "high", gettext_lazy("高い")),
    (0.5, "medium", gettext_lazy("中程度")),
    (0.0, "low", gettext_lazy("低い")),
)


def score_level(score: float) -> ScoreLevel:
    """高い / 中程度 / 低い for a suggestion's score (0–1)."""
    for bound, code, label in SCORE_LEVELS:
        if score >= bound:
            return ScoreLevel(code, str(label))
    _bound, code, label = SCORE_LEVELS[-1]
    return ScoreLevel(code, str(label))


def group_by_theme(pairs: list[tuple[int, int]]) -> list[tuple[int, list[int]]]:
    """``(suggestion id, need id)`` pairs, best first, grouped by need: the themes in the
    order of their best suggestion, each with its suggestion ids best first."""
    themes: dict[int, list[int]] = {}
    for pk, need_id in pairs:
        themes.setdefault(need_id, []).append(pk)
    return list(themes.items())


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


def open_match_exists(need_id: int | None = None, offer_id: int | None = None) -> Q:
    return Q(state__in=Match.OPEN_STATES) & Q(need_id=need_id, offer_id=offer_id)


def review_queue(
    *,
    min_score: float | None = None,
    fields: list[str] | None = None,
    areas: list[Area] | None = None,
    departments: list[int] | None = None,
    forms: list[str] | None = None,
    round_id: int | None = None,
) -> QuerySet[Suggestion]:
    """Suggested pairs waiting for a coordinator, best first.

    Left out: pairs already approved or with an open match; pairs rejected (or deferred
    without a date) whose posts have not changed materially since; pairs deferred until a
    future date. Filters: ``fields`` (either post), ``areas`` (either post, with the areas
    inside and around them), ``departments`` (the need's organization), ``forms`` (both
    posts accept it), ``round_id`` (the pairs a match round proposed).
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
    if round_id is not None:
        qs = qs.filter(round_id=round_id)
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


class ItemErrors(Invalid):
    """Some items of a bulk decision are invalid; nothing was saved. ``errors["items"]``:
    one dict per item, in order, empty for the valid ones (as REST framework reports list
    errors)."""

    def __init__(self, items: list[dict]) -> None:
        super().__init__(errors={"items": items})


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
        raise Forbidden(gettext("提案を審査できるのはコーディネーターだけです。"))
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
            "round": suggestion.round,
        },
    )
    return DecisionResult(item=item, review=review, match=match)


def active_reasons() -> QuerySet[RejectionReason]:
    return RejectionReason.objects.filter(is_active=True)
