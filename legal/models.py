"""Published versions of the legal documents, and who agreed to which version when."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    TERMS = "terms", _("利用規約")
    PRIVACY = "privacy", _("プライバシーポリシー")
    CONTACT = "contact", _("問い合わせ先")


# The documents a person agrees to (the contact page is information only).
CONSENT_KINDS = (Kind.TERMS, Kind.PRIVACY)
CONSENT_KIND_CHOICES = [(kind.value, kind.label) for kind in CONSENT_KINDS]


class Document(models.Model):
    """One published version of a document. Never edited after publication: an edit is a
    new version (``legal.services.publish``), so that a consent always points to the text
    the person saw."""

    kind = models.CharField(_("種類"), max_length=16, choices=Kind.choices)
    version = models.PositiveIntegerField(_("版"))
    title = models.CharField(_("題名"), max_length=200)
    body = models.TextField(
        _("本文"),
        help_text=_(
            "段落は空行で区切ります。「# 」で始まる段落は見出し、"
            "「- 」で始まる行は箇条書きになります。"
        ),
    )
    title_en = models.CharField(_("題名（英語）"), max_length=200, blank=True)
    body_en = models.TextField(_("本文（英語）"), blank=True)
    summary = models.CharField(
        _("変更の概要"), max_length=500, blank=True, help_text=_("同意を求める画面に表示します。")
    )
    requires_consent = models.BooleanField(
        _("同意を求める"),
        default=True,
        help_text=_("軽微な修正では求めません。問い合わせ先は同意の対象ではありません。"),
    )
    published_at = models.DateTimeField(_("公開日時"), default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("公開した人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("規約・ポリシーの版")
        verbose_name_plural = _("規約・ポリシーの版")
        ordering = ["kind", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "version"], name="legal_one_number_per_version")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} 第{self.version}版"

    @property
    def in_english(self) -> bool:
        """Shown in English: the reader's language is English and this version has it."""
        return (get_language() or "ja").startswith("en") and bool(self.body_en.strip())

    @property
    def shown_title(self) -> str:
        return self.title_en if self.in_english and self.title_en else self.title

    @property
    def shown_body(self) -> str:
        return self.body_en if self.in_english else self.body


class Consent(models.Model):
    """A person agreed to one version. Kind and version are copied from the document so
    that the record reads on its own. No IP address or browser is kept: the account and
    the time identify the agreement, and the Act asks to keep no more than is needed."""

    class Via(models.TextChoices):
        SIGNUP = "signup", _("団体の登録")
        WEB = "web", _("画面")
        API = "api", _("API")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("利用者"),
        on_delete=models.CASCADE,
        related_name="legal_consents",
    )
    document = models.ForeignKey(
        Document, verbose_name=_("版"), on_delete=models.PROTECT, related_name="consents"
    )
    kind = models.CharField(_("種類"), max_length=16, choices=Kind.choices)
    version = models.PositiveIntegerField(_("版"))
    agreed_at = models.DateTimeField(_("同意日時"), default=timezone.now)
    via = models.CharField(_("経路"), max_length=16, choices=Via.choices, default=Via.WEB)

    class Meta:
        verbose_name = _("同意の記録")
        verbose_name_plural = _("同意の記録")
        ordering = ["-agreed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "document"], name="legal_one_consent_per_version"
            )
        ]
        indexes = [models.Index(fields=["user", "kind", "version"])]

    def __str__(self) -> str:
        return f"{self.user} — {self.document}"
