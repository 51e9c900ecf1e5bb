from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkerHeartbeat(models.Model):
    """Written by the ``tsunagu.ping`` task: proof that a worker consumed a message."""

    token = models.CharField(_("トークン"), max_length=100, unique=True)
    seen_at = models.DateTimeField(_("確認日時"), auto_now=True)

    class Meta:
        verbose_name = _("ワーカー応答")
        verbose_name_plural = _("ワーカー応答")

    def __str__(self) -> str:
        return f"{self.token} @ {self.seen_at:%Y-%m-%d %H:%M:%S}"
