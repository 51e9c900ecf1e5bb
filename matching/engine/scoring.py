"""Components of the match score, the weights, and the result types.

Every component yields a *value* in [0, 1]. The score is the weighted mean of the values
(weights normalised to sum 1; the defaults learned, ``data/weights.json``) times the
fairness factor, written as a sum of contributions:

    score = Σ_i (w_i / Σw) · v_i  −  λ · e · Σ_i (w_i / Σw) · v_i

so the contributions in ``Suggestion.components`` add up to the score exactly (the fairness
contribution is the last, negative term; e ∈ [0, 1] is the organization's exposure, λ the
fairness strength). Score ∈ [0, 1] because each value is.

Components work on NumPy arrays so a whole candidate set is scored at once; the scalar
per-pair semantics live in the small functions below (``area_value``, ``form_value``...) and
are tabulated per distinct area/form set, so the vectorised path and the explanation use the
same numbers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from matching.engine.features import FORM_LABELS, WEAK_FORMS, AreaHierarchy

# 2.0: the semantic component (word vectors), formats weighed apart from subjects, weights
# learned by cross-validation (``data/weights.json``).
ENGINE_VERSION = "tsunagu-engine/2.0"

# Day ordinals standing for "no bound".
NO_START = -(10**9)
NO_END = 10**9
# A need with no end date is assumed to run this long from its start (one fiscal year).
DEFAULT_NEED_DAYS = 365

COMPONENTS: tuple[str, ...] = (
    "text",
    "reciprocity",
    "semantic",
    "field",
    "area",
    "form",
    "period",
    "capacity",
    "commercial",
)
COMPONENT_LABELS: dict[str, str] = {
    "text": "内容の近さ",
    "reciprocity": "双方向の一致",
    "semantic": "意味の近さ",
    "field": "分野",
    "area": "活動地域",
    "form": "協働形態",
    "period": "期間",
    "capacity": "受け入れ余力",
    "commercial": "協働の性格（売り込みでないか）",
    "fairness": "提案の偏りの調整",
}

FORM_CODES: tuple[str, ...] = tuple(FORM_LABELS)
_FORM_BIT = {code: 1 << i for i, code in enumerate(FORM_CODES)}
_WEAK_MASK = sum(_FORM_BIT[c] for c in WEAK_FORMS)


# The weights set by hand from the judging guidelines (engine 1.x), with the semantic
# component at a modest share: the starting point (prior) of the fit, and the comparison
# the learned weights are reported against.
HAND_WEIGHTS: dict[str, float] = {
    "text": 0.40,
    "reciprocity": 0.15,
    "semantic": 0.15,
    "field": 0.05,
    "area": 0.15,
    "form": 0.10,
    "period": 0.10,
    "capacity": 0.05,
    "commercial": 0.08,
}
WEIGHTS_PATH = Path(__file__).parent / "data" / "weights.json"


def learned_weights(path: Path = WEIGHTS_PATH) -> dict[str, float]:
    """The component weights fitted on the labelled dataset by leave-one-need-out
    cross-validation (``python -m matching.engine.fitting``); the hand-set ones if the file
    is missing. Keys the file lacks keep their hand-set value."""
    try:
        found = json.loads(path.read_text(encoding="utf-8"))["weights"]
    except (OSError, KeyError, ValueError):
        return dict(HAND_WEIGHTS)
    return {c: float(found.get(c, HAND_WEIGHTS[c])) for c in HAND_WEIGHTS}


_LEARNED = learned_weights()


@dataclass(frozen=True)
class Weights:
    """Relative weights of the components (any non-negative numbers; normalised to sum 1).
    The defaults are the learned ones (``data/weights.json``).

    ``fairness`` is different: a strength λ ∈ [0, 1]. An organization whose exposure is at
    saturation has its score multiplied by (1 − λ). 0 switches fairness off.
    """

    text: float = _LEARNED["text"]
    reciprocity: float = _LEARNED["reciprocity"]
    semantic: float = _LEARNED["semantic"]
    field: float = _LEARNED["field"]
    area: float = _LEARNED["area"]
    form: float = _LEARNED["form"]
    period: float = _LEARNED["period"]
    capacity: float = _LEARNED["capacity"]
    commercial: float = _LEARNED["commercial"]
    fairness: float = 0.0

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if not np.isfinite(v) or v < 0:
                raise ValueError(f"weight {f.name} must be a finite number ≥ 0, got {v!r}")
        if self.fairness > 1:
            raise ValueError(f"fairness must be in [0, 1], got {self.fairness!r}")
        if sum(getattr(self, c) for c in COMPONENTS) <= 0:
            raise ValueError("at least one component weight must be positive")

    def normalized(self) -> dict[str, float]:
        total = sum(getattr(self, c) for c in COMPONENTS)
        return {c: getattr(self, c) / total for c in COMPONENTS}


@dataclass(frozen=True)
class MatchingProfile:
    """Everything that configures a ranking run besides the posts themselves.

    The Django side stores profiles in the database; ``EVALUATION_PROFILE`` is the one the
    dataset evaluation uses (form filter off, fairness off: every offer must be ranked).
    """

    name: str = "default"
    weights: Weights = field(default_factory=Weights)
    require_form_overlap: bool = True  # hard filter: no shared form → never suggested
    exclude_same_organization: bool = True
    # Exposure (suggestions/matches an organization already has) at which the fairness
    # penalty reaches its full strength λ; counts below scale linearly.
    fairness_saturation: int = 10
    # Count each earlier suggestion of the same organization in the same list/batch as
    # exposure too (spreads suggestions across organizations). Only matters if λ > 0.
    fairness_within_batch: bool = True
    min_score: float = 0.0  # suggestions scoring below are dropped
    # Saturation constants: a raw cosine/coverage of κ maps to a value of (1+κ)/2 ... see
    # ``saturate``. Raw lexical overlaps are small numbers; these spread them over [0, 1].
    text_kappa: float = 0.25
    reciprocity_kappa: float = 0.25
    # The semantic value is the cosine of the two posts' document vectors mapped linearly
    # from ``semantic_floor`` (what two unrelated civic posts typically reach: 0) to
    # ``semantic_full`` (the same subject in other words: 1).
    semantic_floor: float = 0.2
    semantic_full: float = 0.8

    def __post_init__(self) -> None:
        if self.fairness_saturation < 1:
            raise ValueError("fairness_saturation must be ≥ 1")
        if not 0 <= self.semantic_floor < self.semantic_full <= 1:
            raise ValueError("need 0 ≤ semantic_floor < semantic_full ≤ 1")


# Exposure fairness is on by default (docs/matching.md, "Exposure fairness"): λ = 0.5,
# full at 20 suggestions and open matches elsewhere, or at a third offer of one
# organization in a list (``ranking.LIST_SATURATION``). Measured in bench/fairness_bench.py.
DEFAULT_FAIRNESS = 0.5
DEFAULT_FAIRNESS_SATURATION = 20
DEFAULT_PROFILE = MatchingProfile(
    weights=Weights(fairness=DEFAULT_FAIRNESS), fairness_saturation=DEFAULT_FAIRNESS_SATURATION
)
EVALUATION_PROFILE = MatchingProfile(
    name="evaluation", require_form_overlap=False, fairness_within_batch=False
)


@dataclass(frozen=True)
class ComponentScore:
    name: str
    label: str  # Japanese, for the coordinator's screen
    value: float  # the component's own value in [0, 1] (fairness: the exposure e)
    weight: float  # normalised weight (fairness: λ)
    contribution: float  # what it adds to the score (fairness: ≤ 0)


@dataclass(frozen=True)
class Suggestion:
    """One ranked pair with its explanation."""

    need_id: str
    offer_id: str
    score: float
    components: tuple[ComponentScore, ...]
    reasons: tuple[str, ...]  # strengths, most important first
    weaknesses: tuple[str, ...]
    engine_version: str = ENGINE_VERSION
    rank: int = 0

    def breakdown(self) -> dict[str, float]:
        """Component → contribution; the values add up to ``score``."""
        return {c.name: c.contribution for c in self.components}

    def to_json(self) -> dict:
        return {
            "need_id": self.need_id,
            "offer_id": self.offer_id,
            "score": self.score,
            "rank": self.rank,
            "components": [c.__dict__ for c in self.components],
            "reasons": list(self.reasons),
            "weaknesses": list(self.weaknesses),
            "engine_version": self.engine_version,
        }


# --------------------------------------------------------------------------- components


def semantic_value(cosine: np.ndarray, floor: float, full: float) -> np.ndarray:
    """The semantic component: a cosine mapped linearly from ``floor`` (0) to ``full`` (1)."""
    value = np.asarray(cosine, dtype=np.float64) - floor
    value *= 1.0 / (full - floor)
    return np.clip(value, 0.0, 1.0, out=value)


def saturate(x: np.ndarray | float, kappa: float) -> np.ndarray | float:
    """x(1+κ)/(x+κ): 0 → 0, 1 → 1, increasing and concave, so small raw overlaps spread out."""
    x = np.clip(x, 0.0, 1.0)
    return x * (1.0 + kappa) / (x + kappa)


def form_mask(codes: frozenset[str]) -> int:
    return sum(_FORM_BIT.get(c, 0) for c in codes)


def form_value(need_mask: np.ndarray | int, offer_mask: np.ndarray | int) -> np.ndarray:
    """1 if the two sides share a real form of work; 0.5 if they share only 後援/情報交換 while
    the need asks for more, or if either side listed no form; 0 if no form is shared."""
    need_mask = np.asarray(need_mask, dtype=np.int64)
    offer_mask = np.asarray(offer_mask, dtype=np.int64)
    shared = need_mask & offer_mask
    strong_shared = (shared & ~_WEAK_MASK) != 0
    need_only_weak = (need_mask & ~_WEAK_MASK) == 0
    out = np.where(strong_shared | ((shared != 0) & need_only_weak), 1.0, 0.0)
    out = np.where((shared != 0) & ~strong_shared & ~need_only_weak, 0.5, out)
    return np.where((need_mask == 0) | (offer_mask == 0), 0.5, out)


def field_value(need_mask: np.ndarray | int, offer_mask: np.ndarray | int) -> np.ndarray:
    """Overlap coefficient |N∩O| / min(|N|, |O|) of the field tags; 0 if either side has none."""
    need_mask = np.asarray(need_mask, dtype=np.int64)
    offer_mask = np.asarray(offer_mask, dtype=np.int64)
    shared = np.bitwise_count(need_mask & offer_mask).astype(np.float64)
    smaller = np.minimum(np.bitwise_count(need_mask), np.bitwise_count(offer_mask))
    return np.divide(shared, smaller, out=np.zeros_like(shared), where=smaller > 0)


def need_interval(starts_on: date | None, ends_on: date | None, as_of: date) -> tuple[int, int]:
    """The part of the need's period still ahead as of ``as_of`` (day ordinals, inclusive)."""
    start = max(starts_on or as_of, as_of)
    end = ends_on or (start + timedelta(days=DEFAULT_NEED_DAYS - 1))
    return start.toordinal(), end.toordinal()


