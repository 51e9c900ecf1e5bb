"""Email delivery: the outbox row, idempotent sends, retries with backoff, dead letters
and the admin retry, the sweeper, and digests."""

from __future__ import annotations

import datetime as dt

import notification_backends
import pytest
from conftest import make_user
from django.contrib.admin.sites import site as admin_site
from django.core import mail
from django.test import RequestFactory
from django.utils import timezone

from notifications import services, tasks
from notifications.models import Channel, Delivery, Notification, Preference
from notifications.services import notify

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(db):
    return make_user("alice", email="alice@example.jp", display_name="佐藤 アリス")


@pytest.fixture
def enqueued(monkeypatch):
    """Record what would be handed to Celery instead of publishing it."""
    calls: list[tuple[list[int], float | None]] = []

    def fake(ids, countdown=None):
        calls.append((list(ids), countdown))
        return len(ids)

    monkeypatch.setattr(services, "enqueue", fake)
    return calls


def test_an_email_delivery_is_written_with_the_notification_and_enqueued_on_commit(
    alice, enqueued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        [n] = notify([alice], "match.introduce", "紹介します", "本文")
    delivery = Delivery.objects.get(notification=n)
    assert delivery.status == Delivery.Status.PENDING and n.channel == Channel.EMAIL
    assert enqueued == []  # nothing is published before the transaction commits
    for callback in callbacks:
        callback()
    assert enqueued == [([delivery.pk], None)]


def test_no_email_without_an_address_or_for_in_app_and_off(alice, enqueued):
    nomail = make_user("nomail")
    Preference.objects.create(user=alice, kind="match.respond", channel=Channel.IN_APP)
    notify([nomail], "match.introduce", "紹介します")
    notify([alice], "match.respond", "回答がありました")
    Preference.objects.create(user=alice, kind="*", channel=Channel.OFF)
    [off] = notify([alice], "consultation.booked", "予約されました")
    assert not Delivery.objects.exists()
    assert off.read_at is not None  # "off": recorded, never unread, not in the inbox
    assert list(services.inbox(alice)) == [Notification.objects.get(kind="match.respond")]


def test_calling_the_deliver_task_twice_sends_once(alice, enqueued):
    [n] = notify([alice], "match.introduce", "紹介します")
    delivery = n.delivery
    assert tasks.deliver.apply((delivery.pk,)).get() == "sent"
    assert tasks.deliver.apply((delivery.pk,)).get() == "done"
    assert services.deliver(delivery.pk).status == "done"
    assert len(mail.outbox) == 1
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT and delivery.attempts == 1
    assert mail.outbox[0].extra_headers["Message-ID"] == delivery.message_id


def test_a_send_claimed_by_a_live_worker_is_left_alone(alice, enqueued):
    [n] = notify([alice], "match.introduce", "紹介します")
    Delivery.objects.filter(pk=n.delivery.pk).update(
        status=Delivery.Status.SENDING, claimed_at=timezone.now(), attempts=1
    )
    assert services.deliver(n.delivery.pk).status == "busy"
    assert mail.outbox == []


def test_a_send_whose_worker_died_is_sent_again_after_the_lease(alice, enqueued, settings):
    settings.NOTIFICATIONS_SENDING_LEASE_SECONDS = 60
    [n] = notify([alice], "match.introduce", "紹介します")
    Delivery.objects.filter(pk=n.delivery.pk).update(
        status=Delivery.Status.SENDING,
        claimed_at=timezone.now() - dt.timedelta(seconds=61),
        attempts=1,
    )
    assert services.deliver(n.delivery.pk).status == "sent"
    assert len(mail.outbox) == 1


def test_failures_retry_with_exponential_backoff_then_deliver_once(alice, enqueued, settings):
    settings.EMAIL_BACKEND = "notification_backends.FailingBackend"
    settings.NOTIFICATIONS_RETRY_BASE_SECONDS = 10
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 5
    notification_backends.reset(failures=3)
    [n] = notify([alice], "match.introduce", "紹介します")
    pk = n.delivery.pk
    delays = []
    for _ in range(3):
        assert tasks.deliver.apply((pk,)).get() == "failed"
        delivery = Delivery.objects.get(pk=pk)
        assert delivery.status == Delivery.Status.PENDING
        assert "SMTPServerDisconnected" in delivery.last_error
        delays.append(enqueued[-1][1])
        # Too early: a duplicate message does nothing while the row backs off.
        assert services.deliver(pk).status == "not_due"
        Delivery.objects.filter(pk=pk).update(next_attempt_at=timezone.now())
    assert delays == [10, 20, 40]
    assert tasks.deliver.apply((pk,)).get() == "sent"
    assert len(mail.outbox) == 1
    assert Delivery.objects.get(pk=pk).attempts == 4


def test_backoff_is_capped(settings):
    settings.NOTIFICATIONS_RETRY_BASE_SECONDS = 60
    settings.NOTIFICATIONS_RETRY_MAX_SECONDS = 3600
    assert [services.backoff_seconds(n) for n in (1, 2, 3, 7, 20)] == [60, 120, 240, 3600, 3600]


def test_dead_letter_after_n_failures_and_the_admin_retry(alice, enqueued, settings):
    settings.EMAIL_BACKEND = "notification_backends.FailingBackend"
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 3
    notification_backends.reset(failures=3)
    [n] = notify([alice], "match.introduce", "紹介します")
    pk = n.delivery.pk
    outcomes = []
    for _ in range(3):
        outcomes.append(services.deliver(pk).status)
        Delivery.objects.filter(pk=pk, status="pending").update(next_attempt_at=timezone.now())
    assert outcomes == ["failed", "failed", "dead"]
    assert Delivery.objects.get(pk=pk).status == Delivery.Status.DEAD
    assert services.deliver(pk).status == "done"  # dead letters wait for a person

    # The admin action puts it back with a fresh set of attempts; now the server works.
    admin_user = make_user("root", is_staff=True, is_superuser=True)
    request = RequestFactory().post("/admin/notifications/delivery/")
    request.user = admin_user
    request.session = {}
    request._messages = _Messages()
    model_admin = admin_site._registry[Delivery]
    enqueued.clear()
    model_admin.retry(request, Delivery.objects.all())
    delivery = Delivery.objects.get(pk=pk)
    assert delivery.status == Delivery.Status.PENDING and delivery.attempts == 0
    assert services.deliver(pk).status == "sent"
    assert len(mail.outbox) == 1


class _Messages:
    def __init__(self) -> None:
        self.added: list[str] = []

    def add(self, level, message, extra_tags=""):
        self.added.append(str(message))


def test_the_admin_lists_dead_letters(alice, enqueued, api):
    [n] = notify([alice], "match.introduce", "紹介します")
    Delivery.objects.filter(pk=n.delivery.pk).update(status="dead", last_error="550 no such user")
    admin_user = make_user("root", is_staff=True, is_superuser=True)
    api.force_login(admin_user)
    page = api.get("/admin/notifications/delivery/?status__exact=dead")
    assert page.status_code == 200
    assert "550 no such user" in page.content.decode()


def test_the_sweeper_re_enqueues_stale_pending_and_abandoned_sends(alice, enqueued, settings):
    settings.NOTIFICATIONS_SWEEP_AFTER_SECONDS = 120
    settings.NOTIFICATIONS_SENDING_LEASE_SECONDS = 300
    made = notify([alice], "match.introduce", "a") + notify([alice], "match.respond", "b")
    made += notify([alice], "match.agree", "c") + notify([alice], "match.activate", "d")
    fresh, stale, abandoned, busy = (n.delivery.pk for n in made)
    now = timezone.now()
    Delivery.objects.filter(pk=stale).update(next_attempt_at=now - dt.timedelta(minutes=5))
    Delivery.objects.filter(pk=abandoned).update(
        status="sending", claimed_at=now - dt.timedelta(minutes=10), attempts=1
    )
    Delivery.objects.filter(pk=busy).update(status="sending", claimed_at=now, attempts=1)
    enqueued.clear()

    count = services.sweep()
    assert count == 2
    assert Delivery.objects.get(pk=abandoned).status == Delivery.Status.PENDING
    # A second sweep right away does not enqueue them again (rate limited by the row).
    assert services.sweep() == 0
    services.deliver(stale), services.deliver(abandoned), services.deliver(fresh)
    assert services.deliver(busy).status == "busy"
    assert len(mail.outbox) == 3


def test_the_sweeper_task_enqueues_after_commit(
    alice, enqueued, django_capture_on_commit_callbacks
):
    [n] = notify([alice], "match.introduce", "a")
    Delivery.objects.filter(pk=n.delivery.pk).update(
        next_attempt_at=timezone.now() - dt.timedelta(hours=1)
    )
    enqueued.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.sweep.apply().get() == 1
    assert enqueued == [([n.delivery.pk], None)]


def test_an_unreachable_broker_is_logged_not_raised(alice, monkeypatch, caplog):
    def down(*args, **kwargs):
        raise ConnectionRefusedError("redis is down")

    monkeypatch.setattr(tasks.deliver, "apply_async", down)
    assert services.enqueue([1, 2, 3]) == 0
    assert "sweeper" in caplog.text


# --- Digests ----------------------------------------------------------------------------
def test_digests_gather_one_email_per_user_and_period(alice, enqueued):
    bob = make_user("bob", email="bob@example.jp", language="en")
    Preference.objects.create(user=alice, kind="match.respond", channel=Channel.DIGEST_DAILY)
    for i in range(3):
        notify([alice, bob], "digest.new_posts", f"新しい協働テーマ {i}", "環境保全課より")
    notify([alice], "match.respond", "回答がありました")  # daily digest for alice
    assert not Delivery.objects.exists()  # digest kinds wait for their digest

    now = timezone.now()
    daily = services.gather_digests(Channel.DIGEST_DAILY, now)
    assert len(daily) == 1
    digest = Delivery.objects.get(pk=daily[0])
    assert digest.recipient == alice and digest.digest_items.count() == 1

    weekly = services.gather_digests(Channel.DIGEST_WEEKLY, now)
    assert len(weekly) == 2
    for pk in weekly + daily:
        assert services.deliver(pk).status == "sent"
    assert len(mail.outbox) == 3
    by_to = {m.to[0]: m for m in mail.outbox if "3" in m.subject}
    assert set(by_to) == {"alice@example.jp", "bob@example.jp"}
    assert "新しい協働テーマ 2" in by_to["alice@example.jp"].body
    assert "weekly summary" in by_to["bob@example.jp"].subject

    # Idempotent: the same period again sends nothing new; later items wait.
    assert services.gather_digests(Channel.DIGEST_WEEKLY, now) == []
    notify([alice], "digest.new_posts", "あとから来たテーマ")
    assert services.gather_digests(Channel.DIGEST_WEEKLY, now) == []
    later = services.gather_digests(Channel.DIGEST_WEEKLY, now + dt.timedelta(days=7))
    assert len(later) == 1


def test_digest_task(alice, enqueued):
    Preference.objects.create(user=alice, kind="*", channel=Channel.DIGEST_DAILY)
    notify([alice], "match.introduce", "紹介します")
    assert tasks.send_digests.apply(("daily",)).get() == 1
    assert len(enqueued) == 1


def test_digest_keys():
    monday = timezone.make_aware(dt.datetime(2026, 11, 23, 8, 0))
    assert services.digest_key(Channel.DIGEST_DAILY, monday) == "daily:2026-11-23"
    assert services.digest_key(Channel.DIGEST_WEEKLY, monday) == "weekly:2026-W48"


def test_beat_schedules_the_sweeper_and_digests(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["notifications-sweep"]["schedule"] == 60.0
    assert schedule["notifications-digest-daily"]["args"] == ["daily"]
    weekly = schedule["notifications-digest-weekly"]["schedule"]
    assert weekly.day_of_week == {1} and weekly.hour == {8} and weekly.minute == {10}
