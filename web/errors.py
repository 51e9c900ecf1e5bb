"""How a service's refusal reaches a person on a web page: the one translation for HTML
(the API has its own, ``lib.api.exception_handler``).

A refusal (``lib.errors``: invalid / forbidden / conflict / not found, or Django's own
``ValidationError`` and ``PermissionDenied`` from models and forms) becomes the error of the
field it names when the page's form has that field, and a message at the top of the page
otherwise. Messages are the services' own (Japanese first)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest

from lib.errors import ServiceError, texts_of

# What a view catches around a service call to show it instead of failing.
REFUSALS = (ServiceError, ValidationError, PermissionDenied)


def field_errors(exc: BaseException) -> dict[str, list[str]]:
    """``{field: [messages]}`` of a refusal; ``detail`` for what names no field."""
    if isinstance(exc, ServiceError):
        found = exc.field_errors()
        found.pop("items", None)  # bulk requests report item by item themselves
        return {name: [str(m) for m in msgs] for name, msgs in found.items()} or {
            "detail": texts_of(exc)
        }
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        return {name: [str(m) for m in msgs] for name, msgs in exc.message_dict.items()}
    return {"detail": texts_of(exc)}


def report(request: HttpRequest, exc: BaseException, form: forms.Form | None = None) -> bool:
    """Show ``exc`` on the page: on ``form``'s fields where it names one of them, else as
    messages. True when something went onto the form (the view shows the form again)."""
    on_form = False
    for name, texts in field_errors(exc).items():
        for text in texts:
            if form is not None and name in form.fields:
                form.add_error(name, text)
                on_form = True
            else:
                messages.error(request, text)
    return on_form
