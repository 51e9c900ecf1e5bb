"""Organizations, the people in them, and the shared classifications (fields, areas)."""

from __future__ import annotations

from auditlog.models import LogEntry as AuditLogEntry
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from lib.japanese import search_document


class User(AbstractUser):
    """A person. Roles come from memberships and the coordinator flag."""

    display_name = models.CharField(_("表示名"), max_length=100, blank=True)
    is_coordinator = models.BooleanField(
        _("コーディネーター"),
        default=False,
        help_text=_("協働のコーディネートを担う職員（市民自治推進課、中間支援組織など）。"),
    )
    language = models.CharField(
        _("使用言語"), max_length=8, choices=[("ja", "日本語"), ("en", "English")], default="ja"
    )

    class Meta:
        verbose_name = _("利用者")
        verbose_name_plural = _("利用者")

    def __str__(self) -> str:
        return self.display_name or self.get_username()

    @property
    def is_platform_admin(self) -> bool:
        return self.is_superuser

    @property
    def can_coordinate(self) -> bool:
        """Coordinators and platform admins may act on every organization's posts."""
        return self.is_active and (self.is_coordinator or self.is_superuser)

    def organization_ids(self) -> set[int]:
        if not hasattr(self, "_org_ids"):
            self._org_ids = set(
                self.memberships.filter(organization__is_active=True).values_list(
                    "organization_id", flat=True
                )
            )
        return self._org_ids

    def is_member_of(self, organization_id: int | None) -> bool:
        return organization_id is not None and organization_id in self.organization_ids()

    @property
    def is_department_staff(self) -> bool:
        return self.memberships.filter(
            organization__kind=Organization.Kind.CITY_DEPARTMENT, organization__is_active=True
        ).exists()


