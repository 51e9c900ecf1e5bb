"""The project's URLconf: it only mounts what each app owns (no route of its own but the
health check, the admin, the API schema and language switching). No two includes share a
path, so their order does not matter."""

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

from legal import api_urls as legal_api
from matching import api_urls as matching_api
from meetings import api_urls as meetings_api
from notifications import api_urls as notifications_api
from organizations import api_urls as organizations_api
from proposals import api_urls as proposals_api
from tsunagu import views

admin.site.site_header = f"{settings.TSUNAGU_SITE_NAME} 管理画面"
admin.site.site_title = settings.TSUNAGU_SITE_NAME
admin.site.index_title = "管理メニュー"

# /api/v1/ lists every app's collections (what DRF's DefaultRouter would show for one).
api_root = routers.APIRootView.as_view(
    api_root_dict={
        prefix: f"{basename}-list"
        for module in (
            organizations_api,
            proposals_api,
            matching_api,
            meetings_api,
            notifications_api,
            legal_api,
        )
        for prefix, _viewset, basename in module.router.registry
    }
)

urlpatterns = [
    # HTML pages (web/): public, /my/ for members, /coord/ for coordinators.
    path("", include("web.public.urls")),
    path("my/", include("web.member.urls")),
    path("coord/", include("web.coordinator.urls")),
    # 利用規約・プライバシーポリシー・問い合わせ先 and the consent page; their editing.
    path("", include("web.public.legal")),
    path("coord/legal/", include("web.coordinator.legal")),
    # The API, one include per app.
    path("api/v1/", api_root, name="api-root"),
    path("api/v1/", include("organizations.api_urls")),
    path("api/v1/", include("proposals.api_urls")),
    path("api/v1/", include("matching.api_urls")),
    path("api/v1/", include("meetings.api_urls")),
    path("api/v1/", include("notifications.api_urls")),
    path("api/v1/", include("legal.api_urls")),
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
    # The consultation calendar feed (/calendar/<token>.ics).
    path("", include("matching.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("admin/", admin.site.urls),
]

# Error answers (lib/http_errors.py): JSON under /api/, the site's pages in the reader's
# language elsewhere (web/templates/400.html, 403.html, 404.html, 500.html).
handler400 = "lib.http_errors.bad_request"
handler403 = "lib.http_errors.permission_denied"
handler404 = "lib.http_errors.page_not_found"
handler500 = "lib.http_errors.server_error"
