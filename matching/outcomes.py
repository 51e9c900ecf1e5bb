"""What happens around and after a collaboration: response deadlines, evaluations (A–D),
continuation follow-ups at 6 and 12 months, the continuation rate and the case book.

Plain service functions, called by the API (``matching.api_outcomes``), the Celery tasks
(``matching.tasks_outcomes``) and the ``match_transitioned`` receiver below. Rules and
definitions: ``docs/evaluation.md``.

Every function that depends on the date takes ``today`` (or ``now``) so that tests and
back-fills control the clock; by default it is the current date in Asia/Tokyo.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from matching import links
from notifications.services import notify
from organizations.models import Field, Organization

from .calendar import add_months, business_days_between, fiscal_year, is_business_day
from .models import ContinuationFollowUp, Evaluation, Match, MatchParty
from .permissions import is_coordinator
from .signals import match_transitioned

logger = logging.getLogger(__name__)

FOLLOW_UP_MONTHS: tuple[int, ...] = (6, 12)
# An unanswered follow-up request is reminded once, this many days after it was sent.
FOLLOW_UP_REMINDER_DAYS = 14
# The coordinator is alerted this many business days after a party was reminded.
ALERT_AFTER_BUSINESS_DAYS = 1
CONTINUED_ANSWERS = (
    ContinuationFollowUp.Answer.CONTINUED,
    ContinuationFollowUp.Answer.CONTINUED_OTHER_FORM,
)
# Follow-ups are asked (and may be answered) only for matches that really completed.
DONE_STATES = (Match.State.COMPLETED, Match.State.EVALUATED)


# --- Errors ---------------------------------------------------------------------------
class OutcomeError(Exception):
    """A refused request; ``status`` is the HTTP status the API answers with."""

    status = 400

    def __init__(self, message: Any, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field


class InvalidOutcome(OutcomeError):
    status = 400


class OutcomeForbidden(OutcomeError):
    status = 403


class OutcomeConflict(OutcomeError):
    status = 409


# --- Clock and recipients -------------------------------------------------------------
def _clock(today: dt.date | None) -> tuple[dt.date, dt.datetime]:
    """(today, the timestamp to record). A ``today`` other than the real one is a
    controlled clock: stamps are then that day at 9:00 local time, when the daily tasks
    run."""
    now = timezone.now()
    if today is None or today == timezone.localdate(now):
        return timezone.localdate(now), now
    return today, timezone.make_aware(dt.datetime.combine(today, dt.time(9, 0)))


def _local_date(moment: dt.datetime) -> dt.date:
    return timezone.localdate(moment) if timezone.is_aware(moment) else moment.date()


def organization_members(organization_ids: Iterable[int]) -> QuerySet:
    """Active members of active organizations (the people who answer for them)."""
    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            memberships__organization_id__in=list(organization_ids),
            memberships__organization__is_active=True,
        )
        .distinct()
        .order_by("pk")
    )


def match_coordinators(match: Match) -> list:
    """The match's coordinator, or every active coordinator when none is assigned."""
    if match.coordinator_id and match.coordinator.is_active:
        return [match.coordinator]
    return list(get_user_model().objects.filter(is_active=True, is_coordinator=True).order_by("pk"))


def active_parties(match: Match) -> QuerySet[MatchParty]:
    """Parties that take part in the collaboration (a party that declined the
    introduction neither evaluates nor is asked about continuation)."""
    return match.parties.exclude(response=MatchParty.Response.DECLINED).select_related(
        "organization"
    )


def _match_url(match: Match) -> str:
    return links.match_page(match.pk)


# --- 5. Response deadlines ------------------------------------------------------------
@dataclass
class ReminderRun:
    reminded: int = 0
    alerted: int = 0


