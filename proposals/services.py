"""Plain functions that change needs and offers; views, admin and commands call these."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from proposals.models import Need, Offer

M2M_FIELDS = ("fields", "areas", "forms", "resources", "poster_supports")


@transaction.atomic
def save_post(post: Need | Offer, data: dict[str, Any]) -> Need | Offer:
    """Create or update a need or offer with its many-to-many fields, atomically.

    ``transaction.on_commit`` hooks registered by the matching app re-score the post once
    the change is committed.
    """
    relations = {name: data.pop(name) for name in M2M_FIELDS if name in data}
    for name, value in data.items():
        setattr(post, name, value)
    post.full_clean(exclude=[*relations, "author"], validate_unique=False)
    post.save()
    for name, value in relations.items():
        getattr(post, name).set(value)
    return post
