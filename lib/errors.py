"""The one error vocabulary of the services.

A service refuses a request by raising one of four errors; nothing else decides how the
refusal reaches a person. The API translates them once (``lib.api.exception_handler``:
400 / 403 / 404 / 409 with the message, field by field where there is a field), and the
web pages once (``web.errors.report``: the field's error in its form, or a message).

- ``Invalid`` (400): the input is wrong; ``field`` names the field when there is one, or
  ``errors`` maps several fields (or ``items`` of a bulk request) to their messages.
- ``Forbidden`` (403): this person may not do this.
- ``NotFound`` (404): there is no such thing (for this person).
- ``Conflict`` (409): allowed in general, but not in the current state of things (a match
  in the wrong state, a full slot, a second evaluation).

``Invalid`` is also a Django ``ValidationError`` and ``Forbidden`` a Django
``PermissionDenied``, so model validation, forms and the admin understand them as they are.
Messages are Japanese first (``gettext_lazy``) and rendered in the request's language.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError


class ServiceError(Exception):
    """A refused request. ``status`` is the HTTP status the API answers with."""

    status = 400
    default_code = "invalid"

    def __init__(
        self,
        message: Any = "",
        *,
        field: str | None = None,
        code: str | None = None,
        errors: dict[str, Any] | None = None,
        **extra: Any,
    ) -> None:
        Exception.__init__(self, str(message))
        self.message = message
        self.field = field
        self.code = code or self.default_code
        self.errors = errors
        # More for the API's answer (e.g. a match's ``state`` and the refused ``action``).
        self.extra = extra

    @property
    def status_code(self) -> int:
        return self.status

    def field_errors(self) -> dict[str, Any]:
        """``{field: [messages]}`` (``items``: one dict per item of a bulk request); the
        key is ``detail`` for what belongs to no field."""
        if self.errors is not None:
            return {
                name: [value] if not isinstance(value, list | tuple) else list(value)
                for name, value in self.errors.items()
            }
        return {self.field or "detail": [self.message]}

    def texts(self) -> list[str]:
        """Every message as text, for a page that shows them in one place."""
        return [m for value in self.field_errors().values() for m in _flatten(value)]


class Invalid(ServiceError, DjangoValidationError):
    status = 400
    default_code = "invalid"

    def __init__(self, message: Any = "", **kwargs: Any) -> None:
        ServiceError.__init__(self, message, **kwargs)
        # Django's side: message_dict / messages as a ValidationError of the same content.
        if self.errors is not None:
            DjangoValidationError.__init__(
                self, {k: v for k, v in self.field_errors().items() if k != "items"} or "—"
            )
        elif self.field:
            DjangoValidationError.__init__(self, {self.field: [message]})
        else:
            DjangoValidationError.__init__(self, message)

    def __str__(self) -> str:
        return str(self.message) if self.errors is None else "; ".join(self.texts())


class Forbidden(ServiceError, DjangoPermissionDenied):
    status = 403
    default_code = "permission_denied"


class NotFound(ServiceError):
    status = 404
    default_code = "not_found"


class Conflict(ServiceError):
    status = 409
    default_code = "conflict"


def texts_of(exc: BaseException) -> list[str]:
    """The messages of any refusal a service may raise (ours, or Django's own)."""
    if isinstance(exc, ServiceError):
        return exc.texts()
    if isinstance(exc, DjangoValidationError):
        return [str(m) for m in exc.messages]
    return [str(exc)] if str(exc) else []


def _flatten(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [m for v in value.values() for m in _flatten(v)]
    if isinstance(value, list | tuple):
        return [m for v in value for m in _flatten(v)]
    return [str(value)] if str(value) else []