def send_response_reminders(today: dt.date | None = None) -> ReminderRun:
    """Remind the parties that let an introduction's deadline pass, then alert the
    coordinator about those still silent a business day after their reminder.

    Runs on business days only (city offices are closed otherwise): a deadline passing on
    Friday is reminded on Monday, and the coordinator alerted on Tuesday. Each party is
    reminded once and alerted about once (``reminded_at`` / ``coordinator_alerted_at``,
    plus notification dedupe keys, so a re-run or duplicated task never notifies twice).
    """
    today, now = _clock(today)
    run = ReminderRun()
    if not is_business_day(today):
        return run
    pending = MatchParty.objects.filter(
        match__state=Match.State.INTRODUCED,
        match__response_due_on__isnull=False,
        response=MatchParty.Response.PENDING,
    )
    # Alerts first: a party reminded in this run is never alerted in the same run.
    for party_id in pending.filter(
        reminded_at__isnull=False, coordinator_alerted_at__isnull=True
    ).values_list("pk", flat=True):
        run.alerted += _alert_coordinator(party_id, today, now)
    for party_id in pending.filter(
        match__response_due_on__lt=today, reminded_at__isnull=True
    ).values_list("pk", flat=True):
        run.reminded += _remind_party(party_id, today, now)
    return run


def _locked_pending_party(party_id: int) -> MatchParty | None:
    party = (
        MatchParty.objects.select_for_update(of=("self",))
        .select_related("match", "organization", "match__coordinator")
        .filter(pk=party_id)
        .first()
    )
    if (
        party is None
        or party.response != MatchParty.Response.PENDING
        or party.match.state != Match.State.INTRODUCED
        or party.match.response_due_on is None
    ):
        return None
    return party


@transaction.atomic
def _remind_party(party_id: int, today: dt.date, now: dt.datetime) -> int:
    party = _locked_pending_party(party_id)
    if party is None or party.reminded_at is not None or party.match.response_due_on >= today:
        return 0
    match = party.match
    notify(
        organization_members([party.organization_id]),
        "match.response_reminder",
        str(_("【回答のお願い】「%(title)s」のご紹介への回答期限が過ぎています"))
        % {"title": match.title},
        str(
            _(
                "「%(title)s」のご紹介について、%(due)sまでに回答をお願いしていました。"
                "協働を検討いただけるか、辞退されるかをお知らせください。"
            )
        )
        % {"title": match.title, "due": match.response_due_on.isoformat()},
        url=_match_url(match),
        payload={"match": match.pk, "organization": party.organization_id},
        dedupe_key=f"match:{match.pk}:party:{party.pk}:response-reminder",
    )
    party.reminded_at = now
    party.save(update_fields=["reminded_at"])
    return 1


@transaction.atomic
def _alert_coordinator(party_id: int, today: dt.date, now: dt.datetime) -> int:
    party = _locked_pending_party(party_id)
    if party is None or party.reminded_at is None or party.coordinator_alerted_at is not None:
        return 0
    reminded_on = _local_date(party.reminded_at)
    if business_days_between(reminded_on, today) < ALERT_AFTER_BUSINESS_DAYS:
        return 0
    match = party.match
    notify(
        match_coordinators(match),
        "match.response_overdue",
        str(_("【要対応】%(org)sから「%(title)s」のご紹介への回答がありません"))
        % {"org": party.organization.name, "title": match.title},
        str(
            _(
                "%(org)sは回答期限（%(due)s）を過ぎ、%(reminded)sに催促した後も"
                "回答していません。連絡を取るか、紹介の扱いを判断してください。"
            )
        )
        % {
            "org": party.organization.name,
            "due": match.response_due_on.isoformat(),
            "reminded": reminded_on.isoformat(),
        },
        url=links.coordinator_match_page(match.pk),
        payload={"match": match.pk, "organization": party.organization_id},
        dedupe_key=f"match:{match.pk}:party:{party.pk}:response-overdue",
    )
    party.coordinator_alerted_at = now
    party.save(update_fields=["coordinator_alerted_at"])
    return 1


# --- Completion: follow-ups and evaluation requests -----------------------------------
def completion_date(match: Match) -> dt.date:
    return _local_date(match.completed_at) if match.completed_at else timezone.localdate()


