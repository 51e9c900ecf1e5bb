"""The thin layer between the models and the scoring engine: ranking and storing.

Models → engine feature records (``features``), ranked on the process's indexes
(``indexes``: the host's main segments with a delta of the posts changed since), engine
suggestions → ``Suggestion`` rows. The names of ``features`` and ``indexes`` that callers
use are re-exported here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from matching import engine
from matching.models import MatchingProfile, Suggestion
from matching.scoring import features
from matching.scoring import indexes as live
from matching.scoring.features import (  # noqa: F401 (re-exported)
    NO_CITY,
    Geography,
    PostCodes,
    _codes,
    _text_hash,
    _with_codes,
    active_match_counts,
    active_profile,
    analyses,
    city_of_post,
    current_lexicon,
    engine_profile,
    geography,
    hierarchy_for,
    need_features,
    offer_features,
    organization_exposure,
    today,
)
from matching.scoring.indexes import IndexCache, build_indexes  # noqa: F401 (re-exported)
from proposals.models import Need, Offer

# --------------------------------------------------------------------------- ranking


def _rank_needs(
    needs: Sequence[Need],
    *,
    top_k: int,
    profile: engine.MatchingProfile,
    as_of: date,
    lexicon: engine.Lexicon,
) -> dict[int, list[engine.Suggestion]]:
    """Best offers for several needs at once: one index lookup, one geography, one batch of
    text analyses (what a full re-score chunk needs)."""
    indexes = live.offers.get(Offer, lexicon)
    geo = live.offers.geography()
    # Exposure only counts with fairness on: each organization's open matches and current
    # suggestions for the other needs, updated need by need (docs/matching.md, "Exposure
    # fairness").
    fair = profile.weights.fairness > 0
    exposure, own = features.suggestion_exposure([n.pk for n in needs]) if fair else ({}, {})
    offer_orgs: dict[str, str] = {}
    out: dict[int, list[engine.Suggestion]] = {}
    for need, feature in zip(needs, need_features(needs, lexicon), strict=True):
        before = own.get(need.pk, {})
        for org, n in before.items():
            exposure[org] = exposure.get(org, 0) - n
        if not feature.is_open:
            out[need.pk] = []
            continue
        city = city_of_post(geo, need)
        targets = list(indexes) if city == NO_CITY else [city] if city in indexes else []
        found: list[engine.Suggestion] = []
        for target in targets:
            found += indexes[target].top_offers(
                feature, as_of=as_of, top_k=top_k, profile=profile, exposure=exposure or None
            )
        out[need.pk] = _merge(found, top_k)
        if fair:  # the needs after this one see its new list
            missing = [int(s.offer_id) for s in out[need.pk] if s.offer_id not in offer_orgs]
            for pk, org in Offer.objects.filter(pk__in=missing).values_list(
                "pk", "organization_id"
            ):
                offer_orgs[str(pk)] = str(org)
            for s in out[need.pk]:
                org = offer_orgs.get(s.offer_id)
                if org is not None:
                    exposure[org] = exposure.get(org, 0) + 1
    return out


def rank_for_need(
    need: Need,
    *,
    top_k: int | None = None,
    profile: MatchingProfile | None = None,
    as_of: date | None = None,
    lexicon: engine.Lexicon | None = None,
    engine_override: engine.MatchingProfile | None = None,
) -> list[engine.Suggestion]:
    """The best offers for one need (an empty list for a need that is not open)."""
    profile = profile or active_profile()
    need = _with_codes(Need.objects.filter(pk=need.pk)).get()
    return _rank_needs(
        [need],
        top_k=top_k or profile.top_k,
        profile=engine_override or engine_profile(profile),
        as_of=as_of or today(),
        lexicon=lexicon or current_lexicon(),
    )[need.pk]


def rank_for_offer(
    offer: Offer,
    *,
    top_k: int | None = None,
    profile: MatchingProfile | None = None,
    as_of: date | None = None,
    lexicon: engine.Lexicon | None = None,
    engine_override: engine.MatchingProfile | None = None,
) -> list[engine.Suggestion]:
    """The best needs for one offer (an empty list for an offer that is not open)."""
    profile = profile or active_profile()
    lexicon = lexicon or current_lexicon()
    offer = _with_codes(Offer.objects.filter(pk=offer.pk)).get()
    feature = offer_features([offer], lexicon)[0]
    if not feature.is_open:
        return []
    indexes = live.needs.get(Need, lexicon)
    city = city_of_post(live.needs.geography(), offer)
    targets = list(indexes) if city == NO_CITY else [city] if city in indexes else []
    ranking = engine_override or engine_profile(profile)
    exposure = organization_exposure() if ranking.weights.fairness > 0 else None
    results: list[engine.Suggestion] = []
    for target in targets:
        results += indexes[target].top_needs(
            feature,
            exposure=exposure,
            as_of=as_of or today(),
            top_k=top_k or profile.top_k,
            profile=ranking,
        )
    return _merge(results, top_k or profile.top_k)


def _merge(results: list[engine.Suggestion], top_k: int) -> list[engine.Suggestion]:
    seen: set[tuple[str, str]] = set()
    merged = []
    for s in sorted(results, key=lambda s: (-s.score, s.need_id, s.offer_id)):
        if (s.need_id, s.offer_id) not in seen:
            seen.add((s.need_id, s.offer_id))
            merged.append(s)
    return merged[:top_k]


# --------------------------------------------------------------------------- storing


def _rows(
    suggestions: Iterable[engine.Suggestion], profile: MatchingProfile, computed_at
) -> list[Suggestion]:
    weights = profile.weights()
    rows = [
        Suggestion(
            need_id=int(s.need_id),
            offer_id=int(s.offer_id),
            score=round(float(s.score), 6),
            components=[c.__dict__ for c in s.components],
            reasons=list(s.reasons),
            weaknesses=list(s.weaknesses),
            engine_version=s.engine_version,
            profile_name=profile.name,
            weights=weights,
            computed_at=computed_at,
        )
        for s in suggestions
    ]
    # One lock order for every writer, so concurrent re-scores cannot deadlock.
    rows.sort(key=lambda r: (r.need_id, r.offer_id))
    return rows


def _upsert(rows: list[Suggestion]) -> None:
    if rows:
        Suggestion.objects.bulk_create(
            rows,
            batch_size=500,
            update_conflicts=True,
            unique_fields=["need", "offer"],
            update_fields=[
                "score",
                "components",
                "reasons",
                "weaknesses",
                "engine_version",
                "profile_name",
                "weights",
                "computed_at",
            ],
        )


@transaction.atomic
def _replace(
    side: str, post_id: int, suggestions: Sequence[engine.Suggestion], profile: MatchingProfile
) -> int:
    """Make ``suggestions`` the stored pairs of one post (``side`` "need" or "offer"):
    one row per pair, always; pairs no longer suggested are removed."""
    other = "offer" if side == "need" else "need"
    keep = [int(getattr(s, f"{other}_id")) for s in suggestions]
    # A match round's proposals stay in the review queue until decided or the next round
    # (matching/rounds/); only closing a post removes them (``remove_suggestions``).
    Suggestion.objects.filter(**{f"{side}_id": post_id}, round__isnull=True).exclude(
        **{f"{other}_id__in": keep}
    ).delete()
    rows = _rows(suggestions, profile, timezone.now())
    _upsert(rows)
    return len(rows)


def store_for_need(
    need_id: int, suggestions: Sequence[engine.Suggestion], profile: MatchingProfile
) -> int:
    return _replace("need", need_id, suggestions, profile)


def store_for_offer(
    offer_id: int, suggestions: Sequence[engine.Suggestion], profile: MatchingProfile
) -> int:
    return _replace("offer", offer_id, suggestions, profile)


def remove_suggestions(*, need_id: int | None = None, offer_id: int | None = None) -> int:
    cond = Q(need_id=need_id) if need_id is not None else Q(offer_id=offer_id)
    deleted, _ = Suggestion.objects.filter(cond).delete()
    return deleted


def rescore_need(need_id: int) -> int:
    need = Need.objects.filter(pk=need_id).first()
    if need is None:
        return 0
    profile = active_profile()
    return store_for_need(need_id, rank_for_need(need, profile=profile), profile)


# How many needs an offer's own scan may add pairs for. A need's list shows its best
# ``top_k`` at read time, so extra rows are harmless and this only bounds storage.
OFFER_SCAN_LIMIT = 200


def rescore_offer(offer_id: int) -> int:
    offer = Offer.objects.filter(pk=offer_id).first()
    if offer is None:
        return 0
    profile = active_profile()
    found = rank_for_offer(offer, profile=profile, top_k=max(OFFER_SCAN_LIMIT, profile.top_k))
    return store_for_offer(offer_id, found, profile)


def rank_needs_chunk(need_ids: Sequence[int]) -> int:
    """Re-score a chunk of needs with this process's cached offer index (full re-score)."""
    profile = active_profile()
    needs = list(_with_codes(Need.objects.filter(pk__in=need_ids).order_by("pk")))
    ranked = _rank_needs(
        needs,
        top_k=profile.top_k,
        profile=engine_profile(profile),
        as_of=today(),
        lexicon=current_lexicon(),
    )
    return sum(store_for_need(pk, found, profile) for pk, found in ranked.items())


def clear_caches() -> None:
    live.clear_caches()
    features._lexicon_cache.clear()