class Field(models.Model):
    """One of the 20 activity fields of the NPO Act (特定非営利活動促進法 別表)."""

    code = models.SlugField(_("コード"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=120)
    short_name = models.CharField(_("略称"), max_length=40)
    order = models.PositiveSmallIntegerField(_("表示順"), default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("活動分野")
        verbose_name_plural = _("活動分野")

    def __str__(self) -> str:
        return self.short_name or self.name


class ResourceKind(models.Model):
    """What an organization has or a post provides.

    人材, 知識・経験, 場所, 資金, 情報・ネットワーク.
    """

    code = models.SlugField(_("コード"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=60)
    order = models.PositiveSmallIntegerField(_("表示順"), default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("資源")
        verbose_name_plural = _("資源")

    def __str__(self) -> str:
        return self.name


class Area(models.Model):
    """A place in the hierarchy city → ward → district → neighbourhood association."""

    class Level(models.TextChoices):
        CITY = "city", _("市")
        WARD = "ward", _("区")
        DISTRICT = "district", _("地区")
        NEIGHBORHOOD = "neighborhood", _("自治会区域")

    code = models.SlugField(_("コード"), max_length=60, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    level = models.CharField(_("階層"), max_length=20, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上位の地域"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    order = models.PositiveSmallIntegerField(_("表示順"), default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("地域")
        verbose_name_plural = _("地域")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        node, seen = self.parent, {self.pk}
        while node is not None:
            if node.pk in seen:
                raise ValidationError({"parent": _("地域の階層が循環しています。")})
            seen.add(node.pk)
            node = node.parent

    def ancestors(self) -> list[Area]:
        out, node = [], self.parent
        while node is not None:
            out.append(node)
            node = node.parent
        return out

    @classmethod
    def descendant_ids(cls, roots: list[int]) -> set[int]:
        """Ids of the given areas and everything below them (one query per level)."""
        found, frontier = set(roots), list(roots)
        while frontier:
            frontier = list(
                cls.objects.filter(parent_id__in=frontier)
                .exclude(pk__in=found)
                .values_list("pk", flat=True)
            )
            found.update(frontier)
        return found

    @classmethod
    def tree_choices(cls) -> list[tuple[str, str]]:
        """Areas as (code, label) for a <select>: each under its parent, indented by depth."""
        children: dict[int | None, list[Area]] = {}
        for area in cls.objects.all():
            children.setdefault(area.parent_id, []).append(area)
        out: list[tuple[str, str]] = []

        def walk(parent_id: int | None, depth: int) -> None:
            for area in children.get(parent_id, []):
                out.append((area.code, "\u3000" * depth + area.name))
                walk(area.pk, depth + 1)

        walk(None, 0)
        return out

    @classmethod
    def ancestor_ids(cls, roots: list[int]) -> set[int]:
        parents = dict(cls.objects.values_list("pk", "parent_id"))
        found: set[int] = set()
        for pk in roots:
            node = parents.get(pk)
            while node is not None and node not in found:
                found.add(node)
                node = parents.get(node)
        return found


class Organization(models.Model):
    class Kind(models.TextChoices):
        NPO_CORPORATION = "npo_corporation", _("NPO法人")
        CITIZEN_GROUP = "citizen_group", _("市民活動団体")
        NEIGHBORHOOD_ASSOCIATION = "neighborhood_association", _("自治会・町内会")
        COMMUNITY_COUNCIL = "community_council", _("地区協議会・まちづくり協議会")
        BUSINESS = "business", _("事業者")
        UNIVERSITY = "university", _("大学")
        SCHOOL = "school", _("学校")
        CITY_DEPARTMENT = "city_department", _("市の部署")
        INTERMEDIARY = "intermediary", _("中間支援組織")

    class NpoStatus(models.TextChoices):
        NONE = "", _("該当なし")
        CERTIFIED = "certified", _("認証")
        ACCREDITED = "accredited", _("認定")
        DESIGNATED = "designated", _("指定")

    name = models.CharField(_("団体名"), max_length=200)
    name_kana = models.CharField(_("団体名（ふりがな）"), max_length=200, blank=True)
    kind = models.CharField(_("種別"), max_length=40, choices=Kind.choices)
    npo_status = models.CharField(
        _("NPO法人の認証・認定"),
        max_length=20,
        choices=NpoStatus.choices,
        blank=True,
        default=NpoStatus.NONE,
        help_text=_("NPO法人のみ: 認証（所轄庁の認証）、認定、条例による指定。"),
    )
    description = models.TextField(_("団体の紹介"), max_length=5000, blank=True)
    fields = models.ManyToManyField(Field, verbose_name=_("活動分野"), blank=True)
    areas = models.ManyToManyField(Area, verbose_name=_("活動地域"), blank=True)
    resources = models.ManyToManyField(ResourceKind, verbose_name=_("持っている資源"), blank=True)
    website = models.URLField(_("ウェブサイト"), blank=True)
    # Private contact details: never in public responses (see organizations.api).
    contact_name = models.CharField(_("連絡担当者"), max_length=100, blank=True)
    contact_email = models.EmailField(_("連絡先メールアドレス"), blank=True)
    contact_phone = models.CharField(_("連絡先電話番号"), max_length=40, blank=True)
    address = models.CharField(_("所在地"), max_length=300, blank=True)
    activity_checked_on = models.DateField(
        _("活動状況の確認日"),
        null=True,
        blank=True,
        help_text=_("活動状況確認を最後に行った日。"),
    )
    is_active = models.BooleanField(_("活動中"), default=True)
    is_verified = models.BooleanField(
        _("確認済み"), default=False, help_text=_("コーディネーターが団体の実在を確認したか。")
    )
    # Set when the organization's personal data was erased at its request (docs/security.md):
    # the row stays, anonymised, so that partners' match history and the KPIs keep it.
    deleted_at = models.DateTimeField(_("削除（匿名化）日時"), null=True, blank=True)
    source = models.CharField(_("取込元"), max_length=100, blank=True, default="")
    external_id = models.CharField(_("取込元のID"), max_length=100, blank=True, default="")
    search_text = models.TextField(editable=False, blank=True, default="")
    created_at = models.DateTimeField(_("登録日時"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("団体")
        verbose_name_plural = _("団体")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~models.Q(external_id=""),
                name="organization_unique_external_id",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.search_text = search_document(self.name, self.name_kana, self.description)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "search_text"}
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if self.npo_status and self.kind != self.Kind.NPO_CORPORATION:
            raise ValidationError(
                {"npo_status": _("認証・認定・指定はNPO法人にのみ設定できます。")}
            )

    @property
    def is_city_department(self) -> bool:
        return self.kind == self.Kind.CITY_DEPARTMENT


class Membership(models.Model):
    class Role(models.TextChoices):
        MEMBER = "member", _("メンバー")
        ADMIN = "admin", _("団体管理者")

    user = models.ForeignKey(
        User, verbose_name=_("利用者"), on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("団体"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    role = models.CharField(_("役割"), max_length=20, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(_("登録日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("所属")
        verbose_name_plural = _("所属")
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.organization} ({self.get_role_display()})"


class DeletionRequest(models.Model):
    """An organization's request that its personal data be erased (個人情報の消去の請求).

    Recorded by the organization's admin, carried out by a coordinator (``matching.privacy``)
    before ``due_on``; see docs/security.md for why a coordinator confirms it first.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("受付中")
        DONE = "done", _("削除済み")
        REJECTED = "rejected", _("対応しない")

    organization = models.ForeignKey(
        Organization,
        verbose_name=_("団体"),
        on_delete=models.PROTECT,
        related_name="deletion_requests",
    )
    requested_by = models.ForeignKey(
        User, verbose_name=_("請求した人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(_("理由"), max_length=2000)
    status = models.CharField(
        _("状態"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    requested_at = models.DateTimeField(_("請求日時"), auto_now_add=True)
    due_on = models.DateField(_("対応期限"))
    handled_by = models.ForeignKey(
        User,
        verbose_name=_("対応したコーディネーター"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    handled_at = models.DateTimeField(_("対応日時"), null=True, blank=True)
    handling_note = models.TextField(_("対応の記録"), max_length=2000, blank=True)

    class Meta:
        ordering = ["status", "due_on", "pk"]
        verbose_name = _("削除の請求")
        verbose_name_plural = _("削除の請求")
        constraints = [
            models.UniqueConstraint(
                fields=["organization"],
                condition=models.Q(status="pending"),
                name="deletion_request_one_pending",
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization} ({self.get_status_display()})"


class PersonalDataAccess(AuditLogEntry):
    """Read-only view of the access log: django-auditlog entries with ``action=ACCESS``
    written by ``organizations.privacy.log_personal_data_access``."""

    class Meta:
        proxy = True
        verbose_name = _("個人情報の閲覧記録")
        verbose_name_plural = _("個人情報の閲覧記録")
