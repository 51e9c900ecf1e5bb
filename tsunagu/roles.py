"""Coordinators' admin rights: the 「コーディネーター」 group, kept in step with the flag.

``User.is_coordinator`` is the one switch a city turns (in the admin, by a platform admin, or
with ``manage.py grant_coordinator``). It gives the app-level rights (review queue, matches,
slots, KPI…, checked by ``can_coordinate``); the group below gives the Django-admin model
permissions that go with them, and ``is_staff`` lets the person into the admin.

Why a signal rather than only a command: the flag is also ticked in the admin's user form,
and whatever path sets it, the group and ``is_staff`` must follow, or a coordinator would be
locked out of the admin (or a former one kept in). The group is derived, never edited by
hand: adding someone to it directly is undone on the next save.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission
from django.db.models import Q, QuerySet

COORDINATOR_GROUP = "コーディネーター"

# (app label, model, actions) coordinators need in the admin. No "delete" on the domain
# data: organizations are retired (is_active), posts archived, so that history stays.
# Users are view-only: who becomes a coordinator or platform admin is the platform admin's
# decision (a coordinator able to change users could make themselves superuser).
COORDINATOR_PERMISSIONS: list[tuple[str, str, tuple[str, ...]]] = [
    ("organizations", "organization", ("add", "change", "view")),
    ("organizations", "membership", ("add", "change", "view", "delete")),
    ("organizations", "area", ("add", "change", "view")),
    ("organizations", "user", ("view",)),
    ("organizations", "field", ("view",)),
    ("organizations", "resourcekind", ("view",)),
    ("proposals", "need", ("add", "change", "view")),
    ("proposals", "offer", ("add", "change", "view")),
    ("proposals", "collaborationform", ("view",)),
    ("proposals", "support", ("view",)),
    # The civic synonym dictionary is the coordinators' to keep (docs/matching.md).
    ("matching", "synonymgroup", ("add", "change", "view", "delete")),
]
# Apps whose every model coordinators may view (suggestions, matches, slots, scoring
# settings…). Changing the scoring weights stays with platform admins. Not included: the
# audit log (auditlog), which records the coordinators' own actions: it is the platform
# admin's and the auditor's. Meetings are viewed only: their registrations change through
# meetings.services (seats, waitlist, notices), never by hand.
COORDINATOR_VIEW_APPS = ("matching", "meetings")


def coordinator_permissions() -> QuerySet[Permission]:
    wanted = Q(pk__in=[])
    for app_label, model, actions in COORDINATOR_PERMISSIONS:
        wanted |= Q(
            content_type__app_label=app_label,
            content_type__model=model,
            codename__in=[f"{action}_{model}" for action in actions],
        )
    for app_label in COORDINATOR_VIEW_APPS:
        wanted |= Q(content_type__app_label=app_label, codename__startswith="view_")
    return Permission.objects.filter(wanted)


def coordinator_group(*, refresh: bool = False) -> Group:
    """The group, created with its permissions when missing (or refreshed on request)."""
    group, created = Group.objects.get_or_create(name=COORDINATOR_GROUP)
    if created or refresh:
        group.permissions.set(coordinator_permissions())
    return group


def sync_coordinator(user: Any) -> None:
    """Put ``user`` in the group and the admin iff ``is_coordinator`` (superusers keep
    ``is_staff``). Idempotent; called on every save of a user."""
    if user.pk is None:
        return
    group = coordinator_group()
    in_group = user.groups.filter(pk=group.pk).exists()
    staff = user.is_staff
    if user.is_coordinator:
        if not in_group:
            user.groups.add(group)
        staff = True
    elif in_group:
        user.groups.remove(group)
        staff = user.is_superuser  # revoked: out of the admin, unless a platform admin
    if staff != user.is_staff:
        # update(), not save(): no second post_save, and the caller's object follows.
        type(user).objects.filter(pk=user.pk).update(is_staff=staff)
        user.is_staff = staff


def grant_coordinator(user: Any, granted: bool = True) -> None:
    """The one way code grants or revokes the role (the signal does the rest)."""
    user.is_coordinator = granted
    user.save()


# --------------------------------------------------------------------------- receivers
def on_user_saved(sender, instance, raw: bool = False, **kwargs: Any) -> None:
    if not raw:  # loaddata: fixtures carry their own groups
        sync_coordinator(instance)


def on_groups_changed(sender, instance, action: str, reverse: bool, pk_set, **kwargs) -> None:
    """Someone edited group memberships (the admin's user form does, after saving the
    user): bring the coordinator group back in line with the flag."""
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    from django.contrib.auth import get_user_model

    if not reverse:
        sync_coordinator(instance)
        return
    if instance.name != COORDINATOR_GROUP:
        return
    users = get_user_model().objects.all()
    users = users.filter(pk__in=pk_set) if pk_set else users.filter(is_coordinator=True)
    for user in users:
        sync_coordinator(user)


def on_post_migrate(sender, **kwargs: Any) -> None:
    """Keep the group's permissions current as models are added. Permissions are created
    app by app on this same signal, so act on the last app's turn, when all exist."""
    from django.apps import apps

    with_models = [config for config in apps.get_app_configs() if config.models_module]
    if sender is with_models[-1]:
        coordinator_group(refresh=True)
