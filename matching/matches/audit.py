"""The audit trail (django-auditlog): which models are audited, and who the actor is.

Imported once from ``MatchingConfig.ready()``. Every create, change and delete of the
registered models writes a ``LogEntry`` (who, when, what changed), shown in the admin.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from auditlog.context import auditlog_value, set_actor
from auditlog.registry import auditlog

from matching.models import InterestRequest, Match, MatchParty, ReviewDecision
from organizations.models import Organization
from proposals.models import Need, Offer

# Posts: the many-to-many classifications are part of what a post says (a change of
# fields or areas can bring a rejected pair back to the review queue).
_POST_M2M = {"fields", "areas", "forms", "resources"}

for model, options in (
    # Contact details: the trail records that they changed, not their values (個人情報).
    (
        Organization,
        {
            "mask_fields": ["contact_name", "contact_email", "contact_phone", "address"],
            "mask_callable": "organizations.privacy.mask_all",
        },
    ),
    (Need, {"m2m_fields": _POST_M2M, "exclude_fields": ["search_text"]}),
    (Offer, {"m2m_fields": _POST_M2M, "exclude_fields": ["search_text"]}),
    (Match, {}),
    (MatchParty, {}),
    (ReviewDecision, {}),
    (InterestRequest, {}),
):
    if not auditlog.contains(model):
        auditlog.register(model, **options)


@contextlib.contextmanager
def audit_actor(user) -> Iterator[None]:
    """Make ``user`` the actor of the log entries written inside the block.

    AuditlogMiddleware takes the actor from the Django request before REST framework has
    authenticated it, so token-authenticated API calls (and Celery tasks) would be logged
    without one. The request's context (remote address) is kept and restored afterwards.
    """
    if user is None or not getattr(user, "is_authenticated", False):
        yield
        return
    outer = auditlog_value.get(None)
    try:
        with set_actor(
            user,
            remote_addr=outer.get("remote_addr") if outer else None,
            remote_port=outer.get("remote_port") if outer else None,
        ):
            yield
    finally:
        if outer is not None:
            auditlog_value.set(outer)
