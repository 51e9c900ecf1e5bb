"""The thin daily Celery task for response-deadline reminders (scheduled at 9:00
Asia/Tokyo in ``CELERY_BEAT_SCHEDULE``). Idempotent: a retried or duplicated run finds the
rows already stamped and notifies no one twice."""

from __future__ import annotations

from celery import shared_task

from lib.tasks import RETRY
from matching.matches import reminders as match_reminders


@shared_task(name="matching.send_response_reminders", **RETRY)
def send_response_reminders() -> dict[str, int]:
    run = match_reminders.send_response_reminders()
    return {"reminded": run.reminded, "alerted": run.alerted}
