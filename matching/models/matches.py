"""Matches: from a coordinator's decision on a suggestion (or a request for an
introduction) to a collaboration that runs, completes and is evaluated.

The state machine (django-fsm-2) and who may fire each transition live in
``matching.matches.workflow``; this module holds the data. ``docs/workflow.md`` draws it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from organizations.models import Organization
from proposals.models import CollaborationForm, Need, Offer


class RejectionReason(models.Model):
    """Why a coordinator rejected a suggested pair (kept as data, editable in the admin)."""

    code = models.SlugField(_("コード"), max_length=40, unique=True)
    label = models.CharField(_("理由"), max_length=100)
    order = models.PositiveSmallIntegerField(_("表示順"), default=0)
    is_active = models.BooleanField(_("使用する"), default=True)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("見送りの理由")
        verbose_name_plural = _("見送りの理由")

    def __str__(self) -> str:
        return self.label


class ReviewDecision(models.Model):
    """A coordinator's decision on a suggested pair: approve, reject or defer.

    The fingerprints record the posts as they were decided on: a rejected pair comes back
    to the queue only when one of the posts has changed materially since.
    """

    class Decision(models.TextChoices):
        APPROVED = "approved", _("承認")
        REJECTED = "rejected", _("見送り")
        DEFERRED = "deferred", _("保留")

    need = models.ForeignKey(
        Need, verbose_name=_("ニーズ"), on_delete=models.CASCADE, related_name="review_decisions"
    )
    offer = models.ForeignKey(
        Offer,
        verbose_name=_("シーズ"),
        on_delete=models.CASCADE,
        related_name="review_decisions",
    )
    decision = models.CharField(_("判断"), max_length=10, choices=Decision.choices)
    reason = models.ForeignKey(
        RejectionReason,
        verbose_name=_("見送りの理由"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    comment = models.TextField(_("コメント"), max_length=2000, blank=True)
    deferred_until = models.DateField(_("保留の期限"), null=True, blank=True)
    need_fingerprint = models.CharField(max_length=64, editable=False)
    offer_fingerprint = models.CharField(max_length=64, editable=False)
    score = models.FloatField(_("判断時の点数"), null=True, blank=True)
    match = models.ForeignKey(
        "matching.Match",
        verbose_name=_("マッチ"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("判断した人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("判断日時"), auto_now=True)
    # The match round whose proposal this decided (matching/rounds/), if any.
    round = models.ForeignKey(
        "matching.MatchRound",
        verbose_name=_("マッチングラウンド"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="decisions",
    )

    class Meta:
        ordering = ["-decided_at"]
        verbose_name = _("提案の審査")
        verbose_name_plural = _("提案の審査")
        constraints = [
            models.UniqueConstraint(fields=["need", "offer"], name="review_decision_unique_pair")
        ]

    def __str__(self) -> str:
        return f"{self.need} × {self.offer}: {self.get_decision_display()}"


class Match(FSMModelMixin, models.Model):
    """A collaboration being coordinated between two or more organizations."""

    class State(models.TextChoices):
        PROPOSED = "proposed", _("提案段階")
        INTRODUCED = "introduced", _("紹介済み")
        CONSULTING = "consulting", _("相談中")
        AGREED = "agreed", _("合意")
        ACTIVE = "active", _("実施中")
        COMPLETED = "completed", _("完了")
        EVALUATED = "evaluated", _("評価済み")
        DECLINED = "declined", _("辞退")
        CANCELLED = "cancelled", _("中止")

    class Origin(models.TextChoices):
        SUGGESTION = "suggestion", _("エンジンの提案")
        INTEREST = "interest", _("団体からの紹介依頼")
        COORDINATOR = "coordinator", _("コーディネーターが作成")
        MEETING = "meeting", _("交流の場での出会い")

    title = models.CharField(_("名称"), max_length=200)
    need = models.ForeignKey(
        Need,
        verbose_name=_("ニーズ"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="matches",
    )
    offer = models.ForeignKey(
        Offer,
        verbose_name=_("シーズ"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="matches",
    )
    origin = models.CharField(
        _("きっかけ"), max_length=20, choices=Origin.choices, default=Origin.SUGGESTION
    )
    # Where it started, in words (「交流会『…』（12月1日）から」): kept from the interest
    # request; matching knows meetings only by this text (meetings sits above matching).
    origin_note = models.CharField(_("きっかけの詳細"), max_length=300, blank=True)
    score = models.FloatField(_("提案時の点数"), null=True, blank=True)
    state = FSMField(
        _("状態"), default=State.PROPOSED, choices=State.choices, protected=True, db_index=True
    )
    coordinator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("担当コーディネーター"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="coordinated_matches",
    )
    # Settled when the parties agree (agreed).
    form = models.ForeignKey(
        CollaborationForm,
        verbose_name=_("協働の形態"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    starts_on = models.DateField(_("開始日"), null=True, blank=True)
    ends_on = models.DateField(_("終了日"), null=True, blank=True)
    budget_note = models.CharField(_("予算について"), max_length=500, blank=True)
    # Bumped each time the terms are recorded or changed: a party confirms one version,
    # and a change re-opens every other party's confirmation.
    terms_revision = models.PositiveIntegerField(_("合意内容の版"), default=0)
    # Introductions must be answered by this day (N business days, holidays excluded).
    response_due_on = models.DateField(_("回答期限"), null=True, blank=True)
    decline_reason = models.TextField(_("辞退・中止の理由"), max_length=2000, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("作成者"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)
    introduced_at = models.DateTimeField(_("紹介日時"), null=True, blank=True)
    agreed_at = models.DateTimeField(_("合意日時"), null=True, blank=True)
    started_at = models.DateTimeField(_("開始日時"), null=True, blank=True)
    completed_at = models.DateTimeField(_("完了日時"), null=True, blank=True)
    closed_at = models.DateTimeField(_("終結日時"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("マッチ")
        verbose_name_plural = _("マッチ")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True)
                | models.Q(starts_on__isnull=True)
                | models.Q(ends_on__gte=models.F("starts_on")),
                name="match_period_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def contacts_revealed(self) -> bool:
        """From ``introduced`` on, the parties see each other's contact details."""
        return self.state not in (self.State.PROPOSED,) and self.introduced_at is not None

    # ------------------------------------------------------------------ state machine
    # The graph only: which state may follow which. Who may fire each transition, what it
    # records and whom it notifies is decided in ``matching.matches.workflow`` (always call
    # that, never these methods directly: the field is protected and only changes through
    # here).
    OPEN_STATES = ("proposed", "introduced", "consulting", "agreed", "active")
    CLOSED_STATES = ("completed", "evaluated", "declined", "cancelled")

    @transition(field=state, source=State.PROPOSED, target=State.INTRODUCED)
    def introduce(self) -> None:
        self.introduced_at = timezone.now()

    @transition(field=state, source=State.INTRODUCED, target=State.CONSULTING)
    def start_consulting(self) -> None:
        pass

    @transition(field=state, source=State.CONSULTING, target=State.AGREED)
    def agree(self) -> None:
        self.agreed_at = timezone.now()

    @transition(field=state, source=State.AGREED, target=State.ACTIVE)
    def activate(self) -> None:
        self.started_at = timezone.now()

    @transition(field=state, source=State.ACTIVE, target=State.COMPLETED)
    def complete(self) -> None:
        self.completed_at = timezone.now()

    @transition(field=state, source=State.COMPLETED, target=State.EVALUATED)
    def mark_evaluated(self) -> None:
        self.closed_at = timezone.now()

    # A party says no before the work starts; once active, only a coordinator ends it.
    @transition(
        field=state,
        source=[State.INTRODUCED, State.CONSULTING, State.AGREED],
        target=State.DECLINED,
    )
    def decline(self) -> None:
        self.closed_at = timezone.now()

    @transition(
        field=state,
        source=[State.PROPOSED, State.INTRODUCED, State.CONSULTING, State.AGREED, State.ACTIVE],
        target=State.CANCELLED,
    )
    def cancel(self) -> None:
        self.closed_at = timezone.now()


