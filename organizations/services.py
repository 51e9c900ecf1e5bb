"""Who answers for an organization, and who coordinates: asked wherever the platform
notifies people (matches, consultations, evaluations, notices)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from organizations.models import User


def members_of(organization_ids: Iterable[int]) -> QuerySet[User]:
    """Active members of these organizations, when the organization is active too (the
    people who answer for it and get its notifications), in a stable order."""
    return (
        User.objects.filter(
            is_active=True,
            memberships__organization_id__in=list(organization_ids),
            memberships__organization__is_active=True,
        )
        .distinct()
        .order_by("pk")
    )


def coordinators() -> QuerySet[User]:
    """Every active coordinator."""
    return User.objects.filter(is_active=True, is_coordinator=True).order_by("pk")