def schedule_follow_ups(match: Match) -> list[ContinuationFollowUp]:
    """One follow-up per active party at 6 and at 12 months after completion (idempotent:
    existing rows are kept as they are)."""
    completed_on = completion_date(match)
    rows: list[ContinuationFollowUp] = []
    with transaction.atomic():
        for party in active_parties(match):
            for months in FOLLOW_UP_MONTHS:
                row, _created = ContinuationFollowUp.objects.get_or_create(
                    match=match,
                    organization_id=party.organization_id,
                    months=months,
                    defaults={"due_on": add_months(completed_on, months)},
                )
                rows.append(row)
    return rows


def request_evaluations(match: Match) -> None:
    """Ask every active party and the coordinator to evaluate the completed match."""
    title = str(_("【評価のお願い】「%(title)s」が完了しました")) % {"title": match.title}
    body = str(
        _(
            "協働の成果をA〜Dで評価し、効果・問題点・今後の方向性を記入してください。"
            "事例集への掲載に同意いただけるかもお尋ねします。"
        )
    )
    url = links.match_page(match.pk, "evaluation")
    org_ids = [p.organization_id for p in active_parties(match)]
    notify(
        organization_members(org_ids),
        "match.evaluation_request",
        title,
        body,
        url=url,
        payload={"match": match.pk},
        dedupe_key=f"match:{match.pk}:evaluation-request",
    )
    notify(
        match_coordinators(match),
        "match.evaluation_request",
        title,
        body,
        url=url,
        payload={"match": match.pk, "coordinator": True},
        dedupe_key=f"match:{match.pk}:evaluation-request",
    )


@receiver(match_transitioned, dispatch_uid="matching.outcomes.on_match_transitioned")
def on_match_transitioned(sender, match: Match, target: str, **kwargs: Any) -> None:
    """Sent by the workflow inside its transaction: a failure here rolls the transition
    back, so a completed match always has its follow-ups."""
    if target == Match.State.COMPLETED:
        schedule_follow_ups(match)
        request_evaluations(match)


# --- 6. Evaluations -------------------------------------------------------------------
GRADES = tuple(Evaluation.Grade.values)


def evaluation_status(match: Match) -> dict[str, Any]:
    """Who has evaluated and who is still awaited."""
    parties = list(active_parties(match))
    done = set(
        match.evaluations.filter(evaluator=Evaluation.Evaluator.PARTY).values_list(
            "organization_id", flat=True
        )
    )
    return {
        "awaiting": [p.organization for p in parties if p.organization_id not in done],
        "awaiting_coordinator": not match.evaluations.filter(
            evaluator=Evaluation.Evaluator.COORDINATOR
        ).exists(),
    }


def record_evaluation(
    match: Match,
    user,
    organization: Organization | None,
    grade: str,
    effects: str = "",
    problems: str = "",
    next_steps: str = "",
    publish_consent: bool = False,
) -> Evaluation:
    """Record one evaluation: by a member of a party organization (``organization``), or
    by a coordinator (``organization=None``). When every active party and the
    coordinator have evaluated, the match moves to ``evaluated``.

    Raises ``OutcomeForbidden`` (403), ``InvalidOutcome`` (400) or ``OutcomeConflict``
    (409); nothing is changed then.
    """
    with transaction.atomic():
        # One evaluation at a time per match: the last one sees the complete set.
        match = (
            Match.objects.select_for_update(of=("self",))
            .select_related("coordinator")
            .get(pk=match.pk)
        )
        if organization is None:
            if not is_coordinator(user):
                raise OutcomeForbidden(
                    _("コーディネーターの評価はコーディネーターだけが記入できます。")
                )
            evaluator = Evaluation.Evaluator.COORDINATOR
        else:
            if not active_parties(match).filter(organization_id=organization.pk).exists():
                raise OutcomeForbidden(_("この団体はこのマッチの参加団体ではありません。"))
            if not (user and user.is_authenticated and user.is_member_of(organization.pk)):
                raise OutcomeForbidden(
                    _("参加団体の評価は、その団体のメンバーだけが記入できます。")
                )
            evaluator = Evaluation.Evaluator.PARTY
        if grade not in GRADES:
            raise InvalidOutcome(_("評価はA・B・C・Dのいずれかで選んでください。"), field="grade")
        if match.state != Match.State.COMPLETED:
            raise OutcomeConflict(
                _("評価できるのは完了したマッチだけです（現在の状態: %(state)s）。")
                % {"state": match.get_state_display()}
            )
        duplicate = match.evaluations.filter(evaluator=evaluator)
        if organization is not None:
            duplicate = duplicate.filter(organization=organization)
        if duplicate.exists():
            raise OutcomeConflict(_("この評価はすでに記入されています。評価は一度だけです。"))
        try:
            with transaction.atomic():
                evaluation = Evaluation.objects.create(
                    match=match,
                    evaluator=evaluator,
                    organization=organization,
                    grade=grade,
                    effects=effects or "",
                    problems=problems or "",
                    next_steps=next_steps or "",
                    publish_consent=bool(publish_consent),
                    submitted_by=user,
                )
        except IntegrityError as exc:  # a concurrent duplicate (the lock makes this rare)
            raise OutcomeConflict(
                _("この評価はすでに記入されています。評価は一度だけです。")
            ) from exc
        status = evaluation_status(match)
        if not status["awaiting"] and not status["awaiting_coordinator"]:
            _mark_evaluated(match)
    return evaluation


