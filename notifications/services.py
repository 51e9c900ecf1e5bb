"""Notifications as a service: ``notify(...)`` (the one function the other apps call),
email delivery and retries, preferences, digests, unsubscribe and the inbox. The e-mail
itself (rendering, headers, unsubscribe tokens) is built in ``emails``.

It imports none of the domain apps. The design (outbox, delivery states, the
exactly-once argument and its limits) is in docs/notifications.md."""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from lib import links
from lib.tasks import task
from notifications import kinds as kind_registry
from notifications.emails import PASSWORD_RESET_KIND, build_message, message_id
from notifications.models import DIGEST_CHANNELS, Channel, Delivery, Notification, Preference

log = logging.getLogger(__name__)

SWEEP_BATCH = 5000


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def max_attempts() -> int:
    return int(_setting("NOTIFICATIONS_MAX_ATTEMPTS", 8))


def lease_seconds() -> float:
    return float(_setting("NOTIFICATIONS_SENDING_LEASE_SECONDS", 300))


def sweep_after_seconds() -> float:
    return float(_setting("NOTIFICATIONS_SWEEP_AFTER_SECONDS", 120))


def backoff_seconds(attempts: int) -> float:
    """Exponential backoff after the ``attempts``-th failure: base·2^(n-1), capped."""
    base = float(_setting("NOTIFICATIONS_RETRY_BASE_SECONDS", 60))
    cap = float(_setting("NOTIFICATIONS_RETRY_MAX_SECONDS", 6 * 3600))
    return min(cap, base * 2 ** max(0, attempts - 1))


# --- Preferences ------------------------------------------------------------------------
def _preference_map(user_ids: Iterable[int]) -> dict[int, dict[str, str]]:
    prefs: dict[int, dict[str, str]] = {}
    rows = Preference.objects.filter(user_id__in=list(user_ids)).values_list(
        "user_id", "kind", "channel"
    )
    for user_id, kind, channel in rows:
        prefs.setdefault(user_id, {})[kind] = channel
    return prefs


def _resolve(prefs: dict[str, str], kind: str) -> str:
    if kind in prefs:
        return prefs[kind]
    if kind in kind_registry.DEFAULT_CHANNELS:
        # Digest content stays a digest unless the user chose for this kind itself.
        return kind_registry.DEFAULT_CHANNELS[kind]
    return prefs.get(kind_registry.ANY_KIND, kind_registry.DEFAULT_CHANNEL)


def channel_for(user: Any, kind: str) -> str:
    return _resolve(_preference_map([user.pk]).get(user.pk, {}), kind)


def preferences(user: Any) -> list[dict[str, str]]:
    """Every known kind (and any the user set) with the channel in effect."""
    prefs = _preference_map([user.pk]).get(user.pk, {})
    names = list(kind_registry.KINDS) + sorted(
        k for k in prefs if k not in kind_registry.KINDS and k != kind_registry.ANY_KIND
    )
    rows = [
        {
            "kind": kind_registry.ANY_KIND,
            "label": str(kind_registry.label(kind_registry.ANY_KIND)),
            "channel": prefs.get(kind_registry.ANY_KIND, kind_registry.DEFAULT_CHANNEL),
        }
    ]
    rows += [
        {"kind": k, "label": kind_registry.label(k), "channel": _resolve(prefs, k)} for k in names
    ]
    return rows


@transaction.atomic
def set_preferences(user: Any, choices: dict[str, str]) -> None:
    """Set the channel for each kind (validated by the caller)."""
    for kind, channel in choices.items():
        Preference.objects.update_or_create(user=user, kind=kind, defaults={"channel": channel})


