from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework import routers
from rest_framework.authtoken.views import obtain_auth_token

from matching.api import NeedSuggestionsView, OfferSuggestionsView, RescoreRunViewSet
from matching.api_consultations import (
    CalendarFeedView,
    ConsultationSlotViewSet,
    ConsultationViewSet,
    calendar_feed,
)
from matching.api_outcomes import (
    ContinuationRateView,
    FollowUpAnswerView,
    FollowUpListView,
    MatchEvaluationsView,
)
from matching.api_workflow import (
    InterestRequestViewSet,
    MatchViewSet,
    RejectionReasonViewSet,
    ReviewDecideView,
    ReviewQueueView,
)
from notifications.api import NotificationPreferencesView, NotificationViewSet
from organizations.api import (
    AreaViewSet,
    FieldViewSet,
    MeView,
    OrganizationViewSet,
    ResourceKindViewSet,
)
from proposals.api import CollaborationFormViewSet, NeedViewSet, OfferViewSet, SupportViewSet

from . import views
from .member.signup import signup

router = routers.DefaultRouter()
router.register("organizations", OrganizationViewSet, basename="organization")
router.register("needs", NeedViewSet, basename="need")
router.register("offers", OfferViewSet, basename="offer")
router.register("fields", FieldViewSet, basename="field")
router.register("areas", AreaViewSet, basename="area")
router.register("forms", CollaborationFormViewSet, basename="form")
router.register("resource-kinds", ResourceKindViewSet, basename="resource-kind")
router.register("supports", SupportViewSet, basename="support")
router.register("matching/rescores", RescoreRunViewSet, basename="rescore")
router.register("rejection-reasons", RejectionReasonViewSet, basename="rejection-reason")
router.register("interest-requests", InterestRequestViewSet, basename="interest-request")
router.register("matches", MatchViewSet, basename="match")
router.register("consultation-slots", ConsultationSlotViewSet, basename="consultation-slot")
router.register("consultations", ConsultationViewSet, basename="consultation")
router.register("notifications", NotificationViewSet, basename="notification")

admin.site.site_header = f"{settings.TSUNAGU_SITE_NAME} 管理画面"
admin.site.site_title = settings.TSUNAGU_SITE_NAME
admin.site.index_title = "管理メニュー"

urlpatterns = [
    path("", views.home, name="home"),
    path("about/", views.about, name="about"),
    path("my/", include("tsunagu.member.urls")),
    # Public pages: 協働メニュー and posts, 団体一覧, 事例集.
    path("", include("proposals.urls")),
    path("", include("organizations.urls")),
    path("", include("matching.urls")),
    # Coordinators' KPI dashboard and progress sheet: before any other "coord/" include.
    path("coord/kpi/", include("matching.urls_kpi")),
    path("coord/", include("matching.urls_coord")),
    # Login, logout, password reset (templates in tsunagu/templates/registration/).
    path("accounts/signup/", signup, name="signup"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("admin/", admin.site.urls),
    # Outcomes (evaluations, follow-ups, continuation rate): before the router, whose
    # matches viewset would otherwise claim matches/<pk>/….
    path(
        "api/v1/matches/<int:pk>/evaluations/",
        MatchEvaluationsView.as_view(),
        name="match-evaluations",
    ),
    path("api/v1/follow-ups/", FollowUpListView.as_view(), name="follow-up-list"),
    path(
        "api/v1/follow-ups/<int:pk>/answer/",
        FollowUpAnswerView.as_view(),
        name="follow-up-answer",
    ),
    path(
        "api/v1/reports/continuation-rate/",
        ContinuationRateView.as_view(),
        name="continuation-rate",
    ),
    path("api/v1/", include(router.urls)),
    path(
        "api/v1/needs/<int:pk>/suggestions/",
        NeedSuggestionsView.as_view(),
        name="need-suggestions",
    ),
    path(
        "api/v1/offers/<int:pk>/suggestions/",
        OfferSuggestionsView.as_view(),
        name="offer-suggestions",
    ),
    path("api/v1/review-queue/", ReviewQueueView.as_view(), name="review-queue"),
    path("api/v1/review-queue/decide/", ReviewDecideView.as_view(), name="review-decide"),
    path("api/v1/me/", MeView.as_view(), name="me"),
    path(
        "api/v1/notification-preferences/",
        NotificationPreferencesView.as_view(),
        name="notification-preferences",
    ),
    path("notifications/", include("notifications.urls")),
    path("api/v1/calendar/feed/", CalendarFeedView.as_view(), name="calendar-feed-url"),
    path("calendar/<slug:token>.ics", calendar_feed, name="calendar-feed"),
    path("api/v1/auth/token/", obtain_auth_token, name="api-token"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
]
