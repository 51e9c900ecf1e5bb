"""Plain functions for the matching workflow: full re-scores and what follows a change to
a post. Views, tasks and commands call these."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from proposals.models import Need, Status

from . import adapter
from .models import RescoreRun


def start_full_rescore(user=None, chunk_size: int = 100) -> RescoreRun:
    """Create a run and plan it once the request's transaction commits."""
    from .tasks import plan_full_rescore

    run = RescoreRun.objects.create(requested_by=user, chunk_size=chunk_size)
    transaction.on_commit(lambda: plan_full_rescore.delay(run.pk))
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
    from .tasks import rescore_need, rescore_offer

    if status != Status.OPEN:
        if kind == "need":
            adapter.remove_suggestions(need_id=post_id)
        else:
            adapter.remove_suggestions(offer_id=post_id)
        return
    task = rescore_need if kind == "need" else rescore_offer
    transaction.on_commit(lambda: task.delay(post_id))
