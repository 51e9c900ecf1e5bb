"""A task sent through the real broker is executed by a real worker process."""

from __future__ import annotations

import uuid

import pytest
import redis
from servers import RedisServer, celery_broker
from worker import WorkerProcess, wait_for

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


class RedisWorker(WorkerProcess):
    """A worker on a given Redis broker (not the session's)."""

    def __init__(self, queue: str, log_dir, broker_url: str) -> None:
        super().__init__(queue, None, log_dir)
        self.broker_url = broker_url

    def env(self) -> dict[str, str]:
        env = super().env()
        env["CELERY_BROKER_URL"] = self.broker_url
        return env


@pytest.mark.worker
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_task_goes_through_real_redis(celery_test_queue, tmp_path):
    # A redis-server of the test's own, so that the test runs whatever broker the session
    # uses (the embedded one on a fresh clone); skipped only without redis-server.
    server = RedisServer(tmp_path)
    server.start()
    queue = celery_test_queue["queue"]
    try:
        with celery_broker(server.url()):
            client = redis.Redis.from_url(server.url())
            # No worker yet: the message waits in Redis where we can see it …
            token = uuid.uuid4().hex
            ping.delay(token)
            assert client.llen(queue) >= 1
            # … then a worker process consumes it.
            worker = RedisWorker(queue, tmp_path, server.url()).start()
            try:
                answered = WorkerHeartbeat.objects.filter(token=token).exists
                assert wait_for(answered, 60), worker.read_log()
                assert client.llen(queue) == 0
            finally:
                worker.stop()
    finally:
        server.stop()
