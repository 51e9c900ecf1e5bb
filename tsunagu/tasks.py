"""Platform-level tasks."""

from celery import shared_task
from django.db import connection


@shared_task(name="tsunagu.ping")
def ping(token: str) -> dict:
    """Answer with the token and the database the worker sees (health checks and tests)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    from tsunagu.models import WorkerHeartbeat

    WorkerHeartbeat.objects.update_or_create(token=token, defaults={})
    return {"token": token, "database": connection.vendor}
