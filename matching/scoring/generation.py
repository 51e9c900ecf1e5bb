"""The generation of each side's index, owned by the database (``IndexChange``).

A change that alters what the engine indexes appends a row for its side in the change's
own transaction (the receivers in ``matching.scoring.signals``): one per post changed, or
one for the whole side (an area tree). A process keeps its cached index while the side's
latest row is still the one it saw; otherwise it reads the rows after it (one index range
scan) and puts the posts they name into its delta (``matching.scoring.indexes``). Reading
the generation is one index lookup, where the first cache check aggregated over every post,
match, organization and area on each request."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Count, Max
from django.utils import timezone

from matching.models import IndexChange

SIDES = ("need", "offer")
# Rows kept after they stop being the latest (a process may still compare against them).
KEEP = dt.timedelta(days=1)


def latest(side: str) -> tuple[int, str] | None:
    """The side's latest change (id, stamp), None before the first."""
    return _latest(side)


# A transaction gets its change's id (and time) when it writes it, but commits later; a
# change is looked for this long before a main segment's build began, so one that commits
# after the build read the posts still reaches the delta (transactions are much shorter).
MARGIN = dt.timedelta(seconds=60)


def since(side: str, moment: dt.datetime, after: int = 0) -> tuple[tuple[int, int], set[int], bool]:
    """The changes of ``side`` written from ``moment - MARGIN`` on: their key (how many,
    the newest id: it moves with each new change, even one that commits late), the posts
    they changed and whether one of them after change ``after`` changed the whole side."""
    rows = IndexChange.objects.filter(side=side, created_at__gte=moment - MARGIN).values_list(
        "id", "post_id"
    )
    posts: set[int] = set()
    whole = False
    count = newest = 0
    for change_id, post_id in rows:
        count += 1
        newest = max(newest, change_id)
        if post_id is None:
            whole = whole or change_id > after
        else:
            posts.add(post_id)
    return (count, newest), posts, whole


def key_since(side: str, moment: dt.datetime) -> tuple[int, int]:
    """``since``'s key alone, in one aggregate over the index (what a ranking checks)."""
    row = IndexChange.objects.filter(side=side, created_at__gte=moment - MARGIN).aggregate(
        n=Count("id"), newest=Max("id")
    )
    return (row["n"], row["newest"] or 0)


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
    """A new generation for each of ``sides`` (all when none is named) that changes the
    whole side (processes rebuild it), in the caller's transaction: the change and the new
    generation commit together or not at all."""
    IndexChange.objects.bulk_create([IndexChange(side=side) for side in sides or SIDES])


def bump_posts(side: str, post_ids: Iterable[int]) -> None:
    """A new generation of ``side`` that changes these posts only (processes add them to
    their delta), in the caller's transaction."""
    rows = [IndexChange(side=side, post_id=pk) for pk in sorted(set(post_ids))]
    if rows:
        IndexChange.objects.bulk_create(rows)


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
