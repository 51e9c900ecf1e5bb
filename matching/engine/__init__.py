"""Tsunagu scoring engine: ranks collaboration partners (Need ↔ Offer). No Django imports.

See ``README.md`` in this package for the components, weights, reasons and complexity.
"""

from matching.engine.features import (
    FIELD_LABELS,
    FORM_LABELS,
    ORGANIZATION_KINDS,
    WEAK_FORMS,
    AreaHierarchy,
    Need,
    Offer,
)
from matching.engine.index import NeedIndex, OfferIndex, rank_offers, score_batch
from matching.engine.scoring import (
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
from matching.engine.text import (
    ANALYSIS_VERSION,
    Lexicon,
    PostText,
    analyze_post,
    build_lexicon,
    default_lexicon_data,
    load_lexicon,
)

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
    "Lexicon",
    "MatchingProfile",
    "Need",
    "NeedIndex",
    "Offer",
    "OfferIndex",
    "PostText",
    "Suggestion",
    "Weights",
    "analyze_post",
    "build_lexicon",
    "default_lexicon_data",
    "load_lexicon",
    "rank_offers",
    "score_batch",
]
