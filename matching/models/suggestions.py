"""The engine side of matching: profiles, synonyms, analyses, suggestions, re-score runs."""

from __future__ import annotations

import uuid

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


class MatchingProfile(models.Model):
    """The weights and rules the scoring engine uses (one profile is active per deployment).

    Every suggestion records the profile name and weights it was computed with.
    """

    name = models.CharField(_("名前"), max_length=100, unique=True)
    is_active = models.BooleanField(_("使用中"), default=False)
    w_text = models.FloatField(
        _("重み: 内容の近さ"), default=0.40, validators=[MinValueValidator(0)]
    )
    w_reciprocity = models.FloatField(
        _("重み: 双方向の一致"), default=0.15, validators=[MinValueValidator(0)]
    )
    w_field = models.FloatField(_("重み: 分野"), default=0.05, validators=[MinValueValidator(0)])
    w_area = models.FloatField(_("重み: 活動地域"), default=0.15, validators=[MinValueValidator(0)])
    w_form = models.FloatField(_("重み: 協働形態"), default=0.10, validators=[MinValueValidator(0)])
    w_period = models.FloatField(_("重み: 期間"), default=0.10, validators=[MinValueValidator(0)])
    w_capacity = models.FloatField(
        _("重み: 受け入れ余力"), default=0.05, validators=[MinValueValidator(0)]
    )
    w_commercial = models.FloatField(
        _("重み: 協働の性格（売り込みでないか）"), default=0.08, validators=[MinValueValidator(0)]
    )
    fairness = models.FloatField(
        _("偏りの調整の強さ"),
        default=0.5,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text=_(
            "0で無効。同じ団体ばかりが提案されないよう、すでに多くの提案・マッチを持つ団体の"
            "点数を最大でこの割合だけ下げます。"
        ),
    )
    fairness_saturation = models.PositiveIntegerField(
        _("偏りの調整が最大になる件数"),
        default=20,
        validators=[MinValueValidator(1)],
        help_text=_(
            "ほかのテーマへの提案と進行中のマッチがこの件数に達した団体で、調整が最大になります。"
            "同じリストでは、同じ団体の3件目で最大です。"
        ),
    )
    require_form_overlap = models.BooleanField(
        _("協働形態が一つも合わない組合せを除く"), default=True
    )
    min_score = models.FloatField(
        _("提案する最低点"),
        default=0.25,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
    )
    top_k = models.PositiveSmallIntegerField(
        _("投稿ごとの提案数"), default=20, validators=[MinValueValidator(1), MaxValueValidator(200)]
    )
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    WEIGHT_FIELDS = {
        "text": "w_text",
        "reciprocity": "w_reciprocity",
        "field": "w_field",
        "area": "w_area",
        "form": "w_form",
        "period": "w_period",
        "capacity": "w_capacity",
        "commercial": "w_commercial",
    }

    class Meta:
        verbose_name = _("マッチング設定")
        verbose_name_plural = _("マッチング設定")
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"],
                condition=models.Q(is_active=True),
                name="matching_profile_one_active",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if sum(getattr(self, f) for f in self.WEIGHT_FIELDS.values()) <= 0:
            raise ValidationError(_("少なくとも一つの重みを0より大きくしてください。"))

    def weights(self) -> dict[str, float]:
        out = {name: getattr(self, f) for name, f in self.WEIGHT_FIELDS.items()}
        out["fairness"] = self.fairness
        return out


