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
    # For the semantic bound of the posts sharing no term with the query (``rest_semantic``).
    outside: np.ndarray | None = None
    query: Any = None

    def rest_semantic(self) -> float:
        """The most the semantic component can reach for a post of this layer outside the
        candidates: such a post scores at most the structure plus this (computed only when
        the cheap bound, 1, leaves the list unsettled)."""
        if self.outside is None or not self.outside.any():
            return 0.0
        rows = np.flatnonzero(self.outside)
        index = self.layer.index
        if len(rows) <= PRUNE_ABOVE:  # a few rows (a delta): their exact values
            return float(index.semantic_values(rows, self.query).max())
        return float(index.semantic_bounds(self.query, rows).max())


def _live(layer: Layer, rows: np.ndarray) -> np.ndarray:
    if layer.dead is None:
        return np.ones(len(rows), dtype=bool)
    return ~layer.dead[rows]


# Candidates are pruned only above this many: below, scoring them all is as cheap.
PRUNE_ABOVE = 2000
# Rounding slack of the bound (its sum runs in another order than the score's).
_SLACK = 1e-9
# Exposure fairness inside one list: each earlier pick of the same organization in the list
# adds 1/LIST_SATURATION to its exposure e, so its third offer meets the full penalty λ
# (docs/matching.md, "Exposure fairness"). Several offers of one group, or ten near-copies
# of one offer in different districts, no longer fill a theme's list.
LIST_SATURATION = 2.0
# … and a list shows at most this many offers of one organization (fairness on): ten copies
# of a group's offer in ten districts are not ten partners.
LIST_CAP = 3


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
    outside = allowed.copy()
    outside[cand] = False
    profile = index._profile
    pool = _pool_size(profile, k) if k is not None else None
    if pool is not None and len(cand) > max(PRUNE_ABOVE, 4 * pool):
        # The semantic component is bounded cheaply (``index.semantic_bounds``) and
        # computed exactly only for the candidates that can still make the list: first
        # against the structure's bound, then against the exact structure.
        sem_bound = w["semantic"] * index.semantic_bounds(q, cand)
        text_part = w["text"] * comps["text"] + w["reciprocity"] * comps["reciprocity"]
        upper = text_part + sem_bound + index._structural_bound(query, cand, w)
        best = np.argpartition(-upper, pool - 1)[:pool]
        trial = _full_scores(index, query, cand[best], comps, best, text, as_of, w, q)
        theta = _threshold(index, cand[best], trial, profile, k, pool, exposure)
        keep = np.flatnonzero(upper >= theta - _SLACK)
        cand, text_part, sem_bound = cand[keep], text_part[keep], sem_bound[keep]
        comps = {c: v[keep] for c, v in comps.items()}
        structure = index._structural_components(query, cand, text, as_of)
        exact = text_part + sum(w[c] * structure[c] for c in structure)
        keep = np.flatnonzero(exact + sem_bound >= theta - _SLACK)
        cand = cand[keep]
        comps = {c: v[keep] for c, v in comps.items()}
        comps.update({c: v[keep] for c, v in structure.items()})
    else:
        comps.update(index._structural_components(query, cand, text, as_of))
    comps["semantic"] = index.semantic_values(cand, q)
    scores = sum(w[c] * comps[c] for c in COMPONENTS)
    return _Scored(layer, cand, comps, scores, outside, q)


def _pool_size(profile: MatchingProfile, k: int) -> int:
    """How many of the best raw scores the selection looks at (``select``)."""
    if profile.weights.fairness > 0 and profile.fairness_within_batch:
        return max(4 * k, k + 50)
    return k


def _full_scores(index, query, rows, text_comps, positions, text, as_of, w, q) -> np.ndarray:
    comps = {c: v[positions] for c, v in text_comps.items()}
    comps["semantic"] = index.semantic_values(rows, q)
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
    structural_max = sum(w[c] for c in COMPONENTS if c not in ("text", "reciprocity", "semantic"))
    above = sum(int(np.count_nonzero(p.scores > structural_max + w["semantic"])) for p in parts)
    if top_k is not None and above < k and w["semantic"] > 0:
        # The semantic component at 1 was too coarse a bound: the rest's own bound.
        reach = structural_max + w["semantic"] * max(p.rest_semantic() for p in parts)
        above = sum(int(np.count_nonzero(p.scores > reach)) for p in parts)
    if top_k is None or above < k:
        # Posts sharing no term can still make the list on structure alone: score them.
        for part in parts:
            _add_structural_rest(part, query, text, as_of, w)
    if len(parts) == 1:
        part = parts[0]
        which = None
        cand, comps, scores = part.cand, part.comps, part.scores

        def exposure_counts(positions: np.ndarray) -> np.ndarray:
            return _exposure_of(part.layer, cand[positions], exposure)

        orgs = _orgs(part.layer, cand)
        id_rank = part.layer.index.id_rank

        def tie(positions: np.ndarray) -> np.ndarray:
            return id_rank[cand[positions]]

    else:
        which = np.concatenate([np.full(len(p.cand), n) for n, p in enumerate(parts)])
        cand = np.concatenate([p.cand for p in parts])
        comps = {c: np.concatenate([p.comps[c] for p in parts]) for c in parts[0].comps}
        scores = np.concatenate([p.scores for p in parts])
        orgs = np.concatenate([_orgs(p.layer, p.cand) for p in parts])

        def exposure_counts(positions: np.ndarray) -> np.ndarray:
            return np.asarray(
                [_exposure_of(parts[which[i]].layer, cand[[i]], exposure)[0] for i in positions],
                dtype=np.float64,
            )

        def tie(positions: np.ndarray) -> np.ndarray:
            ids = [layers[which[i]].index.ids[cand[i]] for i in positions]
            return np.unique(np.asarray(ids, dtype=object), return_inverse=True)[1]

    # A full ordering (top_k None) keeps every post: the per-list cap is for shortlists.
    cap = None if top_k is None else LIST_CAP
    order = select(scores, exposure_counts, orgs, tie, profile, k, batch_counts, cap=cap)
    out: list[Suggestion] = []
    for rank_no, (i, e) in enumerate(order, start=1):
        index = first if which is None else layers[which[i]].index
        s = index._suggestion(query, cand, comps, w, i, e, profile, text, rank_no)
        if s.score >= profile.min_score:
            out.append(s)
    return out


