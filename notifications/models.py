"""Notifications: one row per recipient and event, written in the same transaction as the
event (an outbox). Email delivery and digests are :class:`Delivery` rows, written in that
same transaction and delivered by Celery tasks (see docs/notifications.md)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    """How a user wants one kind of notification."""

    IN_APP = "in_app", _("アプリ内のみ")
    EMAIL = "email", _("メール")
    DIGEST_DAILY = "digest_daily", _("まとめて毎日")
    DIGEST_WEEKLY = "digest_weekly", _("まとめて毎週")
    OFF = "off", _("通知しない")


DIGEST_CHANNELS = (Channel.DIGEST_DAILY, Channel.DIGEST_WEEKLY)


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("受信者"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("種類"), max_length=60, db_index=True)
    title = models.CharField(_("件名"), max_length=200)
    body = models.TextField(_("本文"), max_length=10000, blank=True)
    url = models.CharField(_("リンク"), max_length=500, blank=True)
    payload = models.JSONField(_("内容"), default=dict, blank=True)
    # The same event never notifies the same person twice (retries, duplicated tasks).
    dedupe_key = models.CharField(max_length=200, blank=True, default="", editable=False)
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("既読日時"), null=True, blank=True)
    # The recipient's preference for this kind when the notification was written.
    channel = models.CharField(
        _("配信方法"), max_length=20, choices=Channel.choices, default=Channel.IN_APP
    )
    # Set when a digest gathers this notification (digest channels only).
    digest = models.ForeignKey(
        "Delivery",
        verbose_name=_("まとめメール"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="digest_items",
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"],
                condition=~models.Q(dedupe_key=""),
                name="notification_unique_per_recipient_and_event",
            )
        ]
        indexes = [
            models.Index(
                fields=["channel", "recipient"],
                condition=models.Q(digest__isnull=True, channel__startswith="digest"),
                name="notification_digest_waiting",
            )
        ]

    def __str__(self) -> str:
        return f"{self.recipient}: {self.title}"


class Delivery(models.Model):
    """One email to send: a single notification, or a digest of several.

    States: ``pending`` (due at ``next_attempt_at``) → ``sending`` (claimed by a worker at
    ``claimed_at``; a claim older than the lease means the worker died) → ``sent``; a
    failure returns it to ``pending`` with exponential backoff, and after
    ``NOTIFICATIONS_MAX_ATTEMPTS`` failures it is ``dead`` (a dead letter an admin can retry).
    ``skipped``: nothing to send (no address, inactive user)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("送信待ち")
        SENDING = "sending", _("送信中")
        SENT = "sent", _("送信済み")
        DEAD = "dead", _("送信失敗（要対応）")
        SKIPPED = "skipped", _("送信不要")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("受信者"),
        on_delete=models.CASCADE,
        related_name="notification_deliveries",
    )
    # A single notification's email (one at most), or null for a digest.
    notification = models.OneToOneField(
        Notification,
        verbose_name=_("通知"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="delivery",
    )
    # "daily:2026-11-23" / "weekly:2026-W48": one digest per user and period.
    digest_key = models.CharField(_("まとめの期間"), max_length=40, blank=True, default="")
    status = models.CharField(
        _("状態"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(_("試行回数"), default=0)
    next_attempt_at = models.DateTimeField(_("次の試行"), db_index=True)
    claimed_at = models.DateTimeField(_("送信開始"), null=True, blank=True)
    sent_at = models.DateTimeField(_("送信日時"), null=True, blank=True)
    last_error = models.TextField(_("最後のエラー"), blank=True)
    message_id = models.CharField(_("Message-ID"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("メール配信")
        verbose_name_plural = _("メール配信")
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "digest_key"],
                condition=~models.Q(digest_key=""),
                name="delivery_one_digest_per_user_and_period",
            )
        ]
        indexes = [
            models.Index(
                fields=["status", "next_attempt_at"],
                condition=models.Q(status__in=["pending", "sending"]),
                name="delivery_open",
            )
        ]

    def __str__(self) -> str:
        what = self.digest_key or f"#{self.notification_id}"
        return f"{self.recipient} {what} ({self.status})"


class Preference(models.Model):
    """A user's channel for one kind of notification (``*``: every other kind)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("利用者"),
        on_delete=models.CASCADE,
        related_name="notification_preferences",
    )
    kind = models.CharField(_("種類"), max_length=60)
    channel = models.CharField(_("配信方法"), max_length=20, choices=Channel.choices)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    class Meta:
        verbose_name = _("通知の設定")
        verbose_name_plural = _("通知の設定")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="preference_unique_kind")
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.kind}: {self.channel}"
