"""The health check (``/healthz``), the project's one view of its own: the HTML pages live
in ``web/`` and the API views in each app."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone

from tsunagu.models import WorkerHeartbeat

# A worker answers beat's ping every minute (and writes a heartbeat as soon as it starts,
# tsunagu.tasks.record_start): older than this, beat or every worker is down.
WORKER_LATE_SECONDS = 180.0
# When this web process started: until WORKER_LATE_SECONDS after, a worker that has not
# answered yet is "starting" (started beside the web server by `up` or compose), not late.
STARTED_AT = timezone.now()


def worker_state(age: float | None, now=None) -> str:
    """ "ok", "starting" or "late" for a heartbeat ``age`` seconds old (None: never)."""
    if age is not None and age <= WORKER_LATE_SECONDS:
        return "ok"
    since_start = ((now or timezone.now()) - STARTED_AT).total_seconds()
    return "starting" if since_start <= WORKER_LATE_SECONDS else "late"


def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers and compose health checks: is the database reachable, and when
    did a worker last answer a ping? A late worker is reported, not a 503: the web pages
    work without it (the work waits in the database)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = "ok"
    except Exception as exc:
        return JsonResponse({"database": "error", "error": type(exc).__name__}, status=503)
    now = timezone.now()
    beat = WorkerHeartbeat.objects.order_by("-seen_at").first()
    age = (now - beat.seen_at).total_seconds() if beat else None
    return JsonResponse(
        {
            "database": database,
            "worker": worker_state(age, now),
            "worker_last_seen_seconds_ago": age,
        }
    )
