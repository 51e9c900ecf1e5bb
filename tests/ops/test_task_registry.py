"""Celery tasks are found through the explicit list in tsunagu/celery.py and sent by name
(lib.tasks.task): a task renamed or left out of the list would fail only at run time, so
check every name the code and the beat schedule use."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import PRODUCTION_PACKAGES as PACKAGES
from django.conf import settings

from tsunagu.celery import app

ROOT = Path(__file__).resolve().parents[2]


def test_every_scheduled_task_is_registered():
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert scheduled, "the beat schedule is empty"
    assert not sorted(scheduled - set(app.tasks))


def test_every_task_sent_by_name_is_registered():
    sent = {
        name
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        for name in re.findall(r'\btask\(\s*"([\w.]+)"', path.read_text(encoding="utf-8"))
    }
    assert {"matching.rescore_need", "notifications.deliver"} <= sent
    assert not sorted(sent - set(app.tasks))
