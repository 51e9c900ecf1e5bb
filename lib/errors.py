"""The one error vocabulary of the services.

A service refuses a request by raising one of four errors; nothing else decides how the
refusal reaches a person. The API translates them once (``lib.api.exception_handler``:
400 / 403 / 404 / 409 with the message, field by field where there is a field), and the
web pages once (``web.errors``: a message on the page, or the field's error in its form).

- ``Invalid`` (400): the input is wrong; ``field`` names the field when there is one, or
  ``errors`` maps several fields (or a list of items) to their messages.
- ``Forbidden`` (403): this person may not do this.
- ``NotFound`` (404): there is no such thing (for this person).
- ``Conflict`` (409): allowed in general, but not in the current state of things
  (a match in the wrong state, a full slot, a second evaluation).

Messages are Japanese first (``gettext_lazy``) and rendered in the request's language.
"""

from __future__ import annotations

from typing import Any


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
        super().__init__(str(message))
        self.message = message
        self.field = field
        self.code = code or self.default_code
        self.errors = errors
        # More for the API's answer (e.g. a match's ``state`` and the refused ``action``).
        self.extra = extra

    @property
    def status_code(self) -> int:
        return self.status

    def messages(self) -> list[str]:
        """Every message, for a page that shows them in one place."""
        if self.errors:
            out: list[str] = []
            for value in self.errors.values():
                out.extend(_flatten(value))
            return out
        return [str(self.message)] if str(self.message) else []

    def field_errors(self) -> dict[str, list[str]]:
        """``{field: [messages]}``; the key is ``detail`` for what belongs to no field."""
        if self.errors:
            return {name: _flatten(value) for name, value in self.errors.items()}
        return {self.field or "detail": self.messages()}


class Invalid(ServiceError):
    status = 400
    default_code = "invalid"


class Forbidden(ServiceError):
    status = 403
    default_code = "permission_denied"


class NotFound(ServiceError):
    status = 404
    default_code = "not_found"


class Conflict(ServiceError):
    status = 409
    default_code = "conflict"


def _flatten(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [m for v in value.values() for m in _flatten(v)]
    if isinstance(value, list | tuple):
        return [m for v in value for m in _flatten(v)]
    return [str(value)] if str(value) else []
