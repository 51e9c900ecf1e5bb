"""Who may do what with organizations and their posts.

Kept in one place so that the API, the admin and the web pages ask the same question.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import permissions


def is_coordinator(user) -> bool:
    """A signed-in coordinator or platform admin (``User.can_coordinate``): the one test
    behind every coordinator-only page, API call and service."""
    return bool(user and user.is_authenticated and user.can_coordinate)


class IsCoordinator(permissions.BasePermission):
    """REST framework's side of ``is_coordinator``."""

    message = _("コーディネーターだけが実行できます。")

    def has_permission(self, request, view) -> bool:
        return is_coordinator(request.user)


def can_edit_organization(user, organization) -> bool:
    if not (user and user.is_authenticated and user.is_active):
        return False
    if user.can_coordinate:
        return True
    return organization.memberships.filter(user=user, role="admin").exists()


def can_see_private_details(user, organization) -> bool:
    """Members of the organization and coordinators see contact details.

    Parties to a match see each other's from ``introduced`` on; that rule lives in matching.
    """
    if not (user and user.is_authenticated and user.is_active):
        return False
    return user.can_coordinate or user.is_member_of(organization.pk)


def can_post_for(user, organization) -> bool:
    if not (user and user.is_authenticated and user.is_active):
        return False
    return user.can_coordinate or user.is_member_of(organization.pk)


class IsOrganizationEditor(permissions.BasePermission):
    message = _("この団体を編集する権限がありません。")

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        return can_edit_organization(request.user, obj)


class IsPostEditor(permissions.BasePermission):
    """Members of the owning organization and coordinators may change a post."""

    message = _("この投稿を変更する権限がありません。")

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        return can_post_for(request.user, obj.organization)
