"""Thin Celery tasks for what meetings tell people on their own (``meetings.reminders``,
``meetings.announcements``), registered through ``TASK_PACKAGES`` in ``tsunagu/celery.py``
and scheduled in ``CELERY_BEAT_SCHEDULE``: reminders daily at 9:00 Asia/Tokyo, the
post-meeting form and the sweep of lost announcements hourly; ``meetings.announce_meeting``
is sent by ``services.publish``. All are idempotent (dedupe keys, ``wishes_requested_at``):
a retried or duplicated run notifies no one twice."""

from __future__ import annotations

from dataclasses import asdict

from celery import shared_task

from lib.tasks import RETRY
from meetings import announcements, reminders


@shared_task(name="meetings.send_reminders", **RETRY)
def send_reminders() -> dict[str, int]:
    """3 days and 1 day before (calendar days), to registrants and the organizer."""
    return asdict(reminders.send_reminders())


@shared_task(name="meetings.request_wishes", **RETRY)
def request_wishes() -> dict[str, int]:
    """The post-meeting form 「もっと話したい団体」, once per meeting that ended."""
    return asdict(reminders.request_wishes())


@shared_task(name="meetings.announce_meeting", **RETRY)
def announce_meeting(meeting_id: int) -> dict[str, int]:
    """A meeting just published, to the organizations of its fields and areas."""
    return {"notified": announcements.announce_new_meeting(meeting_id)}


@shared_task(name="meetings.announce_new_meetings", **RETRY)
def announce_new_meetings() -> dict[str, int]:
    """Announcements whose message was lost, sent again."""
    return {"notified": announcements.announce_new_meetings()}
