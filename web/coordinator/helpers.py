"""What the coordinators' pages (``/coord/``) share: the ``coordinator_required`` gate
(only users who ``can_coordinate`` get in; others 403, anonymous → login), a form's errors
as one message, and the way back to the page a form was posted from.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext

from organizations.permissions import is_coordinator


def coordinator_required(view):
    """Anonymous → the login page; logged in without ``can_coordinate`` → 403."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_coordinator(request.user):
            raise PermissionDenied(gettext("コーディネーターだけが使えるページです。"))
        return view(request, *args, **kwargs)

    return wrapped


def form_errors(form) -> str:
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


def back(request: HttpRequest, default: str) -> HttpResponse:
    """Back to the page the form was on (kept filters), if it is one of ours."""
    target = request.POST.get("next", "")
    if target.startswith("/coord/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(default)
