"""Consultation reminders, sent by Celery beat every five minutes.

Celery registers the task through ``TASK_PACKAGES`` in ``tsunagu/celery.py``.
"""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from matching.consultations import reminders as consultation_reminders


@shared_task(
    name="matching.send_consultation_reminders",
    autoretry_for=(OperationalError,),
    retry_backoff=2,
    retry_backoff_max=60,
    max_retries=5,
)
def send_consultation_reminders() -> dict[str, int]:
    """Idempotent: a reminder already sent is never sent again (flags and dedupe keys)."""
    return consultation_reminders.send_due_reminders(timezone.now())