def _mark_evaluated(match: Match) -> None:
    from . import workflow  # lazy: the workflow module imports the models, not us

    # actor None: the system, not the evaluator whose submission completed the set.
    workflow.mark_evaluated(
        match, None, str(_("全ての参加団体とコーディネーターの評価がそろいました。"))
    )


def case_book() -> QuerySet[Match]:
    """Evaluated matches every active party agreed to publish in the case book (事例集).
    (The coordinator's own ``publish_consent`` is a recommendation, not required.)"""
    consenting = Evaluation.objects.filter(
        match=OuterRef("match"),
        organization=OuterRef("organization"),
        evaluator=Evaluation.Evaluator.PARTY,
        publish_consent=True,
    )
    parties = MatchParty.objects.filter(match=OuterRef("pk")).exclude(
        response=MatchParty.Response.DECLINED
    )
    return (
        Match.objects.filter(state=Match.State.EVALUATED)
        .filter(Exists(parties))
        .exclude(Exists(parties.exclude(Exists(consenting))))
        .select_related("form", "need", "offer")
        .order_by("-completed_at", "-pk")
    )


# --- 7. Continuation follow-ups -------------------------------------------------------
@dataclass
class FollowUpRun:
    sent: int = 0
    reminded: int = 0


def send_due_follow_ups(today: dt.date | None = None) -> FollowUpRun:
    """Ask the parties whose follow-up is due whether the collaboration goes on; remind
    once, ``FOLLOW_UP_REMINDER_DAYS`` days after the request, those that have not
    answered. Never sends twice (``sent_at`` / ``reminded_at`` and dedupe keys)."""
    today, now = _clock(today)
    run = FollowUpRun()
    base = ContinuationFollowUp.objects.filter(answer="", match__state__in=DONE_STATES)
    for pk in base.filter(due_on__lte=today, sent_at__isnull=True).values_list("pk", flat=True):
        run.sent += _send_follow_up(pk, today, now)
    reminder_cutoff = now - dt.timedelta(days=FOLLOW_UP_REMINDER_DAYS)
    for pk in base.filter(
        sent_at__isnull=False, sent_at__lte=reminder_cutoff, reminded_at__isnull=True
    ).values_list("pk", flat=True):
        run.reminded += _remind_follow_up(pk, today, now)
    return run


def _locked_open_follow_up(pk: int) -> ContinuationFollowUp | None:
    row = (
        ContinuationFollowUp.objects.select_for_update(of=("self",))
        .select_related("match", "organization")
        .filter(pk=pk)
        .first()
    )
    if row is None or row.answer or row.match.state not in DONE_STATES:
        return None
    return row


