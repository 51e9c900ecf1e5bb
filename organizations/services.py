"""Who answers for an organization, and who coordinates: asked wherever the platform
notifies people (matches, consultations, evaluations, notices). And the one rule about an
organization's kind (種別): only coordinators set or change it.

The kind is a grant: members of a ``city_department`` are department staff and may publish
行政提案 in the city's name. So a non-coordinator may choose a kind only when registering a
new organization, and never one of ``COORDINATOR_ONLY_KINDS``; changing the kind of an
existing organization is a coordinator's act. Every path asks :func:`check_kind` (the API's
serializer, the admin's form, the sign-up form); importers and loaders run without an actor.
A saved change of kind, whoever made it, sends :data:`organization_kind_changed` inside the
saving transaction: ``proposals`` re-checks the organization's published posts on it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.db.models.signals import post_save, pre_save
from django.dispatch import Signal, receiver
from django.utils.translation import gettext_lazy as _

from lib.errors import Forbidden
from organizations.models import Organization, User
from organizations.permissions import is_coordinator

# Kinds that carry powers (department staff, 行政提案): set by coordinators only.
COORDINATOR_ONLY_KINDS: frozenset[str] = frozenset({Organization.Kind.CITY_DEPARTMENT})

# Sent (inside the transaction that saved it) when an organization's stored kind changed:
# ``organization``, ``old_kind``, ``new_kind``. Receivers that fail roll the change back.
organization_kind_changed = Signal()


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


# --- The kind of an organization ------------------------------------------------------
def self_service_kinds() -> list[tuple[str, str]]:
    """The kinds anyone may choose when registering an organization (the sign-up form's
    choices): every kind but the coordinators' own."""
    return [
        (value, label)
        for value, label in Organization.Kind.choices
        if value not in COORDINATOR_ONLY_KINDS
    ]


def check_kind(organization: Organization | None, kind: str | None, *, actor: Any) -> None:
    """May ``actor`` give ``organization`` (None or unsaved: a new one) this ``kind``?

    Coordinators and platform admins may set any kind, and so may the system (``actor``
    None: importers, loaders). Anyone else may pick a kind for a new organization, except
    a coordinator-only kind, and may not change the kind of an existing one. Raises
    ``Forbidden`` with ``field="kind"`` (the API answers it as a 400 on ``kind``)."""
    if actor is None or kind is None or is_coordinator(actor):
        return
    stored = None
    if organization is not None and organization.pk is not None:
        stored = (
            Organization.objects.filter(pk=organization.pk).values_list("kind", flat=True).first()
        )
    if stored is None:
        if kind in COORDINATOR_ONLY_KINDS:
            raise Forbidden(
                _("「%(kind)s」の団体を登録できるのはコーディネーターだけです。")
                % {"kind": Organization.Kind(kind).label},
                field="kind",
            )
    elif kind != stored:
        raise Forbidden(_("団体の種別を変更できるのはコーディネーターだけです。"), field="kind")


@receiver(pre_save, sender=Organization, dispatch_uid="organizations.kind_before_save")
def _remember_stored_kind(sender, instance: Organization, raw: bool = False, **kwargs) -> None:
    # The stored kind, read just before the write, so that every path that saves an
    # organization (API, admin, importers, loaders) is seen changing it.
    instance._kind_before_save = (
        None
        if raw or instance.pk is None
        else Organization.objects.filter(pk=instance.pk).values_list("kind", flat=True).first()
    )


@receiver(post_save, sender=Organization, dispatch_uid="organizations.kind_after_save")
def _announce_kind_change(
    sender, instance: Organization, created: bool, raw: bool = False, **kwargs
) -> None:
    old = getattr(instance, "_kind_before_save", None)
    instance._kind_before_save = None
    if raw or created or old is None or old == instance.kind:
        return
    # Receivers write (close posts, notify): keep them and the save in one transaction.
    with transaction.atomic():
        organization_kind_changed.send(
            sender=Organization, organization=instance, old_kind=old, new_kind=instance.kind
        )