class SynonymGroup(models.Model):
    """Words the engine treats as meaning the same (高齢者 ≈ シニア ≈ お年寄り).

    Seeded from ``matching/engine/data/synonyms.yaml``; coordinators edit them here.
    """

    terms = models.TextField(
        _("語"),
        max_length=2000,
        help_text=_(
            "同じ意味として扱う語を「、」または改行で区切って入力します。先頭の語が見出しです。"
        ),
    )
    note = models.CharField(_("メモ"), max_length=200, blank=True)
    is_active = models.BooleanField(_("使用する"), default=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("類義語")
        verbose_name_plural = _("類義語")

    def __str__(self) -> str:
        return " ≈ ".join(self.term_list()[:4])

    def term_list(self) -> list[str]:
        import re

        return [t.strip() for t in re.split(r"[、,，\n]", self.terms) if t.strip()]

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if len(self.term_list()) < 2:
            raise ValidationError({"terms": _("二つ以上の語を入力してください。")})


class PostAnalysis(models.Model):
    """The engine's analysis of a post's text, kept so that an index over 100,000 posts is
    built without tokenizing them again."""

    class Kind(models.TextChoices):
        NEED = "need", _("ニーズ")
        OFFER = "offer", _("シーズ")

    kind = models.CharField(_("種類"), max_length=5, choices=Kind.choices)
    post_id = models.BigIntegerField(_("投稿ID"))
    version = models.CharField(_("解析の版"), max_length=40)
    text_hash = models.CharField(_("本文のハッシュ"), max_length=64)
    data = models.JSONField(_("解析結果"))
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    class Meta:
        verbose_name = _("投稿の解析")
        verbose_name_plural = _("投稿の解析")
        constraints = [
            models.UniqueConstraint(fields=["kind", "post_id"], name="post_analysis_unique")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.post_id} ({self.version})"


class Suggestion(models.Model):
    """A pair the engine suggests, with why."""

    need = models.ForeignKey(
        Need, verbose_name=_("ニーズ"), on_delete=models.CASCADE, related_name="suggestions"
    )
    offer = models.ForeignKey(
        Offer, verbose_name=_("シーズ"), on_delete=models.CASCADE, related_name="suggestions"
    )
    score = models.FloatField(_("点数"))
    components = models.JSONField(_("内訳"), default=list)
    reasons = models.JSONField(_("理由"), default=list)
    weaknesses = models.JSONField(_("弱い点"), default=list)
    engine_version = models.CharField(_("エンジンの版"), max_length=40)
    profile_name = models.CharField(_("マッチング設定"), max_length=100)
    weights = models.JSONField(_("重み"), default=dict)
    computed_at = models.DateTimeField(_("計算日時"))
    # The match round that proposed this pair (matching/rounds/): it stays in the review
    # queue, marked with its round, until decided or until the next round.
    round = models.ForeignKey(
        "matching.MatchRound",
        verbose_name=_("マッチングラウンド"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="suggestions",
    )

    class Meta:
        ordering = ["-score", "pk"]
        verbose_name = _("提案")
        verbose_name_plural = _("提案")
        constraints = [
            models.UniqueConstraint(fields=["need", "offer"], name="suggestion_unique_pair")
        ]
        indexes = [
            models.Index(fields=["need", "-score"], name="suggestion_need_score"),
            models.Index(fields=["offer", "-score"], name="suggestion_offer_score"),
        ]

    def __str__(self) -> str:
        return f"{self.need} × {self.offer} ({self.score:.2f})"

    def breakdown(self) -> dict[str, float]:
        return {c["name"]: c["contribution"] for c in self.components}


class RescoreRun(models.Model):
    """A full re-score of every open need, run as chunked tasks over all workers."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待機中")
        RUNNING = "running", _("実行中")
        DONE = "done", _("完了")
        FAILED = "failed", _("失敗")

    status = models.CharField(
        _("状態"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    requested_by = models.ForeignKey(
        "organizations.User",
        verbose_name=_("実行した人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    chunk_size = models.PositiveIntegerField(_("チャンクの大きさ"), default=100)
    total_chunks = models.PositiveIntegerField(_("チャンク数"), default=0)
    done_chunks = models.PositiveIntegerField(_("完了したチャンク数"), default=0)
    needs_total = models.PositiveIntegerField(_("対象のニーズ数"), default=0)
    suggestions_written = models.PositiveIntegerField(_("書き込んだ提案数"), default=0)
    error = models.TextField(_("エラー"), blank=True)
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    started_at = models.DateTimeField(_("開始日時"), null=True, blank=True)
    finished_at = models.DateTimeField(_("終了日時"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("全体の再計算")
        verbose_name_plural = _("全体の再計算")

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_status_display()} {self.percent_done}%"

    @property
    def percent_done(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.total_chunks:
            return 0
        return int(100 * self.done_chunks / self.total_chunks)


class SuggestionNotice(models.Model):
    """What the members of a post's organization have been told about its suggestions:
    the partners already announced, so the hourly batch announces each pair once even when
    re-scores remove and add it again."""

    class Kind(models.TextChoices):
        NEED = "need", _("ニーズ")
        OFFER = "offer", _("シーズ")

    kind = models.CharField(_("種類"), max_length=5, choices=Kind.choices)
    post_id = models.BigIntegerField(_("投稿ID"))
    announced_ids = models.JSONField(_("お知らせ済みの相手"), default=list, blank=True)
    rounds = models.PositiveIntegerField(_("お知らせの回数"), default=0)
    seen_until = models.DateTimeField(_("確認済みの計算日時"), null=True, blank=True)
    last_announced_at = models.DateTimeField(_("最後にお知らせした日時"), null=True, blank=True)

    class Meta:
        verbose_name = _("提案のお知らせ")
        verbose_name_plural = _("提案のお知らせ")
        constraints = [
            models.UniqueConstraint(fields=["kind", "post_id"], name="suggestion_notice_unique")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.post_id}: {self.rounds}"


class PendingRescore(models.Model):
    """An outbox row: this post's suggestions must be recomputed.

    Written in the transaction that changes the post, removed by the task once it has
    scored the post. A message lost to a broker outage or a dead worker only delays the
    work: the sweeper (``matching.sweep_rescores``, every minute) sends what is left.
    ``token`` changes with every request, so a task removes the row only if the post was
    not changed again while it was scoring."""

    kind = models.CharField(_("種類"), max_length=5)  # "need" | "offer"
    post_id = models.PositiveBigIntegerField(_("投稿ID"))
    token = models.UUIDField(_("依頼トークン"))
    requested_at = models.DateTimeField(_("依頼日時"))

    class Meta:
        verbose_name = _("再計算待ち")
        verbose_name_plural = _("再計算待ち")
        constraints = [
            models.UniqueConstraint(fields=["kind", "post_id"], name="pending_rescore_unique")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.post_id}"


class IndexChange(models.Model):
    """One change to what the engine indexes, appended in the change's own transaction.

    A side's generation is its latest row (id and stamp): a process keeps its cached index
    while that is unchanged (docs/matching.md, "The index"). Rows are only ever inserted,
    so concurrent changes never wait on each other or deadlock over a shared counter row;
    a rolled-back change takes its row with it, and the random stamp keeps a reused id
    from naming another state. Old rows are pruned by the index merge task."""

    side = models.CharField(_("種類"), max_length=5)  # "need" | "offer"
    # The post changed (its side's need or offer id); empty for a change of the whole side
    # (an area tree, the analysis): a post's change reaches ranking through a small delta
    # segment, a whole-side change through a rebuild.
    post_id = models.BigIntegerField(_("投稿"), null=True, blank=True)
    stamp = models.UUIDField(_("識別子"), default=uuid.uuid4)
    created_at = models.DateTimeField(_("日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("索引の変更")
        verbose_name_plural = _("索引の変更")
        indexes = [
            models.Index(fields=["side", "-id"], name="index_change_latest"),
            models.Index(fields=["side", "created_at"], name="index_change_since"),
        ]

    def __str__(self) -> str:
        return f"{self.side} {self.pk}"
