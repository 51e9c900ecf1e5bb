"""Consultations (事前打合せ・相談): slots (コマ) that coordinators publish and parties book."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from lib.dates import day_time_text
from matching.models.matches import Match


class ConsultationSlot(models.Model):
    """A time a coordinator offers for consultations, in a place or online."""

    coordinator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("担当コーディネーター"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="consultation_slots",
    )
    starts_at = models.DateTimeField(_("開始日時"), db_index=True)
    ends_at = models.DateTimeField(_("終了日時"))
    place = models.CharField(_("場所"), max_length=300, blank=True)
    online_url = models.URLField(_("オンライン会議のURL"), blank=True)
    capacity = models.PositiveSmallIntegerField(
        _("受付できる件数"), default=1, help_text=_("このコマで同時に相談できるマッチの数。")
    )
    # Kept in step with the bookings in the same transaction; the check constraint makes
    # the database itself refuse an overbooking, whatever the application does.
    booked_count = models.PositiveSmallIntegerField(_("予約済みの件数"), default=0)
    note = models.CharField(_("備考"), max_length=500, blank=True)
    is_cancelled = models.BooleanField(_("取り消し"), default=False)
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)

    class Meta:
        ordering = ["starts_at", "pk"]
        verbose_name = _("相談のコマ")
        verbose_name_plural = _("相談のコマ")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="consultation_slot_ends_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(booked_count__lte=models.F("capacity")),
                name="consultation_slot_not_overbooked",
            ),
            models.CheckConstraint(
                condition=models.Q(capacity__gte=1), name="consultation_slot_capacity_positive"
            ),
        ]

    def __str__(self) -> str:
        # Local time with the weekday, as the admin's lists and choices show it.
        return f"{day_time_text(self.starts_at)} {self.place or self.online_url}"

    @property
    def seats_left(self) -> int:
        return max(self.capacity - self.booked_count, 0)


class ConsultationBooking(models.Model):
    """A match's booking of a slot: the consultation itself, its minutes and attendance."""

    class Status(models.TextChoices):
        BOOKED = "booked", _("予約済み")
        CANCELLED = "cancelled", _("取り消し")
        HELD = "held", _("実施済み")
        NO_SHOW = "no_show", _("欠席")

    slot = models.ForeignKey(
        ConsultationSlot,
        verbose_name=_("コマ"),
        on_delete=models.PROTECT,
        related_name="bookings",
    )
    match = models.ForeignKey(
        Match, verbose_name=_("マッチ"), on_delete=models.CASCADE, related_name="consultations"
    )
    status = models.CharField(
        _("状態"), max_length=10, choices=Status.choices, default=Status.BOOKED, db_index=True
    )
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("予約した人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("予約日時"), auto_now_add=True)
    cancelled_at = models.DateTimeField(_("取り消し日時"), null=True, blank=True)
    minutes = models.TextField(_("議事録"), max_length=20000, blank=True)
    minutes_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("議事録の記録者"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # iCalendar: the same UID across reschedules, with a growing SEQUENCE.
    uid = models.UUIDField(_("カレンダーのUID"), default=uuid.uuid4, editable=False, unique=True)
    sequence = models.PositiveIntegerField(_("更新回数"), default=0)
    reminded_day_before_at = models.DateTimeField(null=True, blank=True, editable=False)
    reminded_hour_before_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["slot__starts_at", "pk"]
        verbose_name = _("相談の予約")
        verbose_name_plural = _("相談の予約")
        constraints = [
            # A match holds at most one live booking of a slot.
            models.UniqueConstraint(
                fields=["slot", "match"],
                condition=models.Q(status="booked"),
                name="consultation_booking_one_per_match_and_slot",
            )
        ]

    def __str__(self) -> str:
        return f"{self.match} @ {self.slot}"


class CalendarFeed(models.Model):
    """A private iCalendar feed URL per user (subscribe from Outlook or Google Calendar)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("利用者"),
        on_delete=models.CASCADE,
        related_name="calendar_feed",
    )
    token = models.CharField(_("トークン"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("カレンダー配信")
        verbose_name_plural = _("カレンダー配信")

    def __str__(self) -> str:
        return str(self.user)
