"""A finished round as people read it: each pair and each need with titles and the
sentence that explains it (in the reader's language). The API and the page show the same."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Case, QuerySet, Value, When

from matching.models import MatchRound, RoundNeed, RoundPair
from matching.rounds import explain
from proposals.models import Need, Offer


@dataclass
class PairRow:
    pair: RoundPair
    explanation: str


@dataclass
class NeedRow:
    outcome: RoundNeed
    explanation: str
    pairs: list[PairRow] = field(default_factory=list)


def _titles(model, ids: set[int]) -> dict[int, str]:
    return dict(model.objects.filter(pk__in=ids).values_list("pk", "title"))


def outcomes(round_: MatchRound, outcome: str | None = None) -> QuerySet[RoundNeed]:
    """The round's needs (all, or those of one ``outcome``): unserved first, then partly
    served, then served; by need within each."""
    rows = RoundNeed.objects.filter(round=round_)
    if outcome:
        rows = rows.filter(outcome=outcome)
    order = Case(
        When(outcome=RoundNeed.Outcome.UNSERVED, then=Value(0)),
        When(outcome=RoundNeed.Outcome.PARTIAL, then=Value(1)),
        default=Value(2),
    )
    return rows.annotate(order=order).order_by("order", "need_id")


def need_rows(round_: MatchRound, rows: Iterable[RoundNeed] | None = None) -> list[NeedRow]:
    """``rows`` (default: all the round's needs, ``outcomes``), each with its pairs and the
    sentences that explain them."""
    outcomes_ = list(rows if rows is not None else outcomes(round_))
    ids = [o.pk for o in outcomes_]
    outcomes_ = sorted(
        RoundNeed.objects.filter(pk__in=ids).select_related("need__organization"),
        key=lambda o: ids.index(o.pk),
    )
    pairs = list(
        RoundPair.objects.filter(round=round_, need_id__in=[o.need_id for o in outcomes_])
        .select_related("offer__organization", "first_choice")
        .order_by("need_id", "-score", "offer_id")
    )
    # Titles of the needs and offers the explanations name.
    need_ids: set[int] = set()
    offer_ids: set[int] = set()
    for p in pairs:
        need_ids |= {t["need"] for t in p.detail.get("taken_by", [])}
    for o in outcomes_:
        for b in o.detail.get("blockers", []):
            offer_ids.add(b["offer"])
            need_ids |= {t["need"] for t in b.get("taken_by", [])}
    need_titles = _titles(Need, need_ids)
    offer_titles = _titles(Offer, offer_ids)
    by_need: dict[int, list[PairRow]] = {}
    for p in pairs:
        text = explain.pair_sentence(
            p.reason,
            score=p.score,
            first_title=p.first_choice.title if p.first_choice else "",
            first_score=p.first_choice_score,
            detail=p.detail,
            need_titles=need_titles,
        )
        by_need.setdefault(p.need_id, []).append(PairRow(p, text))
    return [
        NeedRow(
            o,
            explain.need_sentence(
                o.reason,
                wanted=o.wanted,
                assigned=o.assigned,
                detail=o.detail,
                offer_titles=offer_titles,
                need_titles=need_titles,
                min_score=round_.min_score,
            ),
            by_need.get(o.need_id, []),
        )
        for o in outcomes_
    ]