def _exposure_of(layer: Layer, rows: np.ndarray, exposure: Mapping[str, int] | None) -> np.ndarray:
    """The exposure counts of ``rows``' organizations, looked up for these rows only (the
    selection's pool): a city's mapping names every organization, and walking it for every
    query cost more than the query (docs/benchmarks.md §7)."""
    if not exposure or len(rows) == 0:
        return np.zeros(len(rows))
    index = layer.index
    names = index.__dict__.get("_org_names")
    if names is None:  # organization code → id, once per index
        names = [""] * (max(index.org_codes.values(), default=-1) + 2)
        for org, code in index.org_codes.items():
            names[code] = org
        index._org_names = names
    return np.asarray(
        [max(float(exposure.get(names[c], 0)), 0.0) for c in index.orgs[rows].tolist()],
        dtype=np.float64,
    )


def _orgs(layer: Layer, rows: np.ndarray) -> np.ndarray:
    codes = layer.index.orgs[rows]
    return codes if layer.org_codes is None else layer.org_codes[codes]


def select(
    scores: np.ndarray,
    exposure_counts: np.ndarray | Callable[[np.ndarray], np.ndarray],
    orgs: np.ndarray,
    tie: Callable[[np.ndarray], np.ndarray],
    profile: MatchingProfile,
    k: int,
    batch_counts: dict[int, int] | None,
    cap: int | None = LIST_CAP,
) -> list[tuple[int, float]]:
    """Positions of the k best candidates, with each one's exposure e ∈ [0, 1]; equal
    values are ordered by ``tie(positions)`` (the post ids' order). With fairness on, at
    most ``cap`` of one organization (None: no cap). ``exposure_counts``: per candidate, or
    a function of candidate positions (looked up for the pool only)."""
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

    def exposure_at(positions: np.ndarray) -> np.ndarray:
        if callable(exposure_counts):
            return np.asarray(exposure_counts(positions), dtype=np.float64)
        return np.asarray(exposure_counts, dtype=np.float64)[positions]

    if not profile.fairness_within_batch:
        base_e = np.minimum(exposure_at(np.arange(len(scores))) / sat, 1.0)
        adjusted = scores * (1 - lam * base_e)
        return [(int(i), float(base_e[i])) for i in top(adjusted, k)]
    # Greedy over the best raw scores: each pick's organization counts against its later
    # offers in this list (``LIST_SATURATION``) and, in a batch, against the needs after
    # this one (``batch_counts``, as exposure). Vectorised over the pool: one pass per pick.
    batch = batch_counts if batch_counts is not None else {}
    pool = top(scores, min(len(scores), max(4 * k, k + 50)))
    pool_orgs = orgs[pool].astype(np.int64)
    codes, org_of = np.unique(pool_orgs, return_inverse=True)
    elsewhere = exposure_at(pool) + np.asarray([batch.get(int(o), 0) for o in pool_orgs])
    raw = scores[pool].astype(np.float64)
    in_list = np.zeros(len(codes), dtype=np.int64)
    pool_tie = np.asarray(tie(pool))
    left = np.ones(len(pool), dtype=bool)
    chosen: list[tuple[int, float]] = []
    while len(chosen) < k:
        allowed = left if cap is None else left & (in_list[org_of] < cap)
        if not allowed.any():
            break  # nothing left, or only capped organizations
        e = np.minimum(elsewhere / sat + in_list[org_of] / LIST_SATURATION, 1.0)
        val = np.where(allowed, raw * (1 - lam * e), -np.inf)
        top_val = np.flatnonzero(val == val.max())
        best = int(top_val[np.argmin(pool_tie[top_val])])  # equal values: the lower id
        chosen.append((int(pool[best]), float(e[best])))
        left[best] = False
        in_list[org_of[best]] += 1
    if batch_counts is not None:
        in_list_by_org = dict(zip(codes.tolist(), in_list.tolist(), strict=True))
        for org, n in in_list_by_org.items():
            if n:
                batch_counts[org] = batch_counts.get(org, 0) + n
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
