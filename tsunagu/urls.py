from csp.decorators import csp_update
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
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
from matching.api_privacy import DeletionRequestView, OrganizationExportView
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

from . import accounts, views
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
    # Rate-limited (tsunagu/ratelimit.py); before Django's own, which it replaces.
    path(
        "accounts/password_reset/",
        accounts.PasswordResetView.as_view(),
        name="password_reset",
    ),
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
    # Personal data: an organization's export and deletion request (matching.privacy).
    path(
        "api/v1/organizations/<int:pk>/export/",
        OrganizationExportView.as_view(),
        name="organization-export",
    ),
    path(
        "api/v1/organizations/<int:pk>/deletion-requests/",
        DeletionRequestView.as_view(),
        name="organization-deletion-requests",
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
    # Swagger UI's set-up script as a file of its own (the split view), so that the page
    # needs no inline script; Redoc renders in a blob: worker.
    path(
        "api/docs/",
        csp_update({"worker-src": ["'self'", "blob:"]})(
            SpectacularSwaggerSplitView.as_view(url_name="schema")
        ),
        name="api-docs",
    ),
    path(
        "api/redoc/",
        csp_update({"worker-src": ["'self'", "blob:"]})(
            SpectacularRedocView.as_view(url_name="schema")
        ),
        name="api-redoc",
    ),
]

# JSON errors under /api/ for what Django answers before any API view (tsunagu/http_errors.py).
handler400 = "tsunagu.http_errors.bad_request"
handler404 = "tsunagu.http_errors.page_not_found"
