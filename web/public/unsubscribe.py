"""The unsubscribe page: no login (the signed token is the credential).

GET shows a confirmation; POST applies it (also RFC 8058 one-click: a POST with
``List-Unsubscribe=One-Click`` from the mail client). A tampered token answers 400."""

from __future__ import annotations

from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from notifications import emails, kinds, services


@csrf_exempt  # the signed token authorizes; one-click unsubscribe posts without a session
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        user, kind_list = emails.read_unsubscribe_token(token)
    except signing.BadSignature:
        lang = translation.get_language() or "ja"
        lang = "en" if lang.startswith("en") else "ja"
        return render(request, f"public/unsubscribe_invalid.{lang}.html", status=400)
    lang = emails.language_of(user)
    done = request.method == "POST"
    if done:
        services.unsubscribe(user, kind_list)
    context = {
        "token": token,
        "done": done,
        "labels": [kinds.label(k) for k in kind_list],
        "name": getattr(user, "display_name", "") or user.get_username(),
    }
    response = render(request, f"public/unsubscribe.{lang}.html", context)
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response
