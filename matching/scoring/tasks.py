"""Thin Celery tasks for (re-)scoring: each calls a plain function in
``matching.scoring.services``. Tasks are idempotent: a retried or duplicated message
rewrites the same rows (one per pair)."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from lib.tasks import RETRY
from matching.scoring import services


@shared_task(name="matching.rescore_need", **RETRY)
def rescore_need(need_id: int) -> int:
    return services.rescore_post("need", need_id)


@shared_task(name="matching.rescore_offer", **RETRY)
def rescore_offer(offer_id: int) -> int:
    return services.rescore_post("offer", offer_id)


@shared_task(name="matching.sweep_rescores", ignore_result=True)
def sweep_rescores() -> int:
    return services.sweep_rescores()


@shared_task(name="matching.merge_indexes", ignore_result=True)
def merge_indexes() -> list[str]:
    return services.merge_indexes()


@shared_task(name="matching.plan_full_rescore", **RETRY)
def plan_full_rescore(run_id: int) -> int:
    return services.plan_full_rescore(run_id, send_chunk=rescore_chunk.delay)


@shared_task(name="matching.rescore_chunk", bind=True, **RETRY)
def rescore_chunk(self, run_id: int, need_ids: list[int]) -> int:
    try:
        return services.rescore_chunk(run_id, need_ids)
    except OperationalError:
        raise  # retried by autoretry_for
    except Exception as exc:
        services.fail_run(run_id, exc)
        raise
