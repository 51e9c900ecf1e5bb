"""Continuation follow-ups (継続状況の確認) at 6 and 12 months after a match completed:
one per active party, scheduled on completion (by the ``match_transitioned`` receiver in
``matching.outcomes.evaluations``), sent when due and reminded once by the daily Celery task
(``matching.outcomes.tasks``), and answered by the party's members (API and web pages).

Plain service functions. Rules and definitions: ``docs/evaluation.md``.

Every function that depends on the date takes ``today`` (or ``now``) so that tests and
back-fills control the clock; by default it is the current date in Asia/Tokyo.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lib import links
from lib.dates import add_months, clock, day_text, local_date
from lib.errors import Conflict, Forbidden, Invalid
from matching.matches.workflow import active_parties
from matching.models import ContinuationFollowUp, Match
from notifications.services import notify
from organizations.permissions import is_coordinator
from organizations.services import members_of

logger = logging.getLogger(__name__)

FOLLOW_UP_MONTHS: tuple[int, ...] = (6, 12)

# An unanswered follow-up request is reminded once, this many days after it was sent.
FOLLOW_UP_REMINDER_DAYS = 14

# Follow-ups are asked (and may be answered) only for matches that really completed.
DONE_STATES = (Match.State.COMPLETED, Match.State.EVALUATED)


# --- Completion: scheduling the follow-ups --------------------------------------------
def completion_date(match: Match) -> dt.date:
    return local_date(match.completed_at) if match.completed_at else timezone.localdate()


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


# --- Sending, reminding and answering -------------------------------------------------
@dataclass
class FollowUpRun:
    sent: int = 0
    reminded: int = 0


def send_due_follow_ups(today: dt.date | None = None) -> FollowUpRun:
    """Ask the parties whose follow-up is due whether the collaboration goes on; remind
    once, ``FOLLOW_UP_REMINDER_DAYS`` days after the request, those that have not
    answered. Never sends twice (``sent_at`` / ``reminded_at`` and dedupe keys)."""
    today, now = clock(today)
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
        members_of([row.organization_id]),
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
        members_of([row.organization_id]),
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
    today, now = clock(today)
    with transaction.atomic():
        row = (
            ContinuationFollowUp.objects.select_for_update(of=("self",))
            .select_related("match", "organization")
            .get(pk=follow_up.pk)
        )
        if not (user and user.is_authenticated and user.is_member_of(row.organization_id)):
            raise Forbidden(_("この確認に回答できるのは、対象の団体のメンバーだけです。"))
        if answer not in ANSWERS:
            raise Invalid(
                _(
                    "回答は「継続している」「形を変えて継続している」「終了した」から選んでください。"
                ),
                field="answer",
            )
        reason = (reason or "").strip()
        if answer == ContinuationFollowUp.Answer.ENDED and not reason:
            raise Invalid(_("終了した場合は、その理由を記入してください。"), field="reason")
        if row.answer:
            raise Conflict(_("この確認にはすでに回答済みです。"))
        if row.match.state not in DONE_STATES:
            raise Conflict(_("このマッチは完了していないため、継続状況を回答できません。"))
        if row.due_on > today:
            raise Conflict(_("この確認は%(due)sから回答できます。") % {"due": day_text(row.due_on)})
        row.answer = answer
        row.reason = reason
        row.answered_by = user
        row.answered_at = now
        row.save(update_fields=["answer", "reason", "answered_by", "answered_at"])
    return row


def follow_ups_for(user, *, today: dt.date | None = None) -> QuerySet[ContinuationFollowUp]:
    """Coordinators: every follow-up. Others: their organizations' follow-ups that are
    due (the ones they are asked to answer)."""
    today, _now = clock(today)
    rows = ContinuationFollowUp.objects.select_related("match", "organization", "answered_by")
    if is_coordinator(user):
        return rows
    if not (user and user.is_authenticated):
        return rows.none()
    return rows.filter(organization_id__in=user.organization_ids(), due_on__lte=today)
