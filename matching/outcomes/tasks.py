"""The thin daily Celery task for continuation follow-ups (scheduled at 9:00 Asia/Tokyo in
``CELERY_BEAT_SCHEDULE``). Idempotent: a retried or duplicated run finds the rows already
stamped and notifies no one twice."""

from __future__ import annotations

from celery import shared_task

from lib.tasks import RETRY
from matching.outcomes import follow_ups


@shared_task(name="matching.send_due_follow_ups", **RETRY)
def send_due_follow_ups() -> dict[str, int]:
    run = follow_ups.send_due_follow_ups()
    return {"sent": run.sent, "reminded": run.reminded}
