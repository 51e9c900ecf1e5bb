"""Needs (協働テーマ: what one wants to obtain) and offers (シーズ: what one can provide)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from lib.japanese import search_document
from organizations.models import Area, Field, Organization, ResourceKind


class CollaborationForm(models.Model):
    """One of the 8 forms of collaboration (協働の形態): 委託, 共催, 事業協力, …"""

    code = models.SlugField(_("コード"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=60)
    description = models.CharField(_("説明"), max_length=300, blank=True)
    order = models.PositiveSmallIntegerField(_("表示順"), default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("協働の形態")
        verbose_name_plural = _("協働の形態")

    def __str__(self) -> str:
        return self.name


class Support(models.Model):
    """What the poster of a need can itself provide: 会場, 広報, 学校との調整, 費用の一部…"""

    code = models.SlugField(_("コード"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=60)
    order = models.PositiveSmallIntegerField(_("表示順"), default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("提供できる支援")
        verbose_name_plural = _("提供できる支援")

    def __str__(self) -> str:
        return self.name


class Status(models.TextChoices):
    DRAFT = "draft", _("下書き")
    OPEN = "open", _("募集中")
    PAUSED = "paused", _("一時停止")
    CLOSED = "closed", _("終了")
    ARCHIVED = "archived", _("保管")


# Which status may follow which. Archived is final: it keeps history without showing it.
STATUS_TRANSITIONS: dict[str, set[str]] = {
    Status.DRAFT: {Status.OPEN, Status.ARCHIVED},
    Status.OPEN: {Status.PAUSED, Status.CLOSED, Status.ARCHIVED},
    Status.PAUSED: {Status.OPEN, Status.CLOSED, Status.ARCHIVED},
    Status.CLOSED: {Status.OPEN, Status.ARCHIVED},
    Status.ARCHIVED: set(),
}


class Post(models.Model):
    """What needs and offers share."""

    organization = models.ForeignKey(
        Organization, verbose_name=_("投稿団体"), on_delete=models.PROTECT
    )
    title = models.CharField(_("タイトル"), max_length=200)
    description = models.TextField(_("内容"), max_length=5000)
    fields = models.ManyToManyField(Field, verbose_name=_("活動分野"), blank=True)
    areas = models.ManyToManyField(Area, verbose_name=_("地域"), blank=True)
    forms = models.ManyToManyField(CollaborationForm, verbose_name=_("協働の形態"), blank=True)
    resources = models.ManyToManyField(ResourceKind, verbose_name=_("資源"), blank=True)
    starts_on = models.DateField(_("開始日"), null=True, blank=True)
    ends_on = models.DateField(_("終了日"), null=True, blank=True)
    status = models.CharField(
        _("状態"), max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("作成者"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    source = models.CharField(_("取込元"), max_length=100, blank=True, default="")
    external_id = models.CharField(_("取込元のID"), max_length=100, blank=True, default="")
    search_text = models.TextField(editable=False, blank=True, default="")
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-pk"]
        # %(class)s: "need_…" and "offer_…", one definition for both.
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~models.Q(external_id=""),
                name="%(class)s_unique_external_id",
            ),
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True)
                | models.Q(starts_on__isnull=True)
                | models.Q(ends_on__gte=models.F("starts_on")),
                name="%(class)s_period_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        self.search_text = search_document(self.title, self.description)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "search_text"}
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("終了日は開始日以降の日付にしてください。")})
        if self.title is not None and not self.title.strip():
            raise ValidationError({"title": _("タイトルを入力してください。")})

    def can_change_status_to(self, new: str) -> bool:
        return new == self.status or new in STATUS_TRANSITIONS.get(self.status, set())


class Need(Post):
    class Kind(models.TextChoices):
        ADMINISTRATIVE = "administrative", _("行政提案")
        CITIZEN = "citizen", _("市民提案")
        COMMUNITY = "community", _("地域提案")

    kind = models.CharField(_("提案の種類"), max_length=20, choices=Kind.choices)
    poster_supports = models.ManyToManyField(
        Support, verbose_name=_("投稿者が提供できること"), blank=True
    )
    poster_support_note = models.TextField(_("提供できることの詳細"), max_length=2000, blank=True)
    beneficiaries = models.CharField(_("受益者・対象"), max_length=300, blank=True)
    budget_note = models.CharField(_("予算について"), max_length=500, blank=True)
    # How many partners the theme seeks (募集数): a match round gives it up to this many,
    # minus the matches it already has (matching/rounds/).
    partners_wanted = models.PositiveSmallIntegerField(
        _("募集数"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
        help_text=_("一緒に取り組む相手を何団体募集するか。"),
    )

    class Meta(Post.Meta):
        verbose_name = _("ニーズ（協働テーマ）")
        verbose_name_plural = _("ニーズ（協働テーマ）")

    @staticmethod
    def default_kind_for(organization: Organization) -> str:
        if organization.kind == Organization.Kind.CITY_DEPARTMENT:
            return Need.Kind.ADMINISTRATIVE
        if organization.kind in (
            Organization.Kind.NEIGHBORHOOD_ASSOCIATION,
            Organization.Kind.COMMUNITY_COUNCIL,
        ):
            return Need.Kind.COMMUNITY
        return Need.Kind.CITIZEN


class Offer(Post):
    capacity = models.PositiveSmallIntegerField(
        _("同時に受けられる件数"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
        help_text=_("同時に進められる協働の数。"),
    )

    class Meta(Post.Meta):
        verbose_name = _("シーズ（できること）")
        verbose_name_plural = _("シーズ（できること）")
        constraints = [
            *Post.Meta.constraints,
            models.CheckConstraint(
                condition=models.Q(capacity__gte=1), name="offer_capacity_positive"
            ),
        ]
