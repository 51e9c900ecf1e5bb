"""The generation of each side's index, owned by the database (``IndexGeneration``).

A change that alters what the engine indexes bumps its side's generation in the change's
own transaction (the receivers in ``matching.scoring.signals``); a process keeps its
cached index while the generation it was built at is still the current one. Reading the
generation is one primary-key row, where the previous cache check aggregated over every
post, match, organization and area on each request."""

from __future__ import annotations

import uuid

from django.db.models import F

from matching.models import IndexGeneration

SIDES = ("need", "offer")


def current(side: str) -> str:
    """The side's generation now, as its stamp ("" before the first change). Stamps are
    random and new at every bump, so a rolled-back bump never names another state."""
    value = IndexGeneration.objects.filter(side=side).values_list("stamp", flat=True)
    return next((str(v) for v in value), "")


def counter(side: str) -> int:
    """How many generations the side has had (for people and metrics)."""
    value = IndexGeneration.objects.filter(side=side).values_list("generation", flat=True)
    return next(iter(value), 0)


def bump(*sides: str) -> None:
    """One more generation for each of ``sides`` (all when none is named), in the caller's
    transaction: the change and the new generation commit together or not at all."""
    for side in sides or SIDES:
        rows = IndexGeneration.objects.filter(side=side)
        if not rows.update(generation=F("generation") + 1, stamp=uuid.uuid4()):
            # The row is made by a migration; a flushed test database may lack it.
            IndexGeneration.objects.bulk_create([IndexGeneration(side=side)], ignore_conflicts=True)
            rows.update(generation=F("generation") + 1, stamp=uuid.uuid4())
