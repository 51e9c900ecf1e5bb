"""Error answers outside REST framework's views: JSON under /api/, Django's pages elsewhere.

Django answers an unknown URL (``/api/v1/matches/abc/evaluations/``), a request whose body
is too large, or one it cannot decode before any API view runs; an API client must still
get JSON with a ``detail`` it can show (the schema's ``Error``), not an HTML page.
"""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.views import defaults


def _json(detail: str, code: str, status: int) -> JsonResponse:
    return JsonResponse(
        {"detail": detail, "code": code}, status=status, json_dumps_params={"ensure_ascii": False}
    )


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return _json(_("見つかりません。"), "not_found", 404)
    return defaults.page_not_found(request, exception)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if isinstance(exception, RequestDataTooBig):
        # Over DATA_UPLOAD_MAX_MEMORY_SIZE: say so (413), rather than a bare "Bad Request".
        message = _("送信データが大きすぎます。")
        if _is_api(request):
            return _json(message, "request_too_large", 413)
        return HttpResponse(
            f"<!doctype html><title>413</title><h1>{escape(message)}</h1>",
            status=413,
        )
    if _is_api(request):
        return _json(_("リクエストの形式が正しくありません。"), "bad_request", 400)
    return defaults.bad_request(request, exception)
