"""Personal data (個人情報): which fields are personal, and the log of who viewed them.

Every time a coordinator or platform admin is shown an organization's private contact
details and is not a member of it, ``log_personal_data_access`` writes a django-auditlog
``LogEntry`` with ``action=ACCESS``: who, when, which organization, through which page or
endpoint (``via``), which record it was part of, from which address. Coordinators review
them read-only in the admin (個人情報の閲覧記録). See docs/security.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from auditlog.context import auditlog_value
from auditlog.middleware import AuditlogMiddleware
from auditlog.models import LogEntry

from organizations.models import Organization

# An organization's private fields (also ``serializers.PRIVATE_FIELDS``).
CONTACT_FIELDS = ("contact_name", "contact_email", "contact_phone", "address")

ERASED = "（削除済み）"


def mask_all(value: str) -> str:
    """django-auditlog mask for contact fields: the audit trail records that a contact
    changed (who, when), never the address or phone number itself."""
    return "***" if value else value


def _remote_addr(request) -> str | None:
    if request is not None:
        return AuditlogMiddleware._get_remote_addr(request)
    context = auditlog_value.get(None)
    return context.get("remote_addr") if context else None


def needs_access_log(user, organization_id: int) -> bool:
    """Coordinators and admins reading another organization's personal data are logged;
    members reading their own organization's, and parties reading each other's, are not."""
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.can_coordinate
        and not user.is_member_of(organization_id)
    )


def log_personal_data_access(
    user: Any,
    organizations: Iterable[Organization],
    *,
    via: str,
    request: Any = None,
    record: str = "",
) -> list[LogEntry]:
    """Write one access entry per organization whose personal data ``user`` was shown.

    ``via`` names the page or endpoint (``"api:organization-detail"``,
    ``"web:coord-match"``, …); ``record`` the record the data was part of (``"match:12"``).
    """
    entries = []
    # One entry per organization and page view, however often the page renders the data
    # (the browsable API serializes it for its forms too).
    http_request = getattr(request, "_request", request)
    seen: set = getattr(http_request, "_personal_data_logged", set())
    if http_request is not None:
        http_request._personal_data_logged = seen
    for org in organizations:
        if (org.pk, via) in seen or not needs_access_log(user, org.pk):
            continue
        seen.add((org.pk, via))
        entries.append(
            LogEntry.objects.log_create(
                org,
                force_log=True,
                action=LogEntry.Action.ACCESS,
                actor=user,
                actor_email=user.email or None,
                remote_addr=_remote_addr(request),
                additional_data={
                    "via": via,
                    "path": request.get_full_path() if request is not None else "",
                    "record": record,
                },
            )
        )
    return entries
