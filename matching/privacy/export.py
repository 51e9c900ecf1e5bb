"""An organization's personal data across the apps, exported as JSON (個人情報保護法:
開示の請求), and who may export it (the organization's admins, and coordinators).

Lives in ``matching`` because it spans organizations, proposals, matching and
notifications (imports point ``organizations ← proposals ← matching``). Erasure is in
``matching.privacy.erasure``; the choices are in docs/security.md, 「個人情報 / Personal
data」.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone

from matching.models import (
    ConsultationBooking,
    ContinuationFollowUp,
    Evaluation,
    InterestRequest,
    Match,
    Suggestion,
)
from notifications.models import Notification
from organizations.models import DeletionRequest, Membership, Organization
from organizations.privacy import CONTACT_FIELDS, log_personal_data_access
from proposals.models import Need, Offer

EXPORT_FORMAT = "tsunagu-organization-export/1"


# --------------------------------------------------------------------------- who may
def is_organization_admin(user, organization: Organization) -> bool:
    if not (user and user.is_authenticated and user.is_active):
        return False
    return Membership.objects.filter(
        user=user, organization=organization, role=Membership.Role.ADMIN
    ).exists()


def can_export(user, organization: Organization) -> bool:
    """The organization's admins, and coordinators (their exports are access-logged)."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    return user.can_coordinate or is_organization_admin(user, organization)


# --------------------------------------------------------------------------- export
def _row(obj: models.Model, exclude: Iterable[str] = ()) -> dict[str, Any]:
    """Every stored field of ``obj`` (foreign keys as ids, many-to-many as codes)."""
    skip = set(exclude)
    out: dict[str, Any] = {}
    for f in obj._meta.concrete_fields:
        if f.name in skip:
            continue
        out[f.attname if f.is_relation else f.name] = f.value_from_object(obj)
    for m2m in obj._meta.many_to_many:
        if m2m.name in skip:
            continue
        out[m2m.name] = sorted(str(getattr(x, "code", x.pk)) for x in getattr(obj, m2m.name).all())
    return out


def _post_rows(model, organization: Organization) -> list[dict[str, Any]]:
    qs = model.objects.filter(organization=organization).order_by("pk")
    return [_row(p, exclude=["search_text"]) for p in qs]


def _match_row(match: Match, organization: Organization, member_ids: set[int]) -> dict:
    row = _row(match)
    parties = []
    for p in match.parties.select_related("organization"):
        party = _row(p, exclude=["reminded_at", "coordinator_alerted_at"])
        party["organization_name"] = p.organization.name
        # The same rule as the match page: partners' contacts from introduced on.
        if p.organization_id == organization.pk or match.contacts_revealed:
            party["contact"] = {n: getattr(p.organization, n) for n in CONTACT_FIELDS}
        parties.append(party)
    row["parties"] = parties
    # Other people's names are theirs: the actor is named only when one of ours.
    row["transitions"] = [
        {**_row(t, exclude=["actor"]), "actor": str(t.actor) if t.actor_id in member_ids else None}
        for t in match.transitions.select_related("actor")
    ]
    row["consultations"] = [
        {
            **_row(b, exclude=["booked_by", "minutes_recorded_by", "uid", "sequence"]),
            "starts_at": b.slot.starts_at,
            "ends_at": b.slot.ends_at,
            "place": b.slot.place,
            "online_url": b.slot.online_url,
        }
        for b in ConsultationBooking.objects.filter(match=match).select_related("slot")
    ]
    row["evaluations"] = [
        _row(e) for e in Evaluation.objects.filter(match=match, organization=organization)
    ]
    row["follow_ups"] = [
        _row(f, exclude=["sent_at", "reminded_at"])
        for f in ContinuationFollowUp.objects.filter(match=match, organization=organization)
    ]
    return row


def export_organization(organization: Organization, user=None, request=None) -> dict[str, Any]:
    """All of an organization's data, as one JSON-ready dict (開示の請求に応える形)."""
    if user is not None and not can_export(user, organization):
        raise PermissionDenied
    if user is not None:
        log_personal_data_access(
            user, [organization], via="export", request=request, record="export"
        )
    memberships = Membership.objects.filter(organization=organization).select_related("user")
    member_ids = {m.user_id for m in memberships}
    members = [
        {
            **_row(
                m.user,
                exclude=[
                    "password",
                    "groups",
                    "user_permissions",
                    "is_superuser",
                    "is_staff",
                    "is_coordinator",
                ],
            ),
            "role": m.role,
            "member_since": m.created_at,
        }
        for m in memberships
    ]
    post_filter = Q(need__organization=organization) | Q(offer__organization=organization)
    matches = (
        Match.objects.filter(parties__organization=organization)
        .distinct()
        .order_by("pk")
        .prefetch_related("transitions")
    )
    data = {
        "format": EXPORT_FORMAT,
        "exported_at": timezone.now(),
        "organization": _row(organization, exclude=["search_text"]),
        "members": members,
        "needs": _post_rows(Need, organization),
        "offers": _post_rows(Offer, organization),
        "suggestions": [
            _row(s) for s in Suggestion.objects.filter(post_filter).order_by("need_id", "pk")
        ],
        "interest_requests": [
            _row(r, exclude=["handled_by"])
            for r in InterestRequest.objects.filter(organization=organization).order_by("pk")
        ],
        "matches": [_match_row(m, organization, member_ids) for m in matches],
        "notifications": [
            {**_row(n, exclude=["dedupe_key", "digest"]), "recipient": n.recipient.username}
            for n in Notification.objects.filter(recipient_id__in=member_ids)
            .select_related("recipient")
            .order_by("pk")
        ],
        "deletion_requests": [
            _row(d, exclude=["handled_by"])
            for d in DeletionRequest.objects.filter(organization=organization).order_by("pk")
        ],
    }
    return data


def export_json(organization: Organization, user=None, request=None) -> str:
    data = export_organization(organization, user=user, request=request)
    return json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
