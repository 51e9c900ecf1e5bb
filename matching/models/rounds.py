"""Match rounds (マッチングラウンド): one global assignment of every open need to offers
with places left, proposed into the review queue (matching/rounds/)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from proposals.models import Need, Offer


class MatchRound(models.Model):
    """A round a coordinator started: its progress while it runs, then what it proposed.

    The figures of the whole round (total score, needs served, the per-need greedy
    comparison, exposure) are in ``summary``; each pair and each need's outcome is a row of
    ``RoundPair`` / ``RoundNeed``."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待機中")
        RUNNING = "running", _("実行中")
        DONE = "done", _("完了")
        FAILED = "failed", _("失敗")

    class Phase(models.TextChoices):
        WAITING = "waiting", _("開始待ち")
        RANKING = "ranking", _("候補の計算")
        SOLVING = "solving", _("組合せの最適化")
        PROPOSING = "proposing", _("審査待ちへの登録")
        FINISHED = "finished", _("終了")

    status = models.CharField(
        _("状態"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    phase = models.CharField(_("段階"), max_length=10, choices=Phase.choices, default=Phase.WAITING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("開始した人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    candidates_per_need = models.PositiveSmallIntegerField(_("ニーズごとの候補数"), default=50)
    min_score = models.FloatField(_("基準点"), default=0.25)
    fairness = models.FloatField(_("偏りの調整の強さ"), default=0.0)
    needs_total = models.PositiveIntegerField(_("対象のニーズ数"), default=0)
    needs_ranked = models.PositiveIntegerField(_("候補を計算したニーズ数"), default=0)
    needs_served = models.PositiveIntegerField(_("相手が決まったニーズ数"), default=0)
    needs_unserved = models.PositiveIntegerField(_("相手が決まらなかったニーズ数"), default=0)
    pairs_proposed = models.PositiveIntegerField(_("提案した組合せ数"), default=0)
    total_score = models.FloatField(_("合計点"), default=0.0)
    summary = models.JSONField(_("集計"), default=dict, blank=True)
    error = models.TextField(_("エラー"), blank=True)
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    started_at = models.DateTimeField(_("開始日時"), null=True, blank=True)
    finished_at = models.DateTimeField(_("終了日時"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("マッチングラウンド")
        verbose_name_plural = _("マッチングラウンド")

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_status_display()}"

    @property
    def percent_done(self) -> int:
        """Ranking the needs is most of the work (80 %); solving and proposing the rest."""
        if self.status == self.Status.DONE:
            return 100
        if self.phase == self.Phase.PROPOSING:
            return 95
        if self.phase == self.Phase.SOLVING:
            return 85
        if not self.needs_total:
            return 0
        return int(80 * self.needs_ranked / self.needs_total)

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


class RoundNeed(models.Model):
    """What a round did for one need: how many partners it sought and got, and, for a need
    left (partly) unserved, why."""

    class Outcome(models.TextChoices):
        SERVED = "served", _("相手が決まった")
        PARTIAL = "partial", _("一部決まった")
        UNSERVED = "unserved", _("決まらなかった")

    round = models.ForeignKey(
        MatchRound, verbose_name=_("ラウンド"), on_delete=models.CASCADE, related_name="needs"
    )
    need = models.ForeignKey(
        Need, verbose_name=_("ニーズ"), on_delete=models.CASCADE, related_name="round_outcomes"
    )
    wanted = models.PositiveSmallIntegerField(_("募集数（残り）"))
    assigned = models.PositiveSmallIntegerField(_("割り当てた数"), default=0)
    candidates = models.PositiveSmallIntegerField(_("基準点以上の候補数"), default=0)
    outcome = models.CharField(_("結果"), max_length=10, choices=Outcome.choices)
    # Why not (fully) served: "no_candidate" | "full" | "taken" | "fairness" (see
    # matching.rounds.explain); the offers in the way and who took them in ``detail``.
    reason = models.CharField(_("理由"), max_length=20, blank=True)
    detail = models.JSONField(_("詳細"), default=dict, blank=True)

    class Meta:
        ordering = ["round", "outcome", "need"]
        verbose_name = _("ラウンドのニーズ")
        verbose_name_plural = _("ラウンドのニーズ")
        constraints = [models.UniqueConstraint(fields=["round", "need"], name="round_need_unique")]

    def __str__(self) -> str:
        return f"#{self.round_id} {self.need_id}: {self.get_outcome_display()}"


class RoundPair(models.Model):
    """A pair a round proposed, with why this pair (and not the need's own first choice,
    when they differ)."""

    round = models.ForeignKey(
        MatchRound, verbose_name=_("ラウンド"), on_delete=models.CASCADE, related_name="pairs"
    )
    need = models.ForeignKey(
        Need, verbose_name=_("ニーズ"), on_delete=models.CASCADE, related_name="round_pairs"
    )
    offer = models.ForeignKey(
        Offer, verbose_name=_("シーズ"), on_delete=models.CASCADE, related_name="round_pairs"
    )
    score = models.FloatField(_("点数"))
    rank = models.PositiveSmallIntegerField(_("ニーズの候補での順位"))
    # "first_choice" | "capacity" | "fairness" (matching.rounds.explain)
    reason = models.CharField(_("理由"), max_length=20)
    first_choice = models.ForeignKey(
        Offer,
        verbose_name=_("ニーズ単独での第1候補"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    first_choice_score = models.FloatField(_("第1候補の点数"), null=True, blank=True)
    detail = models.JSONField(_("詳細"), default=dict, blank=True)
    reasons = models.JSONField(_("合う理由"), default=list, blank=True)
    components = models.JSONField(_("内訳"), default=list, blank=True)

    class Meta:
        ordering = ["round", "need", "rank"]
        verbose_name = _("ラウンドの組合せ")
        verbose_name_plural = _("ラウンドの組合せ")
        constraints = [
            models.UniqueConstraint(fields=["round", "need", "offer"], name="round_pair_unique")
        ]

    def __str__(self) -> str:
        return f"#{self.round_id} {self.need_id} × {self.offer_id}"