def _follow_up_message(row: ContinuationFollowUp) -> tuple[str, str]:
    title = str(_("【継続状況の確認】「%(title)s」のその後を教えてください")) % {
        "title": row.match.title
    }
    body = str(
        _(
            "「%(title)s」の完了から%(months)sか月が経ちました。協働は続いていますか。"
            "「継続している」「形を変えて継続している」「終了した」から選び、"
            "理由や状況を記入してください。"
        )
    ) % {"title": row.match.title, "months": row.months}
    return title, body


@transaction.atomic
def _send_follow_up(pk: int, today: dt.date, now: dt.datetime) -> int:
    row = _locked_open_follow_up(pk)
    if row is None or row.sent_at is not None or row.due_on > today:
        return 0
    title, body = _follow_up_message(row)
    notify(
        organization_members([row.organization_id]),
        "match.follow_up_request",
        title,
        body,
        url=links.match_page(row.match_id, "follow-up"),
        payload={"follow_up": row.pk, "match": row.match_id, "months": row.months},
        dedupe_key=f"follow-up:{row.pk}:request",
    )
    row.sent_at = now
    row.save(update_fields=["sent_at"])
    return 1


@transaction.atomic
def _remind_follow_up(pk: int, today: dt.date, now: dt.datetime) -> int:
    row = _locked_open_follow_up(pk)
    if row is None or row.sent_at is None or row.reminded_at is not None:
        return 0
    if row.sent_at > now - dt.timedelta(days=FOLLOW_UP_REMINDER_DAYS):
        return 0
    title, body = _follow_up_message(row)
    notify(
        organization_members([row.organization_id]),
        "match.follow_up_reminder",
        str(_("【再送】")) + title,
        body,
        url=links.match_page(row.match_id, "follow-up"),
        payload={"follow_up": row.pk, "match": row.match_id, "months": row.months},
        dedupe_key=f"follow-up:{row.pk}:reminder",
    )
    row.reminded_at = now
    row.save(update_fields=["reminded_at"])
    return 1


ANSWERS = tuple(ContinuationFollowUp.Answer.values)


def answer_follow_up(
    follow_up: ContinuationFollowUp,
    user,
    answer: str,
    reason: str = "",
    *,
    today: dt.date | None = None,
) -> ContinuationFollowUp:
    """A member of the asked organization answers: continued, continued in another form,
    or ended (a reason is then required). One answer per follow-up."""
    today, now = _clock(today)
    with transaction.atomic():
        row = (
            ContinuationFollowUp.objects.select_for_update(of=("self",))
            .select_related("match", "organization")
            .get(pk=follow_up.pk)
        )
        if not (user and user.is_authenticated and user.is_member_of(row.organization_id)):
            raise OutcomeForbidden(_("この確認に回答できるのは、対象の団体のメンバーだけです。"))
        if answer not in ANSWERS:
            raise InvalidOutcome(
                _(
                    "回答は「継続している」「形を変えて継続している」「終了した」から選んでください。"
                ),
                field="answer",
            )
        reason = (reason or "").strip()
        if answer == ContinuationFollowUp.Answer.ENDED and not reason:
            raise InvalidOutcome(_("終了した場合は、その理由を記入してください。"), field="reason")
        if row.answer:
            raise OutcomeConflict(_("この確認にはすでに回答済みです。"))
        if row.match.state not in DONE_STATES:
            raise OutcomeConflict(_("このマッチは完了していないため、継続状況を回答できません。"))
        if row.due_on > today:
            raise OutcomeConflict(
                _("この確認は%(due)sから回答できます。") % {"due": row.due_on.isoformat()}
            )
        row.answer = answer
        row.reason = reason
        row.answered_by = user
        row.answered_at = now
        row.save(update_fields=["answer", "reason", "answered_by", "answered_at"])
    return row


def follow_ups_for(user, *, today: dt.date | None = None) -> QuerySet[ContinuationFollowUp]:
    """Coordinators: every follow-up. Others: their organizations' follow-ups that are
    due (the ones they are asked to answer)."""
    today, _now = _clock(today)
    rows = ContinuationFollowUp.objects.select_related("match", "organization", "answered_by")
    if is_coordinator(user):
        return rows
    if not (user and user.is_authenticated):
        return rows.none()
    return rows.filter(organization_id__in=user.organization_ids(), due_on__lte=today)


