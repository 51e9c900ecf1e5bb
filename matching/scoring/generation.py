"""The generation of each side's index, owned by the database (``IndexChange``).

A change that alters what the engine indexes appends a row for its side in the change's
own transaction (the receivers in ``matching.scoring.signals``); a process keeps its
cached index while the side's latest row is still the one it was built at. Reading the
generation is one index lookup, where the previous cache check aggregated over every
post, match, organization and area on each request."""

from __future__ import annotations

import datetime as dt

from django.db.models import Max
from django.utils import timezone

from matching.models import IndexChange

SIDES = ("need", "offer")
# Rows kept after they stop being the latest (a process may still compare against them).
KEEP = dt.timedelta(days=1)


def _latest(side: str) -> tuple[int, str] | None:
    row = IndexChange.objects.filter(side=side).order_by("-id").values_list("id", "stamp").first()
    return (row[0], str(row[1])) if row else None


def current(side: str) -> str:
    """The side's generation now ("" before the first change): its latest change's id and
    random stamp, so a rolled-back change never names a later state."""
    latest = _latest(side)
    return f"{latest[0]}-{latest[1]}" if latest else ""


def counter(side: str) -> int:
    """The id of the side's latest change (for people and metrics)."""
    latest = _latest(side)
    return latest[0] if latest else 0


def bump(*sides: str) -> None:
    """A new generation for each of ``sides`` (all when none is named), in the caller's
    transaction: the change and the new generation commit together or not at all."""
    IndexChange.objects.bulk_create([IndexChange(side=side) for side in sides or SIDES])


def prune(now: dt.datetime | None = None) -> int:
    """Remove changes older than ``KEEP`` that are no longer a side's latest."""
    cutoff = (now or timezone.now()) - KEEP
    removed = 0
    for side in SIDES:
        latest = IndexChange.objects.filter(side=side).aggregate(id=Max("id"))["id"]
        if latest is not None:
            removed += IndexChange.objects.filter(
                side=side, id__lt=latest, created_at__lt=cutoff
            ).delete()[0]
    return removed
