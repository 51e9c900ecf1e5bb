"""``/healthz`` right after a start: a worker is reported as soon as it runs, not a minute
later at beat's first ping, and a worker not seen yet is "starting", not missing."""

from __future__ import annotations

import datetime as dt

import pytest
from worker import WorkerProcess, wait_for

from tsunagu import views
from tsunagu.models import WorkerHeartbeat


def _health(client) -> dict:
    response = client.get("/healthz")
    assert response.status_code == 200
    return response.json()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_started_worker_is_reported_before_any_ping(client, celery_test_queue, tmp_path):
    # No beat here and nothing sent to the worker: only its start can tell /healthz.
    worker = WorkerProcess(celery_test_queue["queue"], celery_test_queue["folder"], tmp_path)
    worker.start()
    try:
        assert wait_for(lambda: _health(client)["worker"] == "ok", timeout=90), worker.read_log()
    finally:
        worker.stop()
    health = _health(client)
    assert health["database"] == "ok"
    assert 0 <= health["worker_last_seen_seconds_ago"] < views.WORKER_LATE_SECONDS
    assert WorkerHeartbeat.objects.filter(token="heartbeat").exists()


@pytest.mark.django_db
def test_a_worker_not_seen_yet_is_starting_then_late(client, monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(views, "STARTED_AT", timezone.now())
    health = _health(client)
    assert health["worker"] == "starting" and health["worker_last_seen_seconds_ago"] is None

    # The web server has run for long and no worker answered: late (alert on it).
    monkeypatch.setattr(views, "STARTED_AT", timezone.now() - dt.timedelta(minutes=10))
    assert _health(client)["worker"] == "late"
    beat = WorkerHeartbeat.objects.create(token="heartbeat")
    assert _health(client)["worker"] == "ok"
    WorkerHeartbeat.objects.filter(pk=beat.pk).update(
        seen_at=timezone.now() - dt.timedelta(minutes=5)
    )
    health = _health(client)
    assert health["worker"] == "late" and health["worker_last_seen_seconds_ago"] >= 300