# --- notify(): the outbox ---------------------------------------------------------------
@transaction.atomic
def notify(
    recipients: Iterable[Any],
    kind: str,
    title: str,
    body: str = "",
    *,
    url: str = "",
    payload: dict | None = None,
    dedupe_key: str | None = None,
) -> list[Notification]:
    """Record a notification for each recipient (users; duplicates and inactive users are
    skipped), inside the caller's transaction: if the event rolls back, so does its
    notification. With ``dedupe_key``, a recipient already notified of this event is not
    notified again.

    Each recipient's preference for ``kind`` decides what else happens: ``email`` writes a
    :class:`Delivery` in the same transaction and enqueues it once the transaction commits;
    ``digest_*`` leaves it for the next digest; ``in_app`` only shows it in the inbox;
    ``off`` records it as already read."""
    users: list[Any] = []
    seen: set[int] = set()
    for user in recipients:
        if user is None or user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        users.append(user)
    if not users:
        return []
    prefs = _preference_map(seen)
    now = timezone.now()
    created: list[Notification] = []
    deliveries: list[int] = []
    for user in users:
        channel = _resolve(prefs.get(user.pk, {}), kind)
        fields = {
            "kind": kind,
            "title": title[:200],
            "body": body,
            "url": url,
            "payload": payload or {},
            "channel": channel,
            "read_at": now if channel == Channel.OFF else None,
        }
        if dedupe_key:
            row, made = Notification.objects.get_or_create(
                recipient=user, dedupe_key=dedupe_key, defaults=fields
            )
            if not made:
                continue
        else:
            row = Notification.objects.create(recipient=user, **fields)
        created.append(row)
        if channel == Channel.EMAIL and user.email:
            delivery = Delivery.objects.create(
                recipient=user, notification=row, next_attempt_at=now
            )
            deliveries.append(delivery.pk)
    if deliveries:
        transaction.on_commit(lambda: enqueue(deliveries), robust=True)
    return created


# --- Account e-mails: the password reset ----------------------------------------------
@transaction.atomic
def queue_password_reset(user: Any) -> Delivery | None:
    """Queue the password-reset e-mail for ``user`` through the outbox: sent by a worker
    with the retries of every delivery (an SMTP outage delays it, never loses it), its
    link made when it is sent (``emails.build_message``), so it is valid for
    ``PASSWORD_RESET_TIMEOUT`` from then and no token is stored.

    One reset mail waits per person: asking again while one is pending (the mail server
    is down, the user clicks twice) returns that one instead of queueing a duplicate.
    The notification is recorded read and hidden from the inbox (``off``), and no
    preference applies: a person cannot opt out of the mail that lets them sign in."""
    if not user.is_active or not user.email:
        return None
    # Lock the person's row: two requests at once queue one mail between them.
    list(get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk"))
    waiting = Delivery.objects.filter(
        recipient=user,
        notification__kind=PASSWORD_RESET_KIND,
        status__in=(Delivery.Status.PENDING, Delivery.Status.SENDING),
    ).first()
    if waiting is not None:
        return waiting
    now = timezone.now()
    notification = Notification.objects.create(
        recipient=user,
        kind=PASSWORD_RESET_KIND,
        title="パスワードの再設定",
        channel=Channel.OFF,
        read_at=now,
    )
    delivery = Delivery.objects.create(
        recipient=user, notification=notification, next_attempt_at=now
    )
    transaction.on_commit(lambda: enqueue([delivery.pk]), robust=True)
    return delivery


def enqueue(delivery_ids: Sequence[int], countdown: float | None = None) -> int:
    """Hand deliveries to Celery; returns how many were published. A broker that is down
    is logged, not raised: the rows are in the database and the sweeper re-enqueues them."""
    deliver_task = task("notifications.deliver")
    sent = 0
    for pk in delivery_ids:
        try:
            deliver_task.apply_async(
                (pk,),
                countdown=countdown,
                retry=True,
                retry_policy={
                    "max_retries": 1,
                    "interval_start": 0,
                    "interval_step": 0.2,
                    "interval_max": 0.2,
                },
            )
        except Exception as exc:  # the broker is unreachable: the sweeper will catch up
            log.warning(
                "notifications: could not enqueue %d deliveries (%s); the sweeper will",
                len(delivery_ids) - sent,
                exc,
            )
            break
        sent += 1
    return sent


# --- Delivery ---------------------------------------------------------------------------
@dataclass
class Outcome:
    status: str  # sent | skipped | not_due | busy | done | failed | dead | missing
    retry_in: float | None = None


def _claim(pk: int, now: dt.datetime) -> tuple[Delivery | None, str]:
    """Lock the row and, if it is ours to send, mark it ``sending`` (committed before the
    send, so a concurrent or duplicated task sees the claim and stands back)."""
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(of=("self",))
            .select_related("recipient", "notification")
            .filter(pk=pk)
            .first()
        )
        if delivery is None:
            return None, "missing"
        if delivery.status in (Delivery.Status.SENT, Delivery.Status.DEAD, Delivery.Status.SKIPPED):
            return None, "done"
        if delivery.status == Delivery.Status.SENDING:
            lease = dt.timedelta(seconds=lease_seconds())
            if delivery.claimed_at and delivery.claimed_at > now - lease:
                return None, "busy"  # another worker is sending it right now
            # The claimer died mid-send (the one window where a message may go out twice).
            delivery.last_error = "worker lost while sending; sent again"
        elif delivery.next_attempt_at > now + dt.timedelta(seconds=1):
            return None, "not_due"  # backing off; its own retry (or the sweeper) comes later
        user = delivery.recipient
        if not user.is_active or not user.email:
            delivery.status = Delivery.Status.SKIPPED
            delivery.save(update_fields=["status", "last_error"])
            return None, "skipped"
        delivery.status = Delivery.Status.SENDING
        delivery.claimed_at = now
        delivery.attempts += 1
        delivery.message_id = message_id(delivery)
        delivery.save(
            update_fields=["status", "claimed_at", "attempts", "message_id", "last_error"]
        )
        return delivery, "claimed"


