"""Celery tasks: thin wrappers over notifications.services.

Every task is idempotent; with ``acks_late`` and ``reject_on_worker_lost`` (settings) a
task whose worker dies is redelivered, and the sweeper re-enqueues anything that is
still not delivered in time."""

from __future__ import annotations

from celery import shared_task

from notifications import services
from notifications.models import Channel


@shared_task(name="notifications.deliver", acks_late=True, ignore_result=True)
def deliver(delivery_id: int) -> str:
    outcome = services.deliver(delivery_id)
    if outcome.retry_in is not None:
        # Backoff: the row says when; this message is a shortcut, the sweeper the net.
        services.enqueue([delivery_id], countdown=outcome.retry_in)
    return outcome.status


@shared_task(name="notifications.sweep", ignore_result=True)
def sweep() -> int:
    return services.sweep()


@shared_task(name="notifications.send_digests", ignore_result=True)
def send_digests(frequency: str = "daily") -> int:
    channel = Channel.DIGEST_WEEKLY if frequency == "weekly" else Channel.DIGEST_DAILY
    return len(services.gather_digests(channel))
