"""Plain functions for (re-)scoring: full re-scores and what follows a change to a post
(the ``PendingRescore`` outbox and its sweeper). Views, tasks and the signal receivers
(``matching.scoring.signals``) call these."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from lib.tasks import task
from matching.models import PendingRescore, RescoreRun
from matching.scoring import adapter, generation, indexes
from proposals.models import Need, Offer, Status

log = logging.getLogger(__name__)

# Publishing from a web request: one quick retry, then give up (logged), so a broker
# outage never holds the request; the work is recorded in the database (PendingRescore,
# a pending RescoreRun) and the sweeper sends it once the broker is back.
PUBLISH_RETRY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
SWEEP_BATCH = 5000


def send_task(task: Any, *args: Any) -> bool:
    """Publish ``task(*args)``; False (logged, not raised) when the broker is down."""
    try:
        task.apply_async(args, retry=True, retry_policy=PUBLISH_RETRY)
    except Exception as exc:
        log.warning("matching: could not enqueue %s%r (%s); the sweeper will", task.name, args, exc)
        return False
    return True


def start_full_rescore(user=None, chunk_size: int = 100) -> RescoreRun:
    """Create a run and plan it once the request's transaction commits."""
    run = RescoreRun.objects.create(requested_by=user, chunk_size=chunk_size)
    transaction.on_commit(lambda: send_task(task("matching.plan_full_rescore"), run.pk))
    return run


def plan_full_rescore(run_id: int, send_chunk: Callable[[int, list[int]], object]) -> int:
    """Split the open needs into chunks and send one task per chunk; any worker (on any
    machine sharing the broker) may take each."""
    run = RescoreRun.objects.get(pk=run_id)
    if run.status != RescoreRun.Status.PENDING:
        return 0  # a duplicated planning message: the run is already planned
    need_ids = list(
        Need.objects.filter(status=Status.OPEN, organization__is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    chunks = [need_ids[i : i + run.chunk_size] for i in range(0, len(need_ids), run.chunk_size)]
    now = timezone.now()
    updated = RescoreRun.objects.filter(pk=run_id, status=RescoreRun.Status.PENDING).update(
        status=RescoreRun.Status.DONE if not chunks else RescoreRun.Status.RUNNING,
        total_chunks=len(chunks),
        needs_total=len(need_ids),
        started_at=now,
        finished_at=now if not chunks else None,
    )
    if not updated:
        return 0
    for chunk in chunks:
        send_chunk(run_id, chunk)
    return len(chunks)


def rescore_chunk(run_id: int, need_ids: list[int]) -> int:
    written = adapter.rank_needs_chunk(need_ids)
    with transaction.atomic():
        RescoreRun.objects.filter(pk=run_id).update(
            done_chunks=F("done_chunks") + 1,
            suggestions_written=F("suggestions_written") + written,
        )
        # The chunk that completes the run closes it; a redelivered chunk (acks_late) may
        # count twice, so "done" is reached at or above the total.
        RescoreRun.objects.filter(
            pk=run_id, status=RescoreRun.Status.RUNNING, done_chunks__gte=F("total_chunks")
        ).update(status=RescoreRun.Status.DONE, finished_at=timezone.now())
    return written


def fail_run(run_id: int, exc: BaseException) -> None:
    RescoreRun.objects.filter(pk=run_id).exclude(status=RescoreRun.Status.DONE).update(
        status=RescoreRun.Status.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000]
    )


def post_changed(kind: str, post_id: int, status: str) -> None:
    """Called (via signals) when a need or offer is saved: closing a post removes its
    suggestions at once; an open post is re-scored by a worker after commit."""
    if status != Status.OPEN:
        PendingRescore.objects.filter(kind=kind, post_id=post_id).delete()
        if kind == "need":
            adapter.remove_suggestions(need_id=post_id)
        else:
            adapter.remove_suggestions(offer_id=post_id)
        return
    request_rescore(kind, post_id)


def _rescore_task(kind: str) -> Any:
    return task("matching.rescore_need" if kind == "need" else "matching.rescore_offer")


def request_rescore(kind: str, post_id: int) -> None:
    """Record that the post needs scoring (in the caller's transaction) and send the task
    once it commits. A new token each time: a task already scoring an older version
    leaves the row for the task sent now."""
    PendingRescore.objects.bulk_create(
        [
            PendingRescore(
                kind=kind, post_id=post_id, token=uuid.uuid4(), requested_at=timezone.now()
            )
        ],
        update_conflicts=True,
        unique_fields=["kind", "post_id"],
        update_fields=["token", "requested_at"],
    )
    task = _rescore_task(kind)
    transaction.on_commit(lambda: send_task(task, post_id))


def rescore_post(kind: str, post_id: int) -> int:
    """The task's work: score the post, then clear its outbox row unless the post was
    requested again meanwhile. Idempotent: a redelivered message rewrites the same rows
    (one per pair) and finds no row to clear."""
    token = (
        PendingRescore.objects.filter(kind=kind, post_id=post_id)
        .values_list("token", flat=True)
        .first()
    )
    if kind == "need":
        written = adapter.rescore_need(post_id)
    else:
        written = adapter.rescore_offer(post_id)
    if token is not None:
        PendingRescore.objects.filter(kind=kind, post_id=post_id, token=token).delete()
    return written


def sweep_after_seconds() -> float:
    return float(getattr(settings, "MATCHING_RESCORE_SWEEP_AFTER_SECONDS", 120.0))


def merge_indexes(force: bool = False) -> list[str]:
    """Fold the posts changed since each side's main segment into a new one on this host
    when they have grown or aged (``matching.scoring.indexes.merge``). Run by beat every
    minute; returns the sides merged."""
    lexicon = adapter.current_lexicon()
    return [
        side
        for side, model in (("need", Need), ("offer", Offer))
        if indexes.merge(model, lexicon, force=force)
    ]


def sweep_rescores(older_than: float | None = None) -> int:
    """Send again the scoring nobody has done ``older_than`` seconds after it was asked
    for (broker down, message lost), and plan full re-scores still pending. Run by beat
    every minute; returns how many tasks were sent. Also prunes the indexes' old change
    rows (``generation.prune``)."""
    now = timezone.now()
    generation.prune(now)
    cutoff = now - dt.timedelta(seconds=sweep_after_seconds() if older_than is None else older_than)
    stale = list(
        PendingRescore.objects.filter(requested_at__lte=cutoff)
        .order_by("requested_at")
        .values_list("pk", "kind", "post_id")[:SWEEP_BATCH]
    )
    sent: list[int] = []
    for pk, kind, post_id in stale:
        if not send_task(_rescore_task(kind), post_id):
            break  # still down: the next sweep tries again
        sent.append(pk)
    # Not the token: a task already running still clears the row. The next sweep waits
    # again, so a long queue does not fill up with copies.
    PendingRescore.objects.filter(pk__in=sent).update(requested_at=now)
    runs = RescoreRun.objects.filter(status=RescoreRun.Status.PENDING, created_at__lte=cutoff)
    plan = task("matching.plan_full_rescore")
    planned = sum(send_task(plan, pk) for pk in runs.values_list("pk", flat=True))
    return len(sent) + planned
