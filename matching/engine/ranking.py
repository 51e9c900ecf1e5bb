"""Ranking over one index or several layered ones: the main segment and a delta.

An index is saved once and opened by every process (``segment``); posts saved after it go
into a small *delta* index built with the main index's corpus statistics, and their old
rows in the main index are *tombstoned* (masked). ``Layered`` ranks over both exactly as
one index built over the same posts with the same statistics would: candidates are scored
in each layer, then concatenated and selected once (ties broken by post id across layers,
the fairness counts shared), so a post's place does not depend on which layer holds it.

Complexity per query, with C candidates (rows sharing a term with the query) in all layers:
O(P) to gather the postings, O(C) vectorised to score them, O(C + k log k) to select; the
delta adds its own (small) P and C.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from matching.engine.features import Need, Offer
from matching.engine.scoring import COMPONENTS, DEFAULT_PROFILE, MatchingProfile, Suggestion

# An ``index._PostIndex`` (the index module imports this one, so not named here).
_PostIndex = Any


@dataclass
class Layer:
    """One index of a ranking, with the rows that no longer count and its organizations'
    codes in the code space shared by the layers (for the fairness counts)."""

    index: _PostIndex
    dead: np.ndarray | None = None  # bool per row: replaced or removed since the build
    org_codes: np.ndarray | None = None  # index org code → shared code (None: the same)


@dataclass
class _Scored:
    layer: Layer
    cand: np.ndarray
    comps: dict[str, np.ndarray]
    scores: np.ndarray


def _live(layer: Layer, rows: np.ndarray) -> np.ndarray:
    if layer.dead is None:
        return np.ones(len(rows), dtype=bool)
    return ~layer.dead[rows]


# Candidates are pruned only above this many: below, scoring them all is as cheap.
PRUNE_ABOVE = 2000
# Rounding slack of the bound (its sum runs in another order than the score's).
_SLACK = 1e-9


def _score_text_candidates(layer, query, text, as_of, w, k, exposure) -> _Scored:
    """The candidates of one layer sharing a term with the query, scored. With a list
    length ``k``, only those whose score can still reach the list are scored in full: an
    upper bound (text exactly, structure at its bound) is compared with the k-th best of
    the best-bounded ones' exact scores (see ``_threshold``). Exact: a pruned candidate
    could not have been selected."""
    index = layer.index
    q = index.text_query(text)
    allowed = index._allowed(query, as_of)
    if layer.dead is not None:
        allowed = allowed & ~layer.dead
    cand, dot, q_shared, d_shared = index._text_stats(q, allowed)
    comps = index._text_components(cand, (dot, q_shared, d_shared), q)
    profile = index._profile
    pool = _pool_size(profile, k) if k is not None else None
    if pool is not None and len(cand) > max(PRUNE_ABOVE, 4 * pool):
        upper = (
            w["text"] * comps["text"]
            + w["reciprocity"] * comps["reciprocity"]
            + index._structural_bound(query, cand, w)
        )
        best = np.argpartition(-upper, pool - 1)[:pool]
        trial = _full_scores(index, query, cand[best], comps, best, text, as_of, w)
        theta = _threshold(index, cand[best], trial, profile, k, pool, exposure)
        keep = np.flatnonzero(upper >= theta - _SLACK)
        cand = cand[keep]
        comps = {c: v[keep] for c, v in comps.items()}
    comps.update(index._structural_components(query, cand, text, as_of))
    return _Scored(layer, cand, comps, sum(w[c] * comps[c] for c in COMPONENTS))


def _pool_size(profile: MatchingProfile, k: int) -> int:
    """How many of the best raw scores the selection looks at (``select``)."""
    if profile.weights.fairness > 0 and profile.fairness_within_batch:
        return max(4 * k, k + 50)
    return k


def _full_scores(index, query, rows, text_comps, positions, text, as_of, w) -> np.ndarray:
    comps = {c: v[positions] for c, v in text_comps.items()}
    comps.update(index._structural_components(query, rows, text, as_of))
    return sum(w[c] * comps[c] for c in COMPONENTS)


def _threshold(index, rows, scores, profile, k, pool, exposure) -> float:
    """A value the selection's cut-off cannot be below: the k-th best (fairness-adjusted
    when fairness lowers scores one by one) or, for the greedy fair selection, the
    pool-th best raw score among these exactly scored candidates."""
    lam = profile.weights.fairness
    if lam > 0 and not profile.fairness_within_batch:
        e = np.minimum(index._exposure(rows, exposure) / float(profile.fairness_saturation), 1.0)
        scores = scores * (1 - lam * e)
        pool = k
    pool = min(pool, len(scores))
    return float(np.partition(scores, len(scores) - pool)[len(scores) - pool])


def _add_structural_rest(scored: _Scored, query, text, as_of, w) -> None:
    """Score the posts sharing no term with the query too (structure alone)."""
    layer, index = scored.layer, scored.layer.index
    rest = np.setdiff1d(np.arange(len(index)), scored.cand, assume_unique=True)
    rest = rest[index._eligible(rest, query, as_of) & _live(layer, rest)]
    zeros = np.zeros(len(rest))
    q = index.text_query(text)
    rcomps = index._components(query, rest, (zeros, zeros, zeros), q, text, as_of)
    scored.cand = np.concatenate([scored.cand, rest])
    scored.comps = {c: np.concatenate([scored.comps[c], rcomps[c]]) for c in scored.comps}
    scored.scores = np.concatenate([scored.scores, sum(w[c] * rcomps[c] for c in COMPONENTS)])


def rank(
    layers: Sequence[Layer],
    query: Need | Offer,
    *,
    as_of: date,
    profile: MatchingProfile,
    top_k: int | None,
    exposure: Mapping[str, int] | None,
    batch_counts: dict[int, int] | None = None,
) -> list[Suggestion]:
    """The best ``top_k`` posts of all ``layers`` for ``query`` (all if None)."""
    first = layers[0].index
    for layer in layers:
        layer.index._profile = profile
    if not query.is_open:
        return []
    last = query.last_day()
    if last is not None and last < as_of:
        return []
    if first.role == "need" and getattr(query, "capacity", 1) <= 0:
        return []
    text = first.query_text(query)
    w = profile.weights.normalized()
    live = sum(
        len(layer.index) - (int(layer.dead.sum()) if layer.dead is not None else 0)
        for layer in layers
    )
    k = live if top_k is None else top_k
    parts = [
        _score_text_candidates(layer, query, text, as_of, w, top_k, exposure) for layer in layers
    ]
    structural_max = sum(w[c] for c in COMPONENTS if c not in ("text", "reciprocity"))
    above = sum(int(np.count_nonzero(p.scores > structural_max)) for p in parts)
    if top_k is None or above < k:
        # Posts sharing no term can still make the list on structure alone: score them.
        for part in parts:
            _add_structural_rest(part, query, text, as_of, w)
    if len(parts) == 1:
        part = parts[0]
        which = None
        cand, comps, scores = part.cand, part.comps, part.scores
        exposure_counts = part.layer.index._exposure(cand, exposure)
        orgs = _orgs(part.layer, cand)
        id_rank = part.layer.index.id_rank

        def tie(positions: np.ndarray) -> np.ndarray:
            return id_rank[cand[positions]]

    else:
        which = np.concatenate([np.full(len(p.cand), n) for n, p in enumerate(parts)])
        cand = np.concatenate([p.cand for p in parts])
        comps = {c: np.concatenate([p.comps[c] for p in parts]) for c in parts[0].comps}
        scores = np.concatenate([p.scores for p in parts])
        exposure_counts = np.concatenate([p.layer.index._exposure(p.cand, exposure) for p in parts])
        orgs = np.concatenate([_orgs(p.layer, p.cand) for p in parts])

        def tie(positions: np.ndarray) -> np.ndarray:
            ids = [layers[which[i]].index.ids[cand[i]] for i in positions]
            return np.unique(np.asarray(ids, dtype=object), return_inverse=True)[1]

    order = select(scores, exposure_counts, orgs, tie, profile, k, batch_counts)
    out: list[Suggestion] = []
    for rank_no, (i, e) in enumerate(order, start=1):
        index = first if which is None else layers[which[i]].index
        s = index._suggestion(query, cand, comps, w, i, e, profile, text, rank_no)
        if s.score >= profile.min_score:
            out.append(s)
    return out


def _orgs(layer: Layer, rows: np.ndarray) -> np.ndarray:
    codes = layer.index.orgs[rows]
    return codes if layer.org_codes is None else layer.org_codes[codes]


def select(
    scores: np.ndarray,
    exposure_counts: np.ndarray,
    orgs: np.ndarray,
    tie: Callable[[np.ndarray], np.ndarray],
    profile: MatchingProfile,
    k: int,
    batch_counts: dict[int, int] | None,
) -> list[tuple[int, float]]:
    """Positions of the k best candidates, with each one's exposure e ∈ [0, 1]; equal
    values are ordered by ``tie(positions)`` (the post ids' order)."""
    lam = profile.weights.fairness
    sat = float(profile.fairness_saturation)
    if len(scores) == 0 or k <= 0:
        return []

    def top(values: np.ndarray, m: int) -> np.ndarray:
        m = min(m, len(values))
        if m < len(values):
            part = np.argpartition(-values, m - 1)[:m]
            cutoff = values[part].min()
            part = np.flatnonzero(values >= cutoff)  # keep ties: decided by id below
        else:
            part = np.arange(len(values))
        ranked = part[np.lexsort((tie(part), -values[part]))]
        return ranked[:m]

    if lam <= 0:
        return [(int(i), 0.0) for i in top(scores, k)]
    base_e = np.minimum(exposure_counts / sat, 1.0)
    if not profile.fairness_within_batch:
        adjusted = scores * (1 - lam * base_e)
        return [(int(i), float(base_e[i])) for i in top(adjusted, k)]
    # Greedy: each pick adds one to its organization's count for the picks after it.
    counts = dict(batch_counts) if batch_counts is not None else {}
    pool = top(scores, min(len(scores), max(4 * k, k + 50)))
    pool_tie = dict(zip(pool.tolist(), tie(pool).tolist(), strict=True))
    chosen: list[tuple[int, float]] = []
    remaining = list(pool)
    while remaining and len(chosen) < k:
        best, best_val, best_e = None, -1.0, 0.0
        for i in remaining:
            org = int(orgs[i])
            e = float(min((exposure_counts[i] + counts.get(org, 0)) / sat, 1.0))
            val = float(scores[i]) * (1 - lam * e)
            if val > best_val or (val == best_val and pool_tie[i] < pool_tie[best]):
                best, best_val, best_e = i, val, e
        chosen.append((int(best), best_e))
        remaining.remove(best)
        org = int(orgs[best])
        counts[org] = counts.get(org, 0) + 1
    if batch_counts is not None:
        batch_counts.update(counts)
    return chosen


class OfferRanking:
    """Ranking offers for needs; the class it is mixed into provides ``_rank(query, **options)``
    (one index: ``index._PostIndex``; layered ones: ``Layered``)."""

    def top_offers(
        self,
        need: Need,
        *,
        as_of: date,
        top_k: int | None = 20,
        profile: MatchingProfile = DEFAULT_PROFILE,
        exposure: Mapping[str, int] | None = None,
    ) -> list[Suggestion]:
        """The best ``top_k`` offers for ``need`` (all eligible offers if None)."""
        return self._rank(need, as_of=as_of, profile=profile, top_k=top_k, exposure=exposure)

    def rank_needs_chunk(
        self,
        needs: Sequence[Need],
        *,
        as_of: date,
        top_k: int = 20,
        profile: MatchingProfile = DEFAULT_PROFILE,
        exposure: Mapping[str, int] | None = None,
    ) -> dict[str, list[Suggestion]]:
        """Top offers for each need of a chunk (what a Celery task calls with a prebuilt index).

        Needs are processed in id order; with fairness on and ``fairness_within_batch``, each
        suggestion counts as exposure for the needs after it in the chunk.
        """
        batch: dict[int, int] = {}  # organization code → suggestions so far in this chunk
        return {
            need.id: self._rank(
                need,
                as_of=as_of,
                profile=profile,
                top_k=top_k,
                exposure=exposure,
                batch_counts=batch,
            )
            for need in sorted(needs, key=lambda n: n.id)
        }


class NeedRanking:
    """Ranking needs for an offer; the class it is mixed into provides ``_rank``."""

    def top_needs(
        self,
        offer: Offer,
        *,
        as_of: date,
        top_k: int | None = 20,
        profile: MatchingProfile = DEFAULT_PROFILE,
        exposure: Mapping[str, int] | None = None,
    ) -> list[Suggestion]:
        """The best ``top_k`` needs for ``offer``. ``exposure`` counts per need organization."""
        return self._rank(offer, as_of=as_of, profile=profile, top_k=top_k, exposure=exposure)


class Layered(OfferRanking, NeedRanking):
    """A main index with a delta on top, ranked as one (``OfferIndex``/``NeedIndex`` API)."""

    def __init__(self, main: _PostIndex, delta: _PostIndex | None, dead: np.ndarray) -> None:
        self.main, self.delta = main, delta
        self.role = main.role
        layers = [Layer(main, dead)]
        if delta is not None and len(delta):
            codes = dict(main.org_codes)
            for org in sorted(delta.org_codes, key=delta.org_codes.__getitem__):
                codes.setdefault(org, len(codes))
            mapping = np.asarray(
                [codes[org] for org in sorted(delta.org_codes, key=delta.org_codes.__getitem__)],
                dtype=np.int64,
            )
            layers.append(Layer(delta, None, mapping))
        self.layers = layers

    def __len__(self) -> int:
        return sum(
            len(layer.index) - (int(layer.dead.sum()) if layer.dead is not None else 0)
            for layer in self.layers
        )

    def _rank(self, query: Any, **kwargs: Any) -> list[Suggestion]:
        return rank(self.layers, query, **kwargs)
