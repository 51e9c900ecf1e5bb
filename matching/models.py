"""Matching: relevance judgments kept for evaluating the scoring engine."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from proposals.models import Need, Offer


class RelevanceJudgment(models.Model):
    """How good a partner an offer is for a need: 0 (not relevant) to 3 (ideal).

    Loaded from evaluation datasets (``source="dataset:<city>"``), used to score rankings.
    """

    need = models.ForeignKey(
        Need,
        verbose_name=_("ニーズ"),
        on_delete=models.CASCADE,
        related_name="relevance_judgments",
    )
    offer = models.ForeignKey(
        Offer,
        verbose_name=_("シーズ"),
        on_delete=models.CASCADE,
        related_name="relevance_judgments",
    )
    grade = models.PositiveSmallIntegerField(
        _("関連度"),
        validators=[MinValueValidator(0), MaxValueValidator(3)],
        help_text=_("3: 理想的な相手、2: よい相手、1: 可能性がある相手、0: 関連なし。"),
    )
    source = models.CharField(_("取込元"), max_length=100, blank=True, default="")
    created_at = models.DateTimeField(_("登録日時"), auto_now_add=True)

    class Meta:
        ordering = ["need", "-grade", "offer"]
        verbose_name = _("関連度の判定")
        verbose_name_plural = _("関連度の判定")
        constraints = [
            models.UniqueConstraint(fields=["need", "offer"], name="relevance_judgment_unique"),
            models.CheckConstraint(
                condition=models.Q(grade__lte=3), name="relevance_judgment_grade_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.need} × {self.offer}: {self.grade}"
