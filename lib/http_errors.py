"""Error answers outside REST framework's views: JSON under /api/, the site's pages elsewhere.

Django answers an unknown URL (``/api/v1/matches/abc/evaluations/``), a request whose body
is too large, one it cannot decode, a refused permission, a failed CSRF check or a crash
before or around any API view; an API client must still get JSON with a ``detail`` it can
show and a ``code`` (the schema's ``Error``), not an HTML page. People get the site's error
pages (``400.html``, ``403.html``, ``404.html``, ``500.html`` in ``web/templates``), in
their language, with the site's header and navigation.

The 400 and 500 pages are rendered without the request's context (no context processor,
so no session, user or unread count: no database query), as Django does: a crash may come
from the database itself. ``JSONErrorsUnderAPIMiddleware`` turns what Django answers
with ``DEBUG`` on (the technical 404 and 500 pages) into JSON too under /api/.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _
from django.views import defaults


def _json(detail: str, code: str, status: int) -> JsonResponse:
    return JsonResponse(
        {"detail": detail, "code": code}, status=status, json_dumps_params={"ensure_ascii": False}
    )


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _plain_page(template: str, status: int, **context) -> HttpResponse:
    """A page rendered with no request context (see the module's docstring)."""
    return HttpResponse(loader.render_to_string(template, context), status=status)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return _json(_("見つかりません。"), "not_found", 404)
    return defaults.page_not_found(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """403 with the refusal's own message (``PermissionDenied("…")``, ``lib.errors.Forbidden``)."""
    message = str(exception) if exception is not None else ""
    if _is_api(request):
        return _json(message or _("この操作を行う権限がありません。"), "permission_denied", 403)
    return defaults.permission_denied(request, exception)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if isinstance(exception, RequestDataTooBig):
        # Over DATA_UPLOAD_MAX_MEMORY_SIZE: say so (413), rather than a bare "Bad Request".
        message = _("送信データが大きすぎます。")
        if _is_api(request):
            return _json(message, "request_too_large", 413)
        return _plain_page("400.html", 413, message=message)
    if _is_api(request):
        return _json(_("リクエストの形式が正しくありません。"), "bad_request", 400)
    return _plain_page("400.html", 400)


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return _json(_server_error_message(), "server_error", 500)
    return _plain_page("500.html", 500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """``CSRF_FAILURE_VIEW``: a form sent from an old page, or without its cookie."""
    message = _(
        "フォームの有効期限が切れたか、ブラウザーのクッキーが無効になっています。"
        "ページを再読み込みしてから、もう一度送信してください。"
    )
    if _is_api(request):
        return _json(message, "csrf_failed", 403)
    return defaults.permission_denied(request, PermissionDenied(message))


def _server_error_message() -> str:
    return _(
        "サーバーでエラーが発生しました。しばらくしてから、もう一度お試しください。"
        "続く場合は管理者にお問い合わせください。"
    )


# What each status is called in an answer that had no code of its own.
_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    413: "request_too_large",
    429: "throttled",
}


def _detail(status: int) -> str:
    if status == 404:
        return _("見つかりません。")
    if status == 405:
        return _("このURLではその操作（メソッド）は使えません。")
    if status == 403:
        return _("この操作を行う権限がありません。")
    if status >= 500:
        return _server_error_message()
    return _("リクエストの形式が正しくありません。")


class JSONErrorsUnderAPIMiddleware:
    """Under /api/, an error answer that is not JSON becomes ``{"detail", "code"}`` with the
    same status: Django's technical 404 and 500 pages when ``DEBUG`` is on (which would
    list every URL pattern or a trace), a bare 405, any HTML error page. REST framework's
    own answers are left as they are (a browser asking for its browsable page gets it).
    Second in MIDDLEWARE, inside ``DatabaseUnavailableMiddleware`` (its 503 stays)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code < 400
            or not _is_api(request)
            or hasattr(response, "accepted_renderer")  # REST framework's Response
            or response.get("Content-Type", "").startswith("application/json")
        ):
            return response
        status = response.status_code
        code = _CODES.get(status, "server_error" if status >= 500 else "error")
        answer = _json(_detail(status), code, status)
        for header in ("Allow", "Retry-After", "WWW-Authenticate"):
            if header in response:
                answer[header] = response[header]
        return answer
