"""Tsunagu scoring engine: ranks collaboration partners (Need ↔ Offer). No Django imports.

See ``README.md`` in this package for the components, weights, reasons and complexity.
"""

from .features import (
    FIELD_LABELS,
    FORM_LABELS,
    ORGANIZATION_KINDS,
    WEAK_FORMS,
    AreaHierarchy,
    Need,
    Offer,
)
from .index import NeedIndex, OfferIndex, rank_offers, score_batch
from .scoring import (
    COMPONENT_LABELS,
    COMPONENTS,
    DEFAULT_PROFILE,
    ENGINE_VERSION,
    EVALUATION_PROFILE,
    ComponentScore,
    MatchingProfile,
    Suggestion,
    Weights,
)
from .text import ANALYSIS_VERSION, PostText, analyze_post

__all__ = [
    "ANALYSIS_VERSION",
    "COMPONENTS",
    "COMPONENT_LABELS",
    "DEFAULT_PROFILE",
    "ENGINE_VERSION",
    "EVALUATION_PROFILE",
    "FIELD_LABELS",
    "FORM_LABELS",
    "ORGANIZATION_KINDS",
    "WEAK_FORMS",
    "AreaHierarchy",
    "ComponentScore",
    "MatchingProfile",
    "Need",
    "NeedIndex",
    "Offer",
    "OfferIndex",
    "PostText",
    "Suggestion",
    "Weights",
    "analyze_post",
    "rank_offers",
    "score_batch",
]
