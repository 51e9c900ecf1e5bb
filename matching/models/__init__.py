"""Matching models: suggestions (engine output), matches and their coordination,
consultations and outcomes; one module each, all importable from here."""

from matching.models.consultations import CalendarFeed, ConsultationBooking, ConsultationSlot
from matching.models.matches import (
    InterestRequest,
    Match,
    MatchParty,
    MatchTransition,
    RejectionReason,
    ReviewDecision,
)
from matching.models.outcomes import (
    CasePublication,
    ContinuationFollowUp,
    Evaluation,
    PublicationConsent,
)
from matching.models.rounds import MatchRound, RoundNeed, RoundPair
from matching.models.suggestions import (
    IndexChange,
    MatchingProfile,
    PendingRescore,
    PostAnalysis,
    RelevanceJudgment,
    RescoreRun,
    Suggestion,
    SuggestionNotice,
    SynonymGroup,
)

__all__ = [
    "CalendarFeed",
    "CasePublication",
    "ConsultationBooking",
    "ConsultationSlot",
    "ContinuationFollowUp",
    "Evaluation",
    "IndexChange",
    "InterestRequest",
    "Match",
    "MatchParty",
    "MatchRound",
    "MatchTransition",
    "MatchingProfile",
    "PendingRescore",
    "PostAnalysis",
    "PublicationConsent",
    "RejectionReason",
    "RelevanceJudgment",
    "RescoreRun",
    "ReviewDecision",
    "RoundNeed",
    "RoundPair",
    "Suggestion",
    "SuggestionNotice",
    "SynonymGroup",
]
