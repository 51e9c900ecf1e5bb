"""Notifications: one row per recipient and event, written in the same transaction as the
event (an outbox). Delivery channels (email, digests) read from here."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


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

    def __str__(self) -> str:
        return f"{self.recipient}: {self.title}"
