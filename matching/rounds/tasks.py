"""The match round's Celery task: a thin wrapper around ``services.run_round``."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from lib.tasks import RETRY
from matching.rounds import services


@shared_task(name="matching.run_match_round", bind=True, **RETRY)
def run_match_round(self, round_id: int) -> int:
    try:
        return services.run_round(round_id)
    except OperationalError:
        raise  # retried by autoretry_for
    except Exception as exc:
        services.fail_round(round_id, exc)
        raise
