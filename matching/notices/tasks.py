"""Thin Celery tasks for the notifications matching sends on its own (scheduled in
``CELERY_BEAT_SCHEDULE``): new suggestions hourly, posts about to end and daily digests at
8:00 Asia/Tokyo, weekly digests on Mondays at 8:00, overdue deadlines to the coordinators
daily at 9:10. All are idempotent (dedupe keys and the
announced partners kept per post): a retried or duplicated run notifies no one twice."""

from __future__ import annotations

from dataclasses import asdict

from celery import shared_task

from lib.tasks import RETRY
from matching.matches import deadlines
from matching.notices import services as notices


@shared_task(name="matching.notify_new_suggestions", **RETRY)
def notify_new_suggestions() -> dict[str, int]:
    return asdict(notices.notify_new_suggestions())


@shared_task(name="matching.notify_expiring_posts", **RETRY)
def notify_expiring_posts() -> dict[str, int]:
    return asdict(notices.notify_expiring_posts())


@shared_task(name="matching.build_digests", **RETRY)
def build_digests(period: str = "daily") -> dict[str, object]:
    run = notices.build_digests(period)
    return {
        "period": run.period,
        "from": run.start.isoformat(),
        "until": run.end.isoformat(),
        "posts": run.posts,
        "recipients": run.recipients,
        "notified": run.notified,
    }


@shared_task(name="matching.escalate_deadlines", **RETRY)
def escalate_deadlines() -> dict[str, int]:
    """Overdue minutes and follow-ups, told to the match's coordinator once per item."""
    return {"notified": deadlines.escalate()}