def period_value(
    need_start: np.ndarray | int,
    need_end: np.ndarray | int,
    offer_from: np.ndarray | int,
    offer_until: np.ndarray | int,
) -> np.ndarray:
    """Fraction of the (remaining) need period during which the offer is available."""
    need_start = np.asarray(need_start, dtype=np.int64)
    need_end = np.asarray(need_end, dtype=np.int64)
    lo = np.maximum(need_start, np.asarray(offer_from, dtype=np.int64))
    hi = np.minimum(need_end, np.asarray(offer_until, dtype=np.int64))
    length = np.maximum(need_end - need_start + 1, 1)
    return np.clip((hi - lo + 1) / length, 0.0, 1.0)


def capacity_value(capacity: np.ndarray | int, active: np.ndarray | int) -> np.ndarray:
    """0 when the offer runs as many collaborations as it can; else 0.5 + 0.5 · share left."""
    capacity = np.maximum(np.asarray(capacity, dtype=np.float64), 1.0)
    left = capacity - np.asarray(active, dtype=np.float64)
    return np.where(left <= 0, 0.0, 0.5 + 0.5 * np.clip(left / capacity, 0.0, 1.0))


def commercial_value(cue_count: np.ndarray | int) -> np.ndarray:
    """1 for an offer with at most one sales-pitch cue word; −0.4 per further cue, floor 0.

    One cue is normal (a shop offering work experience mentions 商品); several (販売, 承る,
    レンタル...) mark a product pitch, which coordinators do not count as collaboration.
    """
    n = np.asarray(cue_count, dtype=np.float64)
    return np.clip(1.0 - 0.4 * (n - 1.0), 0.0, 1.0)


def area_value(
    hierarchy: AreaHierarchy, need_tags: frozenset[str], offer_tags: frozenset[str]
) -> float:
    """How well the offer's areas cover the need's (both canonical tag sets).

    Per need area n: 1 if the offer covers n (n or an ancestor tagged; citywide covers all);
    0.5 + 0.4·(share of n's sub-areas the offer reaches) if the offer works inside part of n
    (this is how a citywide need meets a ward-bound offer: area matters less there); 0.4 if
    the offer works elsewhere in the same ward; else 0. Mean over the need's areas; 0.5 when
    either side gave no area.
    """
    if not need_tags or not offer_tags:
        return 0.5
    total = 0.0
    for n in need_tags:
        if hierarchy.covers(offer_tags, n):
            total += 1.0
            continue
        kids = hierarchy.children(n)
        if kids and any(hierarchy.touches(offer_tags, k) for k in kids):
            reached = sum(1 for k in kids if hierarchy.touches(offer_tags, k))
            total += 0.5 + 0.4 * reached / len(kids)
            continue
        ward = hierarchy.top_level(n)
        if ward is not None and ward != n and hierarchy.touches(offer_tags, ward):
            total += 0.4
    return total / len(need_tags)
