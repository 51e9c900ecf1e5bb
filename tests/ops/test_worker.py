"""A task sent through the real broker is executed by a real worker process."""

from __future__ import annotations

import uuid

import pytest
from conftest import require_redis
from worker import wait_for

from tsunagu.models import WorkerHeartbeat
from tsunagu.tasks import ping


@pytest.mark.worker
def test_task_runs_in_a_worker_process_and_writes_to_the_database(celery_worker):
    token = uuid.uuid4().hex
    ping.delay(token)
    assert wait_for(lambda: WorkerHeartbeat.objects.filter(token=token).exists()), (
        celery_worker.read_log()
    )
    assert "tsunagu.ping" in celery_worker.read_log()


@pytest.mark.worker
@pytest.mark.redis
def test_task_goes_through_real_redis(celery_worker, celery_test_queue):
    url = require_redis()
    import redis

    client = redis.Redis.from_url(url)
    # Stop the worker so the message waits in Redis where we can see it …
    celery_worker.stop()
    token = uuid.uuid4().hex
    ping.delay(token)
    assert client.llen(celery_test_queue["queue"]) >= 1
    # … then a fresh worker process consumes it.
    from worker import WorkerProcess

    again = WorkerProcess(
        celery_test_queue["queue"], celery_test_queue["folder"], celery_worker.log_path.parent
    ).start()
    try:
        assert wait_for(lambda: WorkerHeartbeat.objects.filter(token=token).exists(), 60), (
            again.read_log()
        )
        assert client.llen(celery_test_queue["queue"]) == 0
    finally:
        again.stop()
