"""What a collaboration achieved (evaluations, A–D) and whether it went on (follow-ups)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from matching.models.matches import Match
from organizations.models import Organization


class Evaluation(models.Model):
    """One evaluation of a completed match: by each party and by the coordinator.

    Grades follow docs/evaluation.md: A exceeded its goals, B achieved them, C partly,
    D not achieved.
    """

    class Grade(models.TextChoices):
        A = "A", _("A: 目標を上回った")
        B = "B", _("B: 目標を達成した")
        C = "C", _("C: 一部達成した")
        D = "D", _("D: 達成できなかった")

    class Evaluator(models.TextChoices):
        PARTY = "party", _("参加団体")
        COORDINATOR = "coordinator", _("コーディネーター")

    match = models.ForeignKey(
        Match, verbose_name=_("マッチ"), on_delete=models.CASCADE, related_name="evaluations"
    )
    evaluator = models.CharField(_("評価者"), max_length=20, choices=Evaluator.choices)
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("評価した団体"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="evaluations",
    )
    grade = models.CharField(_("評価"), max_length=1, choices=Grade.choices)
    effects = models.TextField(_("効果"), max_length=5000, blank=True)
    problems = models.TextField(_("問題点"), max_length=5000, blank=True)
    next_steps = models.TextField(_("今後の方向性"), max_length=5000, blank=True)
    publish_consent = models.BooleanField(
        _("事例集への掲載に同意する"),
        default=False,
        help_text=_("同意した場合、完了した協働の事例として公開されることがあります。"),
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("記入した人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("記入日時"), auto_now_add=True)

    class Meta:
        ordering = ["match", "submitted_at"]
        verbose_name = _("評価")
        verbose_name_plural = _("評価")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(grade__in=["A", "B", "C", "D"]), name="evaluation_grade_a_to_d"
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(evaluator="party", organization__isnull=False)
                    | models.Q(evaluator="coordinator", organization__isnull=True)
                ),
                name="evaluation_party_has_organization",
            ),
            models.UniqueConstraint(
                fields=["match", "organization"],
                condition=models.Q(evaluator="party"),
                name="evaluation_one_per_party",
            ),
            models.UniqueConstraint(
                fields=["match"],
                condition=models.Q(evaluator="coordinator"),
                name="evaluation_one_by_coordinator",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.match}: {self.grade}"


class ContinuationFollowUp(models.Model):
    """6 and 12 months after completion: does the collaboration go on?"""

    class Answer(models.TextChoices):
        CONTINUED = "continued", _("継続している")
        CONTINUED_OTHER_FORM = "continued_other_form", _("形を変えて継続している")
        ENDED = "ended", _("終了した")

    match = models.ForeignKey(
        Match, verbose_name=_("マッチ"), on_delete=models.CASCADE, related_name="follow_ups"
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("回答する団体"),
        on_delete=models.PROTECT,
        related_name="follow_ups",
    )
    months = models.PositiveSmallIntegerField(
        _("完了からの月数"), choices=[(6, _("6か月後")), (12, _("12か月後"))]
    )
    due_on = models.DateField(_("確認日"), db_index=True)
    sent_at = models.DateTimeField(_("依頼日時"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("催促日時"), null=True, blank=True)
    answer = models.CharField(_("回答"), max_length=30, choices=Answer.choices, blank=True)
    reason = models.TextField(_("理由・状況"), max_length=2000, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("回答した人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    answered_at = models.DateTimeField(_("回答日時"), null=True, blank=True)

    class Meta:
        ordering = ["due_on", "pk"]
        verbose_name = _("継続状況の確認")
        verbose_name_plural = _("継続状況の確認")
        constraints = [
            models.UniqueConstraint(
                fields=["match", "organization", "months"], name="follow_up_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.match} ({self.months}か月後): {self.get_answer_display() or '未回答'}"


class PublicationConsent(models.Model):
    """A party's decision to let its completed match appear in the public case book
    (事例集). Revocable: ``consented`` goes back to False, and the case leaves the book."""

    match = models.ForeignKey(
        Match,
        verbose_name=_("マッチ"),
        on_delete=models.CASCADE,
        related_name="publication_consents",
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("団体"),
        on_delete=models.PROTECT,
        related_name="publication_consents",
    )
    consented = models.BooleanField(_("掲載に同意"), default=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("判断した人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("判断日時"), null=True, blank=True)

    class Meta:
        ordering = ["match", "pk"]
        verbose_name = _("事例集への掲載の同意")
        verbose_name_plural = _("事例集への掲載の同意")
        constraints = [
            models.UniqueConstraint(
                fields=["match", "organization"], name="publication_consent_one_per_party"
            )
        ]

    def __str__(self) -> str:
        return f"{self.match} — {self.organization}: {self.consented}"


class CasePublication(models.Model):
    """The text a coordinator approved for the public case book (事例集). A case is
    public when this is approved and every active party has consented."""

    match = models.OneToOneField(
        Match, verbose_name=_("マッチ"), on_delete=models.CASCADE, related_name="publication"
    )
    text = models.TextField(_("公開する文章"), max_length=5000, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("承認したコーディネーター"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("承認日時"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    class Meta:
        verbose_name = _("事例集の公開文")
        verbose_name_plural = _("事例集の公開文")

    def __str__(self) -> str:
        return str(self.match)

    @property
    def is_approved(self) -> bool:
        return self.approved_at is not None