# --- The continuation rate ------------------------------------------------------------
BREAKDOWNS = ("field", "form", "year", "all")


def match_continuation(months: int = 12) -> dict[int, bool]:
    """Per match with at least one answer at this checkpoint: does it continue?

    A match continues when at least one of its parties answered ``continued`` or
    ``continued_other_form`` (docs/evaluation.md, "The continuation rate")."""
    verdict: dict[int, bool] = {}
    answered = ContinuationFollowUp.objects.filter(months=months).exclude(answer="")
    for match_id, answer in answered.values_list("match_id", "answer"):
        verdict[match_id] = verdict.get(match_id, False) or answer in CONTINUED_ANSWERS
    return verdict


def continuation_rate(by: str = "field", months: int = 12) -> list[dict[str, Any]]:
    """The continuation rate per field, form or fiscal year (or ``all``): rows of
    ``{key, label, answered, continued, rate}`` counted in matches, not answers.

    - ``answered``: matches with at least one party's answer at the ``months`` checkpoint;
    - ``continued``: those of them that continue (see ``match_continuation``);
    - ``rate``: continued / answered, rounded to 3 decimals.
    A match in several fields counts once in each of them; a match without a field or
    form is counted under key ``""`` (「未設定」).
    """
    if by not in BREAKDOWNS:
        raise InvalidOutcome(_("集計の単位は field・form・year・all のいずれかです。"), field="by")
    if months not in FOLLOW_UP_MONTHS:
        raise InvalidOutcome(_("確認の時期は6か月後か12か月後です。"), field="months")
    verdict = match_continuation(months)
    groups: dict[str, list[bool]] = defaultdict(list)
    labels: dict[str, str] = {}
    order: dict[str, Any] = {}
    unset = str(_("未設定"))
    matches = Match.objects.filter(pk__in=list(verdict))

    if by == "all":
        groups["all"] = list(verdict.values())
        labels["all"] = str(_("全体"))
        order["all"] = 0
    elif by == "form":
        for pk, code, name, form_order in matches.values_list(
            "pk", "form__code", "form__name", "form__order"
        ):
            key = code or ""
            groups[key].append(verdict[pk])
            labels[key] = name or unset
            order[key] = (0, form_order, key) if code else (1, 0, "")
    elif by == "year":
        for pk, completed_at in matches.values_list("pk", "completed_at"):
            key = str(fiscal_year(_local_date(completed_at))) if completed_at else ""
            groups[key].append(verdict[pk])
            labels[key] = str(_("%(year)s年度")) % {"year": key} if key else unset
            order[key] = (0, key) if key else (1, "")
    else:  # field: the need's and the offer's fields, each match once per field
        fields_of: dict[int, set[int]] = defaultdict(set)
        for pk, field_id in matches.values_list("pk", "need__fields"):
            if field_id:
                fields_of[pk].add(field_id)
        for pk, field_id in matches.values_list("pk", "offer__fields"):
            if field_id:
                fields_of[pk].add(field_id)
        field_rows = {
            f.pk: f for f in Field.objects.filter(pk__in={i for s in fields_of.values() for i in s})
        }
        for pk, ok in verdict.items():
            codes = [field_rows[i] for i in fields_of.get(pk, ())]
            if not codes:
                groups[""].append(ok)
                labels[""] = unset
                order[""] = (1, 0, "")
            for field in codes:
                groups[field.code].append(ok)
                labels[field.code] = field.name
                order[field.code] = (0, field.order, field.code)

    rows = []
    for key in sorted(groups, key=lambda k: order[k]):
        answered = len(groups[key])
        continued = sum(groups[key])
        rows.append(
            {
                "key": key,
                "label": labels[key],
                "answered": answered,
                "continued": continued,
                "rate": round(continued / answered, 3) if answered else None,
            }
        )
    return rows