class MatchParty(models.Model):
    """An organization taking part in a match (two or more per match)."""

    class Role(models.TextChoices):
        NEED_POSTER = "need_poster", _("ニーズの投稿者")
        OFFER_POSTER = "offer_poster", _("シーズの投稿者")
        PARTNER = "partner", _("協力団体")

    class Response(models.TextChoices):
        PENDING = "pending", _("未回答")
        ACCEPTED = "accepted", _("前向きに検討")
        DECLINED = "declined", _("辞退")

    match = models.ForeignKey(
        Match, verbose_name=_("マッチ"), on_delete=models.CASCADE, related_name="parties"
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("団体"),
        on_delete=models.PROTECT,
        related_name="match_parties",
    )
    role = models.CharField(_("立場"), max_length=20, choices=Role.choices)
    responsibilities = models.TextField(_("役割分担"), max_length=2000, blank=True)
    response = models.CharField(
        _("紹介への回答"), max_length=10, choices=Response.choices, default=Response.PENDING
    )
    responded_at = models.DateTimeField(_("回答日時"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("回答の催促日時"), null=True, blank=True)
    coordinator_alerted_at = models.DateTimeField(
        _("コーディネーターへの通知日時"), null=True, blank=True
    )
    # The party confirmed the recorded terms (form, roles, period, budget); cleared when
    # another party changes them.
    confirmed_at = models.DateTimeField(_("合意内容の確認日時"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("合意内容を確認した人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["match", "pk"]
        verbose_name = _("マッチの参加団体")
        verbose_name_plural = _("マッチの参加団体")
        constraints = [
            models.UniqueConstraint(
                fields=["match", "organization"], name="match_party_unique_organization"
            )
        ]

    def __str__(self) -> str:
        return f"{self.match} — {self.organization}"


class MatchTransition(models.Model):
    """One step of a match's history: who moved it, when, from what to what, and why."""

    match = models.ForeignKey(
        Match, verbose_name=_("マッチ"), on_delete=models.CASCADE, related_name="transitions"
    )
    name = models.CharField(_("操作"), max_length=40)
    source = models.CharField(_("変更前"), max_length=20, choices=Match.State.choices)
    target = models.CharField(_("変更後"), max_length=20, choices=Match.State.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("実行した人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    comment = models.TextField(_("コメント"), max_length=2000, blank=True)
    # The organization the event is about (who answered, confirmed, declined, joined).
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("団体"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # A coordinator let a dated rule go (a start before the agreed start date): why.
    override_reason = models.TextField(_("例外の理由"), max_length=2000, blank=True)
    at = models.DateTimeField(_("日時"), auto_now_add=True)

    class Meta:
        ordering = ["match", "at", "pk"]
        verbose_name = _("マッチの履歴")
        verbose_name_plural = _("マッチの履歴")

    def __str__(self) -> str:
        return f"{self.match}: {self.source} → {self.target}"


class InterestRequest(models.Model):
    """「この団体と話したい」: an organization asks to be introduced to a post's organization.

    It goes to the coordinators' queue; a coordinator turns it into a match or declines it.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("受付中")
        ACCEPTED = "accepted", _("紹介へ")
        DECLINED = "declined", _("見送り")
        WITHDRAWN = "withdrawn", _("取り下げ")

    organization = models.ForeignKey(
        Organization,
        verbose_name=_("依頼した団体"),
        on_delete=models.CASCADE,
        related_name="interest_requests",
    )
    need = models.ForeignKey(
        Need,
        verbose_name=_("関心のあるニーズ"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="interest_requests",
    )
    offer = models.ForeignKey(
        Offer,
        verbose_name=_("関心のあるシーズ"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="interest_requests",
    )
    message = models.TextField(_("メッセージ"), max_length=2000, blank=True)
    # Set when the request came from a meeting's post-meeting form (meetings.day.wishes): the
    # queue shows 「交流の場から」 and the match keeps the origin.
    origin_note = models.CharField(_("きっかけ"), max_length=300, blank=True)
    status = models.CharField(
        _("状態"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("依頼した人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("対応したコーディネーター"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    handled_at = models.DateTimeField(_("対応日時"), null=True, blank=True)
    handling_comment = models.TextField(_("対応のコメント"), max_length=2000, blank=True)
    match = models.ForeignKey(
        Match,
        verbose_name=_("マッチ"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="interest_requests",
    )
    created_at = models.DateTimeField(_("依頼日時"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("紹介の依頼")
        verbose_name_plural = _("紹介の依頼")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(need__isnull=False, offer__isnull=True)
                    | models.Q(need__isnull=True, offer__isnull=False)
                ),
                name="interest_request_one_post",
            ),
            models.UniqueConstraint(
                fields=["organization", "need"],
                condition=models.Q(status="pending", need__isnull=False),
                name="interest_request_one_pending_per_need",
            ),
            models.UniqueConstraint(
                fields=["organization", "offer"],
                condition=models.Q(status="pending", offer__isnull=False),
                name="interest_request_one_pending_per_offer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization} → {self.need or self.offer}"

    @property
    def post(self) -> Need | Offer | None:
        return self.need or self.offer