def deliver(pk: int) -> Outcome:
    """Send one delivery at most once (idempotent: a duplicated or retried task finds it
    sent, or claimed by a live worker, and does nothing)."""
    now = timezone.now()
    delivery, state = _claim(pk, now)
    if delivery is None:
        return Outcome(state)
    try:
        message = build_message(delivery)
        with get_connection(
            fail_silently=False, timeout=_setting("NOTIFICATIONS_SMTP_TIMEOUT", 30)
        ) as connection:
            connection.send_messages([message])
    except Exception as exc:
        return _record_failure(delivery.pk, delivery.attempts, exc)
    with transaction.atomic():
        updated = Delivery.objects.filter(
            pk=delivery.pk, status=Delivery.Status.SENDING, attempts=delivery.attempts
        ).update(status=Delivery.Status.SENT, sent_at=timezone.now(), last_error="")
    return Outcome("sent" if updated else "done")


def _record_failure(pk: int, attempt: int, exc: Exception) -> Outcome:
    error = f"{type(exc).__name__}: {exc}"[:2000]
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().filter(pk=pk).first()
        if delivery is None or delivery.status != Delivery.Status.SENDING:
            return Outcome("done")
        if delivery.attempts != attempt:
            return Outcome("busy")
        delivery.last_error = error
        delivery.claimed_at = None
        if delivery.attempts >= max_attempts():
            delivery.status = Delivery.Status.DEAD
            delivery.save(update_fields=["status", "last_error", "claimed_at"])
            log.error("notifications: delivery %s is dead after %s tries: %s", pk, attempt, error)
            return Outcome("dead")
        delay = backoff_seconds(delivery.attempts)
        delivery.status = Delivery.Status.PENDING
        delivery.next_attempt_at = timezone.now() + dt.timedelta(seconds=delay)
        delivery.save(update_fields=["status", "last_error", "claimed_at", "next_attempt_at"])
    log.warning("notifications: delivery %s failed (try %s), again in %ss", pk, attempt, delay)
    return Outcome("failed", retry_in=delay)


def sweep(now: dt.datetime | None = None) -> int:
    """Re-enqueue what should have been delivered by now: pending deliveries overdue by
    ``NOTIFICATIONS_SWEEP_AFTER_SECONDS`` (a lost message, a broker outage) and sends whose
    worker died (a claim older than the lease). Safe to run any time: delivery is
    idempotent."""
    now = now or timezone.now()
    stale = now - dt.timedelta(seconds=sweep_after_seconds())
    lease_cut = now - dt.timedelta(seconds=lease_seconds())
    with transaction.atomic():
        ids = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(
                Q(status=Delivery.Status.PENDING, next_attempt_at__lte=stale)
                | Q(status=Delivery.Status.SENDING, claimed_at__lte=lease_cut)
            )
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)[:SWEEP_BATCH]
        )
        if not ids:
            return 0
        # Re-enqueued at most once per sweep period, however long the queue.
        Delivery.objects.filter(pk__in=ids, status=Delivery.Status.PENDING).update(
            next_attempt_at=now
        )
        Delivery.objects.filter(pk__in=ids, status=Delivery.Status.SENDING).update(
            status=Delivery.Status.PENDING,
            next_attempt_at=now,
            claimed_at=None,
            last_error="worker lost while sending; sent again",
        )
        transaction.on_commit(lambda: enqueue(ids), robust=True)
    log.info("notifications: sweeper re-enqueued %d deliveries", len(ids))
    return len(ids)


