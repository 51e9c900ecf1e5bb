"""The matching API, mounted at ``/api/v1/``: each feature's routes, in one list.

No two features share a path prefix shape that could shadow the other (a router's detail
route ends at ``<pk>/``), so the order below does not matter."""

from django.urls import path
from rest_framework import routers

from matching.consultations.api import (
    CalendarFeedView,
    ConsultationSlotViewSet,
    ConsultationViewSet,
)
from matching.matches.api import InterestRequestViewSet, MatchViewSet
from matching.outcomes.api import (
    ContinuationRateView,
    FollowUpAnswerView,
    FollowUpListView,
    MatchEvaluationsView,
    MatchPublicationView,
)
from matching.privacy.api import DeletionRequestView, OrganizationExportView
from matching.review.api import RejectionReasonViewSet, ReviewDecideView, ReviewQueueView
from matching.rounds.api import MatchRoundViewSet
from matching.scoring.api import NeedSuggestionsView, OfferSuggestionsView, RescoreRunViewSet

router = routers.SimpleRouter()
# scoring
router.register("matching/rescores", RescoreRunViewSet, basename="rescore")
# rounds
router.register("match-rounds", MatchRoundViewSet, basename="match-round")
# review
router.register("rejection-reasons", RejectionReasonViewSet, basename="rejection-reason")
# matches
router.register("interest-requests", InterestRequestViewSet, basename="interest-request")
router.register("matches", MatchViewSet, basename="match")
# consultations
router.register("consultation-slots", ConsultationSlotViewSet, basename="consultation-slot")
router.register("consultations", ConsultationViewSet, basename="consultation")

urlpatterns = [
    *router.urls,
    # scoring
    path("needs/<int:pk>/suggestions/", NeedSuggestionsView.as_view(), name="need-suggestions"),
    path(
        "offers/<int:pk>/suggestions/",
        OfferSuggestionsView.as_view(),
        name="offer-suggestions",
    ),
    # review
    path("review-queue/", ReviewQueueView.as_view(), name="review-queue"),
    path("review-queue/decide/", ReviewDecideView.as_view(), name="review-decide"),
    # consultations
    path("calendar/feed/", CalendarFeedView.as_view(), name="calendar-feed-url"),
    # outcomes
    path(
        "matches/<int:pk>/evaluations/",
        MatchEvaluationsView.as_view(),
        name="match-evaluations",
    ),
    path(
        "matches/<int:pk>/publication/",
        MatchPublicationView.as_view(),
        name="match-publication",
    ),
    path("follow-ups/", FollowUpListView.as_view(), name="follow-up-list"),
    path("follow-ups/<int:pk>/answer/", FollowUpAnswerView.as_view(), name="follow-up-answer"),
    path(
        "reports/continuation-rate/",
        ContinuationRateView.as_view(),
        name="continuation-rate",
    ),
    # privacy
    path(
        "organizations/<int:pk>/export/",
        OrganizationExportView.as_view(),
        name="organization-export",
    ),
    path(
        "organizations/<int:pk>/deletion-requests/",
        DeletionRequestView.as_view(),
        name="organization-deletion-requests",
    ),
]
