"""Meetings (交流の場): exchange meetings, registrations per organization, invitations.

The rules (who may, seats, waitlist, approval) live in ``meetings.services``; the models
hold the data and the database's last guards (CHECK constraints, one active registration
per organization and meeting)."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from matching.models import InterestRequest
from organizations.models import Area, Field, Organization
from proposals.models import Need, Offer


class MeetingQuerySet(models.QuerySet):
    def with_seats_taken(self) -> MeetingQuerySet:
        """Each meeting with the people registered counted in the same query, as
        ``registered_people`` (a list shows the seats left of each; ``services.seats_taken``
        reads it). A subquery: the joins of a list's filters cannot multiply it. The rules
        never use it: they count under the meeting's lock."""
        taken = (
            Registration.objects.filter(meeting=models.OuterRef("pk"), status="registered")
            .values("meeting")
            .annotate(n=models.Sum("attendees"))
            .values("n")
        )
        return self.annotate(registered_people=Coalesce(models.Subquery(taken), 0))


class Meeting(models.Model):
    class Kind(models.TextChoices):
        EXCHANGE = "exchange", _("交流会")
        DIALOGUE = "dialogue", _("意見交換会")
        BRIEFING = "briefing", _("テーマ別説明会・発表会")
        CONSULTATION = "consultation", _("相談会")
        TRAINING = "training", _("研修")

    class RegistrationMode(models.TextChoices):
        OPEN = "open", _("申込順（先着）")
        APPROVAL = "approval", _("主催者の承認制")
        INVITATION = "invitation", _("招待制")

    class Status(models.TextChoices):
        DRAFT = "draft", _("下書き")
        PUBLISHED = "published", _("公開中")
        CLOSED = "closed", _("受付終了")
        HELD = "held", _("開催済み")
        CANCELLED = "cancelled", _("中止")

    kind = models.CharField(_("種類"), max_length=20, choices=Kind.choices)
    organizer = models.ForeignKey(
        Organization,
        verbose_name=_("主催団体"),
        on_delete=models.PROTECT,
        related_name="organized_meetings",
        null=True,
        blank=True,
        help_text=_("空欄: コーディネーターの主催。"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("作成者"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    title = models.CharField(_("名称"), max_length=200)
    description = models.TextField(_("内容"), max_length=10000, blank=True)
    fields = models.ManyToManyField(Field, verbose_name=_("分野"), blank=True)
    areas = models.ManyToManyField(Area, verbose_name=_("地域"), blank=True)
    needs = models.ManyToManyField(
        Need, verbose_name=_("関連するニーズ（協働テーマ）"), blank=True, related_name="meetings"
    )
    offers = models.ManyToManyField(
        Offer, verbose_name=_("関連するシーズ"), blank=True, related_name="meetings"
    )
    venue_name = models.CharField(_("会場名"), max_length=200, blank=True)
    venue_address = models.CharField(_("会場の住所"), max_length=300, blank=True)
    is_public_facility = models.BooleanField(_("公共施設"), default=False)
    online_url = models.URLField(_("オンライン会議のURL"), blank=True)
    starts_at = models.DateTimeField(_("開始日時"))
    ends_at = models.DateTimeField(_("終了日時"))
    registration_deadline = models.DateTimeField(
        _("申込締切"), null=True, blank=True, help_text=_("空欄: 開始日時まで。")
    )
    capacity = models.PositiveIntegerField(
        _("定員（人）"), validators=[MinValueValidator(1)], help_text=_("人数で数えます。")
    )
    registration_mode = models.CharField(
        _("申込方法"),
        max_length=20,
        choices=RegistrationMode.choices,
        default=RegistrationMode.OPEN,
    )
    barrier_free = models.BooleanField(_("バリアフリー"), default=False)
    sign_language = models.BooleanField(_("手話通訳"), default=False)
    childcare = models.BooleanField(_("託児"), default=False)
    accessibility_note = models.TextField(_("配慮についての補足"), max_length=2000, blank=True)
    status = models.CharField(
        _("状態"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    published_at = models.DateTimeField(_("公開日時"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("中止日時"), null=True, blank=True)
    cancel_reason = models.TextField(_("中止の理由"), max_length=2000, blank=True)
    # After the meeting (meetings.day.reports): the minutes are for the organizer, coordinators
    # and the organizations that took part; the report (開催報告) is public once published.
    minutes = models.TextField(_("議事録"), max_length=20000, blank=True)
    report = models.TextField(_("開催報告"), max_length=10000, blank=True)
    report_published_at = models.DateTimeField(_("開催報告の公開日時"), null=True, blank=True)
    held_at = models.DateTimeField(_("開催済みにした日時"), null=True, blank=True)
    # When the post-meeting form (「もっと話したい団体」) was sent to the participants.
    wishes_requested_at = models.DateTimeField(
        _("参加後アンケートの送信日時"), null=True, blank=True
    )
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    objects = MeetingQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "pk"]
        verbose_name = _("交流の場（会合）")
        verbose_name_plural = _("交流の場（会合）")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(capacity__gte=1), name="meeting_capacity_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="meeting_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def effective_deadline(self):
        return self.registration_deadline or self.starts_at


def _new_token() -> str:
    return secrets.token_urlsafe(32)


class Registration(models.Model):
    class Status(models.TextChoices):
        REGISTERED = "registered", _("参加確定")
        WAITLISTED = "waitlisted", _("キャンセル待ち")
        PENDING_APPROVAL = "pending_approval", _("承認待ち")
        CANCELLED = "cancelled", _("取消")
        DECLINED = "declined", _("お断り")

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("会合"), on_delete=models.CASCADE, related_name="registrations"
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("団体"),
        on_delete=models.CASCADE,
        related_name="meeting_registrations",
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申込者"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    attendees = models.PositiveIntegerField(_("参加人数"), validators=[MinValueValidator(1)])
    # Personal data: shown to the organizer and coordinators only (meetings.services).
    attendee_names = models.JSONField(_("参加者の氏名"), default=list, blank=True)
    status = models.CharField(_("状態"), max_length=20, choices=Status.choices)
    created_at = models.DateTimeField(_("申込日時"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)
    cancelled_at = models.DateTimeField(_("取消日時"), null=True, blank=True)
    # Check-in on the day (meetings.day.attendance): the QR code of a registration carries this
    # token; it opens the check-in for the organizer.
    checkin_token = models.CharField(
        _("受付用コード"), max_length=43, unique=True, default=_new_token, editable=False
    )
    checked_in_at = models.DateTimeField(_("受付日時"), null=True, blank=True)
    attended_people = models.PositiveIntegerField(_("出席人数"), null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("参加申込")
        verbose_name_plural = _("参加申込")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(attendees__gte=1), name="registration_attendees_positive"
            ),
            models.UniqueConstraint(
                fields=["meeting", "organization"],
                condition=models.Q(status__in=["registered", "waitlisted", "pending_approval"]),
                name="registration_one_active_per_organization",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.meeting} — {self.organization} ({self.get_status_display()})"


# Registrations that hold (or wait for) a place: one per organization and meeting.
ACTIVE_STATUSES = (
    Registration.Status.REGISTERED,
    Registration.Status.WAITLISTED,
    Registration.Status.PENDING_APPROVAL,
)


class Invitation(models.Model):
    """An organization invited to a meeting: required to register for an invitation-only
    one (招待制), a personal call to come for the others. ``suggested``: picked from the
    scoring engine's list (meetings.invitations)."""

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("会合"), on_delete=models.CASCADE, related_name="invitations"
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("団体"),
        on_delete=models.CASCADE,
        related_name="meeting_invitations",
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("招待した人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    suggested = models.BooleanField(_("エンジンの提案から"), default=False)
    score = models.FloatField(_("提案時の点数"), null=True, blank=True)
    created_at = models.DateTimeField(_("招待日時"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("招待")
        verbose_name_plural = _("招待")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "organization"], name="invitation_unique")
        ]

    def __str__(self) -> str:
        return f"{self.meeting} — {self.organization}"


class TableGroup(models.Model):
    """A table of a 交流会 (グループ分け), saved by the organizer (meetings.tables)."""

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("会合"), on_delete=models.CASCADE, related_name="tables"
    )
    number = models.PositiveIntegerField(_("テーブル番号"))
    name = models.CharField(_("テーブル名"), max_length=100, blank=True)
    # Why these organizations sit together: a list of short sentences
    # (「子育て支援課のテーマ ↔ 〇〇の会のできること」).
    explanation = models.JSONField(_("組み合わせの理由"), default=list, blank=True)
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    class Meta:
        ordering = ["meeting", "number"]
        verbose_name = _("テーブル")
        verbose_name_plural = _("テーブル")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "number"], name="table_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.meeting} — {self.number}"


class TableSeat(models.Model):
    """A registration seated at a table (one table per registration)."""

    table = models.ForeignKey(
        TableGroup, verbose_name=_("テーブル"), on_delete=models.CASCADE, related_name="seats"
    )
    registration = models.OneToOneField(
        Registration, verbose_name=_("参加申込"), on_delete=models.CASCADE, related_name="seat"
    )

    class Meta:
        ordering = ["table", "registration__organization__name", "pk"]
        verbose_name = _("席")
        verbose_name_plural = _("席")

    def __str__(self) -> str:
        return f"{self.table}: {self.registration.organization}"


class Wish(models.Model):
    """「もっと話したい団体」 from the post-meeting form (meetings.day.wishes): one
    organization that took part names another. It becomes an interest request in the
    coordinators' queue, marked with the meeting."""

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("会合"), on_delete=models.CASCADE, related_name="wishes"
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("希望した団体"),
        on_delete=models.CASCADE,
        related_name="meeting_wishes",
    )
    target = models.ForeignKey(
        Organization,
        verbose_name=_("話したい団体"),
        on_delete=models.CASCADE,
        related_name="meeting_wished_by",
    )
    message = models.TextField(_("ひとこと"), max_length=2000, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("回答した人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    interest_request = models.ForeignKey(
        InterestRequest,
        verbose_name=_("紹介の依頼"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="meeting_wishes",
    )
    created_at = models.DateTimeField(_("回答日時"), auto_now_add=True)

    class Meta:
        ordering = ["meeting", "created_at", "pk"]
        verbose_name = _("参加後の希望")
        verbose_name_plural = _("参加後の希望")
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "organization", "target"], name="wish_unique"
            ),
            models.CheckConstraint(
                condition=~models.Q(organization=models.F("target")), name="wish_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.meeting}: {self.organization} → {self.target}"


def _photo_path(photo: MeetingPhoto, filename: str) -> str:
    return f"meetings/{photo.meeting_id}/{secrets.token_hex(8)}-{filename[-80:]}"


class MeetingPhoto(models.Model):
    """A photo of the public 開催報告 (optional)."""

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("会合"), on_delete=models.CASCADE, related_name="photos"
    )
    image = models.ImageField(_("写真"), upload_to=_photo_path)
    caption = models.CharField(_("説明"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登録した人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("登録日時"), auto_now_add=True)

    class Meta:
        ordering = ["meeting", "created_at", "pk"]
        verbose_name = _("開催報告の写真")
        verbose_name_plural = _("開催報告の写真")

    def __str__(self) -> str:
        return self.caption or self.image.name