def retry_dead(queryset: QuerySet[Delivery]) -> int:
    """Admin action: give dead letters a fresh set of attempts, now."""
    with transaction.atomic():
        ids = list(
            queryset.select_for_update()
            .filter(status=Delivery.Status.DEAD)
            .values_list("pk", flat=True)
        )
        Delivery.objects.filter(pk__in=ids).update(
            status=Delivery.Status.PENDING, attempts=0, next_attempt_at=timezone.now()
        )
        if ids:
            transaction.on_commit(lambda: enqueue(ids), robust=True)
    return len(ids)


# --- Digests ----------------------------------------------------------------------------
def digest_key(channel: str, now: dt.datetime) -> str:
    day = timezone.localdate(now)
    if channel == Channel.DIGEST_WEEKLY:
        year, week, _weekday = day.isocalendar()
        return f"weekly:{year}-W{week:02d}"
    return f"daily:{day.isoformat()}"


def gather_digests(channel: str, now: dt.datetime | None = None) -> list[int]:
    """One digest email per user for this period with everything waiting on ``channel``
    (idempotent: a second run in the same period finds the digest already made)."""
    if channel not in DIGEST_CHANNELS:
        raise ValueError(channel)
    now = now or timezone.now()
    key = digest_key(channel, now)
    waiting = Notification.objects.filter(channel=channel, digest__isnull=True, created_at__lte=now)
    user_ids = list(waiting.order_by().values_list("recipient_id", flat=True).distinct())
    made: list[int] = []
    users = get_user_model().objects.in_bulk(user_ids)
    for user_id in user_ids:
        user = users.get(user_id)
        with transaction.atomic():
            delivery, _created = Delivery.objects.get_or_create(
                recipient_id=user_id, digest_key=key, defaults={"next_attempt_at": now}
            )
            delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
            if delivery.status != Delivery.Status.PENDING or delivery.attempts:
                continue  # this period's digest already went; the rest waits for the next
            waiting.filter(recipient_id=user_id).update(digest=delivery)
            if user is None or not user.is_active or not user.email:
                delivery.status = Delivery.Status.SKIPPED
                delivery.save(update_fields=["status"])
                continue
            made.append(delivery.pk)
    if made:
        enqueue(made)
    return made


# --- Unsubscribe ------------------------------------------------------------------------
def unsubscribe(user: Any, kinds: Sequence[str]) -> None:
    """Stop email (single and digest) for these kinds; they stay in the inbox."""
    set_preferences(user, {kind: Channel.IN_APP for kind in kinds})


# --- Inbox ------------------------------------------------------------------------------
def inbox(user: Any) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user).exclude(channel=Channel.OFF)


def unread_count(user: Any) -> int:
    return inbox(user).filter(read_at__isnull=True).count()


def mark_read(user: Any, ids: Iterable[int] | None = None) -> int:
    rows = inbox(user).filter(read_at__isnull=True)
    if ids is not None:
        rows = rows.filter(pk__in=list(ids))
    return rows.update(read_at=timezone.now())


# Links: every notification leads to the page of what it is about (docs/notifications.md).
_MEMBER_MATCH_PAGE = re.compile(r"^/my/matches/(\d+)/")


def link_for(notification: Notification, user: Any = None) -> str:
    """The page a notification is about: its ``url`` or, for one written without, the
    page of the thing its payload names (a match, an interest request, a post). A
    coordinator is sent to the coordinators' page of a match. Site paths only: anything
    else is no link."""
    url = notification.url or _link_from_payload(notification.payload or {})
    if url and getattr(user, "can_coordinate", False):
        found = _MEMBER_MATCH_PAGE.match(url)
        if found:
            url = links.coordinator_match_page(int(found.group(1)))
    # Own pages only (never "//host" or "https://…"): the inbox must not send people away.
    return url if url.startswith("/") and not url.startswith("//") else ""


def _link_from_payload(payload: dict[str, Any]) -> str:
    if isinstance(payload.get("match"), int):
        return links.match_page(payload["match"])
    if payload.get("interest_request"):
        return links.sent_requests()
    post = payload.get("post")
    if isinstance(post, dict) and post.get("type") in ("need", "offer") and post.get("id"):
        return links.post_edit_page(post["type"], int(post["id"]))
    return ""


def open_notification(user: Any, pk: int) -> str | None:
    """Mark the user's notification read and return where it leads (``""``: nowhere;
    None: no such notification for this user)."""
    notification = inbox(user).filter(pk=pk).first()
    if notification is None:
        return None
    if notification.read_at is None:
        mark_read(user, [notification.pk])
    return link_for(notification, user)
