"""Authentication classes for the API (kept apart from lib.api: REST framework imports
these while it is still loading its views)."""

from __future__ import annotations

from auditlog.context import auditlog_value
from rest_framework import authentication


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication, telling the audit log who acts.

    AuditlogMiddleware reads ``request.user`` before REST framework has authenticated a
    token, so without this every token-authenticated change would be logged with no actor.
    """

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None:
            record_audit_actor(result[0])
        return result


def record_audit_actor(user) -> None:
    """Name ``user`` as the actor of the audit entries the current request writes."""
    context = auditlog_value.get(None)
    if context is not None and context.get("actor") is None:
        context["actor"] = user
