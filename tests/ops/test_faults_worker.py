"""A worker killed while scoring: every post ends scored, once, and nothing is missing.

Scoring is one task per post (``matching.rescore_need``) with an outbox row per post
(``PendingRescore``) that the task removes when it has stored the suggestions. The test
queues the scoring of many needs on its own redis-server, starts a worker, and kills it
twice while it works: first one pool process (the worker notices and, with
``task_reject_on_worker_lost``, puts the message back), then the whole worker with
SIGKILL (its message stays unacknowledged in Redis for the visibility timeout, an hour:
the sweeper re-sends it from the outbox). A second worker finishes. The suggestions must
then be exactly what scoring every need once, in this process, writes.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from conftest import make_need, make_offer, plain_profile
from servers import RedisServer, celery_broker
from worker import WorkerProcess, wait_for

from matching.models import PendingRescore, Suggestion
from matching.scoring import services

pytestmark = [pytest.mark.worker, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

NEEDS = 30
FIELDS = ["disaster", "children", "elderly", "environment"]


class Worker(WorkerProcess):
    def __init__(self, queue: str, log_dir: Path, broker_url: str) -> None:
        super().__init__(queue, None, log_dir)
        self.broker_url = broker_url

    def env(self) -> dict[str, str]:
        env = super().env()
        env["CELERY_BROKER_URL"] = self.broker_url
        return env

    def pool_children(self) -> list[int]:
        assert self.proc is not None
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        return [int(p) for p in path.read_text().split()] if path.exists() else []


def _pending() -> int:
    return PendingRescore.objects.filter(kind="need").count()


def _snapshot() -> list[tuple[int, int, float]]:
    return sorted(Suggestion.objects.values_list("need_id", "offer_id", "score"))


def test_worker_killed_while_scoring_leaves_each_need_scored_once(
    people, celery_test_queue, tmp_path
):
    redis_server = RedisServer(tmp_path)
    redis_server.start()
    import redis

    client = redis.Redis.from_url(redis_server.url())
    queue = celery_test_queue["queue"]
    worker = None
    try:
        with celery_broker(redis_server.url()):
            # Fairness off: with it, a need's list depends on what the other needs show
            # when it is scored (docs/matching.md), so the order the faults leave would
            # change the scores; this test is about each need being scored once.
            plain_profile()
            orgs = [people["npo"], people["group"]]
            for i in range(NEEDS):
                field = FIELDS[i % len(FIELDS)]
                make_offer(orgs[i % 2], title=f"地域の{field}活動の支援 {i}", fields=[field],
                           areas=["t-kita"], forms=["cooperation"])  # fmt: skip
            for i in range(NEEDS):
                field = FIELDS[i % len(FIELDS)]
                make_need(people["department"], title=f"{field}の協働パートナー募集 {i}",
                          fields=[field], areas=["t-kita"], forms=["cooperation"])  # fmt: skip
            # Only the needs' scoring, queued afresh: a need's stored suggestions are then
            # its own top offers, whatever order the tasks run in (offers' scans would add
            # pairs in an order-dependent way).
            client.flushall()
            PendingRescore.objects.all().delete()
            Suggestion.objects.all().delete()
            need_ids = list(people["department"].need_set.values_list("pk", flat=True))
            for pk in need_ids:
                services.request_rescore("need", pk)  # autocommit: sent at once
            assert _pending() == NEEDS

            started = time.monotonic()
            worker = Worker(queue, tmp_path, redis_server.url()).start()
            assert wait_for(lambda: _pending() <= NEEDS - 3, timeout=90), worker.read_log()

            # 1. One pool process dies (the OOM killer's choice): the worker puts the
            # message back itself.
            children = worker.pool_children()
            assert children, worker.read_log()
            os.kill(children[0], signal.SIGKILL)
            left_after_child = _pending()
            assert wait_for(lambda: _pending() < left_after_child - 3, timeout=60), (
                worker.read_log()
            )

            # 2. The whole worker dies: its message stays unacknowledged in Redis.
            worker.stop(signal.SIGKILL)
            left_after_kill = _pending()
            in_flight = client.hlen("unacked")
            assert left_after_kill > 0, "the queue was done before the kill; add needs"

            worker = Worker(queue, tmp_path, redis_server.url()).start()
            worker.wait_ready()

            def swept_and_done() -> bool:
                services.sweep_rescores(older_than=2)  # what beat does every minute
                return _pending() == 0

            assert wait_for(swept_and_done, timeout=90, interval=1.0), worker.read_log()
            seconds = time.monotonic() - started
    finally:
        if worker:
            worker.stop()
        redis_server.stop()

    after_faults = _snapshot()
    assert len(after_faults) == len({(n, o) for n, o, _ in after_faults}), "duplicate pair"
    assert {n for n, _, _ in after_faults} == set(need_ids), "a need was never scored"
    for pk in need_ids:  # the reference: each need scored once, here, with no fault
        services.rescore_post("need", pk)
    assert after_faults == _snapshot()
    print(
        f"\nworker faults while scoring {NEEDS} needs: pool process killed with "
        f"{left_after_child} left, worker SIGKILLed with {left_after_kill} left and "
        f"{in_flight} message(s) unacknowledged; {len(after_faults)} suggestions, "
        f"identical to scoring each need once; {seconds:.0f}s from the first worker's start"
    )
