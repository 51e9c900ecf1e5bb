"""A database outage answers 503, never a 500 with a trace.

While PostgreSQL restarts or is unreachable, queries raise ``OperationalError`` (connection
refused, "terminating connection due to administrator command", server closed the
connection) or ``InterfaceError`` (a connection already closed). Pages then answer a
static 503 page (Japanese, English below) and the API a JSON 503 with a Japanese
``detail``; both with ``Retry-After``. Nothing else is needed to recover: Django drops a
broken connection at the end of the request, and ``CONN_HEALTH_CHECKS`` (settings) checks
a persistent one before reusing it, so the first request after the restart reconnects.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext

log = logging.getLogger(__name__)

DATABASE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30


def database_unavailable(request: HttpRequest) -> HttpResponse:
    """The 503 answer: JSON under /api/, the static page elsewhere. Rendered without a
    request context, so no context processor touches the database."""
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {
                "detail": gettext(
                    "ただいまデータベースに接続できません。しばらくしてから、もう一度お試しください。"
                ),
                "code": "database_unavailable",
            },
            status=503,
            json_dumps_params={"ensure_ascii": False},
        )
    else:
        response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    """First in MIDDLEWARE. A view's database error is answered by ``process_exception``;
    one raised by another middleware (a session saved after the view, say) has already
    become Django's 500 response by the time it gets here, so that response is replaced,
    recognized by the mark ``_remember_database_error`` left on the request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code >= 500 and getattr(request, "_database_error", None):
            return database_unavailable(request)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DATABASE_ERRORS):
            return None
        log.warning("database unavailable, answering 503 for %s: %s", request.path, exception)
        return database_unavailable(request)


@receiver(got_request_exception, dispatch_uid="tsunagu.remember_database_error")
def _remember_database_error(sender, request: HttpRequest | None = None, **kwargs) -> None:
    # Sent from inside Django's ``except`` block, so the exception is sys.exc_info()'s.
    exc = sys.exc_info()[1]
    if request is not None and isinstance(exc, DATABASE_ERRORS):
        request._database_error = exc  # type: ignore[attr-defined]
