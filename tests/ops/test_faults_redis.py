"""Redis down: the web keeps working, and the work it queued is done once Redis is back.

The test runs its own redis-server (the shared one is never stopped) and a real worker on
it. With Redis stopped, a member posts an offer (which must be scored) and asks to be
introduced (which notifies the coordinator by email) through the API: both answer 2xx
at once, and the work waits in the database (``PendingRescore``, a pending ``Delivery``).
Redis is started again, empty: the sweepers beat runs every minute send the work again,
the worker scores the offer and the mail server receives the email exactly once.
"""

from __future__ import annotations

import time

import pytest
from conftest import make_need
from servers import RedisServer, celery_broker
from smtp_sink import SMTPSink
from worker import WorkerProcess, wait_for

from matching.models import PendingRescore, Suggestion
from matching.scoring import services as matching_services
from notifications import emails as notification_emails
from notifications import services as notification_services
from notifications.models import Delivery

pytestmark = [pytest.mark.worker, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

# A web request must not wait on a dead broker longer than this (it waits well under a
# second; the bound is loose for a loaded CI machine).
QUICK = 5.0


class Worker(WorkerProcess):
    def __init__(self, queue: str, log_dir, extra: dict[str, str]) -> None:
        super().__init__(queue, None, log_dir)
        self.extra = extra

    def env(self) -> dict[str, str]:
        env = super().env()
        env.update(self.extra)
        return env


@pytest.fixture
def private_redis(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    try:
        with celery_broker(server.url()):
            yield server
    finally:
        server.stop()


def _timed_post(api, url: str, data: dict) -> tuple[object, float]:
    started = time.monotonic()
    response = api.post(url, data, format="json")
    return response, time.monotonic() - started


def test_redis_down_web_answers_and_queued_work_resumes(
    people, api, private_redis, celery_test_queue, tmp_path, settings
):
    coordinator = people["coordinator"]
    coordinator.email = "coordinator@example.jp"
    coordinator.save()
    need = make_need(
        people["department"],
        title="防災訓練の企画・運営パートナー募集",
        description="避難所運営訓練を住民と一緒に企画し、当日の運営を担う団体を探しています。",
        fields=["disaster"], areas=["t-kita"], forms=["cooperation"],
    )  # fmt: skip
    with SMTPSink() as sink:
        env = {"CELERY_BROKER_URL": private_redis.url(), "EMAIL_URL": sink.url}
        worker = Worker(celery_test_queue["queue"], tmp_path, env).start()
        try:
            worker.wait_ready()
            # The need itself was scored while Redis was up.
            assert wait_for(lambda: not PendingRescore.objects.exists()), worker.read_log()

            private_redis.stop()
            api.force_authenticate(people["member"])
            offer_response, offer_seconds = _timed_post(
                api,
                "/api/v1/offers/",
                {
                    "organization": people["npo"].pk,
                    "title": "避難所運営ゲーム（HUG）と防災訓練の企画",
                    "description": "防災士が避難所運営ゲームで訓練を企画し、運営を手伝います。",
                    "fields": ["disaster"], "areas": ["t-kita"], "forms": ["cooperation"],
                    "status": "open", "capacity": 2,
                },
            )  # fmt: skip
            assert offer_response.status_code == 201, offer_response.json()
            offer_id = offer_response.json()["id"]
            ask_response, ask_seconds = _timed_post(
                api,
                "/api/v1/interest-requests/",
                {"organization": people["npo"].pk, "need": need.pk, "message": "ぜひ"},
            )
            assert ask_response.status_code == 201, ask_response.json()
            assert offer_seconds < QUICK and ask_seconds < QUICK, (offer_seconds, ask_seconds)

            # Recorded, not done: the outbox rows wait for the broker.
            assert PendingRescore.objects.filter(kind="offer", post_id=offer_id).exists()
            deliveries = Delivery.objects.filter(notification__kind="interest.received")
            assert deliveries.count() == 1
            assert deliveries.get().status == Delivery.Status.PENDING
            time.sleep(1)
            assert not Suggestion.objects.filter(offer_id=offer_id).exists()
            assert sink.total() == 0

            private_redis.start()  # empty: whatever was queued before the stop is gone
            down_for = time.monotonic()
            worker.wait_ready(timeout=60)  # the same worker has reconnected
            # What beat does every minute, sped up.
            settings.NOTIFICATIONS_SWEEP_AFTER_SECONDS = 1

            def swept_and_done() -> bool:
                matching_services.sweep_rescores(older_than=1)
                notification_services.sweep()
                return (
                    Suggestion.objects.filter(need=need, offer_id=offer_id).exists()
                    and not PendingRescore.objects.exists()
                    and not deliveries.exclude(status=Delivery.Status.SENT).exists()
                )

            assert wait_for(swept_and_done, timeout=60, interval=1.0), worker.read_log()
            resumed = time.monotonic() - down_for
            time.sleep(1.5)  # room for a duplicate to show up
        finally:
            worker.stop()

    assert Suggestion.objects.filter(need=need, offer_id=offer_id).count() == 1
    delivery = deliveries.get()
    assert sink.counts == {notification_emails.message_id(delivery): 1}
    print(
        f"\nRedis down: POST offer {offer_seconds:.2f}s, POST interest request "
        f"{ask_seconds:.2f}s (both 201); after Redis restarted, scored and emailed in "
        f"{resumed:.1f}s, email delivered once"
    )
