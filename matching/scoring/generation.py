"""The generation of each side's index, owned by the database (``IndexGeneration``).

A change that alters what the engine indexes bumps its side's generation in the change's
own transaction (the receivers in ``matching.scoring.signals``); a process keeps its
cached index while the generation it was built at is still the current one. Reading the
generation is one primary-key row, where the previous cache check aggregated over every
post, match, organization and area on each request."""

from __future__ import annotations

from django.db.models import F

from matching.models import IndexGeneration

SIDES = ("need", "offer")


def current(side: str) -> int:
    """The side's generation now (0 before the first change)."""
    value = IndexGeneration.objects.filter(side=side).values_list("generation", flat=True)
    return next(iter(value), 0)


def bump(*sides: str) -> None:
    """One more generation for each of ``sides`` (all when none is named), in the caller's
    transaction: the change and the new generation commit together or not at all."""
    for side in sides or SIDES:
        if not IndexGeneration.objects.filter(side=side).update(generation=F("generation") + 1):
            # The row is made by a migration; a flushed test database may lack it.
            IndexGeneration.objects.bulk_create([IndexGeneration(side=side)], ignore_conflicts=True)
            IndexGeneration.objects.filter(side=side).update(generation=F("generation") + 1)
