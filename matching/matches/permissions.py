"""Who may see and do what with matches. One place, asked by the API, the admin and tasks."""

from __future__ import annotations

from matching.models import Match
from organizations.permissions import is_coordinator


def party_organization_ids(match: Match) -> set[int]:
    return set(match.parties.values_list("organization_id", flat=True))


def is_party_member(user, match: Match) -> bool:
    """Is the user a member of one of the match's organizations?"""
    if not (user and user.is_authenticated and user.is_active):
        return False
    return bool(user.organization_ids() & party_organization_ids(match))


def can_view_match(user, match: Match) -> bool:
    return is_coordinator(user) or is_party_member(user, match)


def can_see_party_contacts(user, match: Match) -> bool:
    """Contact details of the other parties: coordinators always; parties from
    ``introduced`` on."""
    if is_coordinator(user):
        return True
    return match.contacts_revealed and is_party_member(user, match)
