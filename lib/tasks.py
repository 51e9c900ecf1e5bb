"""Celery helpers shared by the apps' task modules and services.

Services send tasks **by name** (``task("matching.rescore_need")``) rather than importing
their own ``tasks`` module, which imports them back: the task modules are found by the
Celery app's explicit list (``tsunagu/celery.py``), never through a service."""

from __future__ import annotations

from typing import Any

from celery import current_app
from django.db import OperationalError

# Retried when the database hiccups (deadlock, lock timeout, restart); everything else is
# a bug and fails loudly.
RETRY: dict[str, Any] = {
    "autoretry_for": (OperationalError,),
    "retry_backoff": 2,
    "retry_backoff_max": 60,
    "max_retries": 5,
}


def task(name: str) -> Any:
    """The registered task called ``name`` (every Django process registers them at start,
    see ``TsunaguConfig.ready``); a ``KeyError`` means it is not in the Celery app's list."""
    return current_app.tasks[name]
