"""Signed-in people are asked to agree to new terms or a new privacy policy before they go on.

A page (GET or HEAD, not the API) of a signed-in person who must agree again
(``legal.services.pending``) is redirected to the consent page, which returns to the page
afterwards. Left alone: the API (``/api/v1/me/`` reports ``consent_required`` and
``/api/v1/legal/consents/`` records the consent: existing clients keep working), forms being
sent (a POST is never lost; the next page asks), the legal pages themselves, login, logout
and password pages, the admin, language switching, static files, the health check, the
calendar feed and the unsubscribe links of e-mails.

Cost: one small query per page for a signed-in person (the newest versions that ask for
consent); what the person agreed to is remembered in the session until a newer version
appears.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode

from legal import services

SESSION_KEY = "legal_consented"
# Paths that never ask (prefixes).
EXEMPT = (
    "/api/",
    "/static/",
    "/media/",
    "/admin/",
    "/accounts/",
    "/i18n/",
    "/healthz",
    "/calendar/",
    "/notifications/unsubscribe/",
    "/terms/",
    "/privacy/",
    "/contact/",
    "/consent/",
)


class ConsentMiddleware:
    """After ``AuthenticationMiddleware`` and ``SessionMiddleware``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._asks(request):
            target = reverse("legal-consent")
            return HttpResponseRedirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)

    def _asks(self, request: HttpRequest) -> bool:
        if request.method not in ("GET", "HEAD") or request.path.startswith(EXEMPT):
            return False
        accept = request.headers.get("Accept", "")
        if accept and "text/html" not in accept and "*/*" not in accept:
            return False  # a script asking for data, not a page
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return False
        required = services.required_versions()
        ids = sorted(pk for pk, _version, _at in required.values())
        if request.session.get(SESSION_KEY) == ids:
            return False
        if services.pending(user, required):
            return True
        request.session[SESSION_KEY] = ids
        return False
