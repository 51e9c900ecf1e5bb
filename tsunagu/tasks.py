"""Platform-level tasks, and the heartbeat a worker writes when it starts."""

import logging

from celery import shared_task
from celery.signals import worker_ready
from django.db import DatabaseError, connection, connections

log = logging.getLogger(__name__)

# The token beat's ``heartbeat`` schedule pings with (settings.CELERY_BEAT_SCHEDULE).
HEARTBEAT = "heartbeat"


@shared_task(name="tsunagu.ping")
def ping(token: str) -> dict:
    """Answer with the token and the database the worker sees (health checks and tests)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    from tsunagu.models import WorkerHeartbeat

    WorkerHeartbeat.objects.update_or_create(token=token, defaults={})
    return {"token": token, "database": connection.vendor}


@worker_ready.connect
def record_start(**_kwargs) -> None:
    """A worker that has just started is alive: say so at once, so /healthz does not
    report "no worker" until beat's first ping (a minute after start)."""
    from tsunagu.models import WorkerHeartbeat

    try:
        WorkerHeartbeat.objects.update_or_create(token=HEARTBEAT, defaults={})
    except DatabaseError as exc:  # the worker still starts; beat's pings will tell
        log.warning("heartbeat on start not recorded: %s", exc)
    finally:
        # The worker's main process: its pool processes fork from it and must not share
        # this connection.
        connections.close_all()
