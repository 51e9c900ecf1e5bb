"""A registry file a coordinator uploaded, and its preview, kept until it is imported.

The preview is made once — in the request for a small file, by a worker for a large one,
with its progress — and stored (``report``: the rows as planned, compressed JSON); the
import reads that, never the file again. The file itself (``raw``) is kept only until
its preview is made. Both hold contact details of organizations (個人情報): they are
cleared when the import is done or cancelled, and the row is deleted once it expires
(``TSUNAGU_IMPORT_PREVIEW_HOURS``, 24 h by default; ``uploads.sweep``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class RegistryImport(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("確認の順番待ち")
        PREVIEWING = "previewing", _("内容を確認中")
        READY = "ready", _("確認済み（取り込み待ち）")
        IMPORTING = "importing", _("取り込み中")
        IMPORTED = "imported", _("取り込み済み")
        REFUSED = "refused", _("取り込めませんでした")
        FAILED = "failed", _("失敗")
        CANCELLED = "cancelled", _("取りやめ")

    token = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("取り込んだ人"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    file_name = models.CharField(_("ファイル名"), max_length=255)
    source = models.CharField(_("取込元"), max_length=100)
    status = models.CharField(
        _("状態"), max_length=20, choices=Status.choices, default=Status.QUEUED
    )
    raw = models.BinaryField(_("ファイル"), null=True, blank=True, editable=False)
    report = models.BinaryField(_("確認結果"), null=True, blank=True, editable=False)
    skip_invalid = models.BooleanField(_("エラーの行を飛ばす"), default=False)
    rows_total = models.PositiveIntegerField(_("行数"), default=0)
    rows_done = models.PositiveIntegerField(_("処理済みの行数"), default=0)
    # Counts for the page: create / update / unchanged / bad_lines / errors (the preview),
    # then created / updated / unchanged / skipped_lines (the import).
    summary = models.JSONField(_("結果"), default=dict, blank=True)
    error = models.TextField(_("エラー"), blank=True)
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    # Also the heartbeat of the task working on it: the sweeper sends again what stalled.
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True, db_index=True)
    expires_at = models.DateTimeField(_("有効期限"), db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("団体名簿の取り込み")
        verbose_name_plural = _("団体名簿の取り込み")

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"

    @property
    def percent_done(self) -> int:
        if self.status in (self.Status.READY, self.Status.IMPORTED, self.Status.REFUSED):
            return 100
        if not self.rows_total:
            return 0
        return min(99, self.rows_done * 100 // self.rows_total)

    @property
    def is_working(self) -> bool:
        """A worker has (or will have) something to do on it: the page polls."""
        return self.status in (self.Status.QUEUED, self.Status.PREVIEWING, self.Status.IMPORTING)
