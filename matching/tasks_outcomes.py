"""Thin daily Celery tasks for response deadlines and continuation follow-ups (scheduled
at 9:00 Asia/Tokyo in ``CELERY_BEAT_SCHEDULE``). Both are idempotent: a retried or
duplicated run finds the rows already stamped and notifies no one twice."""

from __future__ import annotations

from celery import shared_task

from . import outcomes
from .tasks import RETRY


@shared_task(name="matching.send_response_reminders", **RETRY)
def send_response_reminders() -> dict[str, int]:
    run = outcomes.send_response_reminders()
    return {"reminded": run.reminded, "alerted": run.alerted}


@shared_task(name="matching.send_due_follow_ups", **RETRY)
def send_due_follow_ups() -> dict[str, int]:
    run = outcomes.send_due_follow_ups()
    return {"sent": run.sent, "reminded": run.reminded}
