"""The health check (``/healthz``), the project's one view of its own: the HTML pages live
in ``web/`` and the API views in each app."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone

from tsunagu.models import WorkerHeartbeat


def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers and compose health checks: is the database reachable, and when
    did a worker last answer a ping?"""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = "ok"
    except Exception as exc:
        return JsonResponse({"database": "error", "error": type(exc).__name__}, status=503)
    beat = WorkerHeartbeat.objects.order_by("-seen_at").first()
    age = (timezone.now() - beat.seen_at).total_seconds() if beat else None
    return JsonResponse({"database": database, "worker_last_seen_seconds_ago": age})
