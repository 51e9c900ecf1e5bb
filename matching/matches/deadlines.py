"""Deadlines that are seen: what a coordinator must chase, computed from the records as
they are (no stored flag to go stale).

Three kinds of overdue item:

- ``answer`` (回答期限切れ): an introduced match whose response deadline
  (``Match.response_due_on``) has passed while a party is still 未回答;
- ``minutes`` (議事録が未記入): a consultation that took place (its slot has ended and it
  was neither cancelled nor a no-show) without minutes, ``MINUTES_DUE_BUSINESS_DAYS``
  business days after it ended;
- ``follow_up`` (継続確認が未回答): a 6- or 12-month follow-up sent and not answered
  ``FOLLOW_UP_ANSWER_DAYS`` days after it was sent (when the party is reminded).

An item is *overdue* from the day after its due date, and *late* (要対応, shown in red)
once it is ``LATE_AFTER_BUSINESS_DAYS`` business days overdue. Business days are the city
office's (``lib.dates``: weekends, public holidays and 12/29–1/3 excluded).

The match board, the coordinator's home and the KPI page show them
(:func:`overdue_items`, :func:`by_match`, :func:`summary`); :func:`escalate` tells the
match's coordinator once per item (a daily Celery task, ``matching.escalate_deadlines``).
Overdue answers are escalated by ``matching.matches.reminders`` (the party is reminded
first, the coordinator alerted a business day later), so :func:`escalate` leaves them out.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from lib import links
from lib.dates import (
    add_business_days,
    business_days_between,
    clock,
    day_text,
    is_business_day,
)
from matching.matches.workflow import match_coordinators
from matching.models import ConsultationBooking, ContinuationFollowUp, Match, MatchParty
from notifications.services import notify

ANSWER = "answer"
MINUTES = "minutes"
FOLLOW_UP = "follow_up"

LABELS = {
    ANSWER: _("回答期限切れ"),
    MINUTES: _("議事録が未記入"),
    FOLLOW_UP: _("継続確認が未回答"),
}

# Minutes are due this many business days after the consultation ended.
MINUTES_DUE_BUSINESS_DAYS = 3
# A follow-up is due this many days after it was sent (the day its reminder goes out).
FOLLOW_UP_ANSWER_DAYS = 14
# Overdue by this many business days or more: late (要対応, red).
LATE_AFTER_BUSINESS_DAYS = 5
# The coordinator is told once an item is overdue by this many business days.
ESCALATE_AFTER_BUSINESS_DAYS = 1

# Matches that ended (declined, cancelled) have nothing left to chase.
ENDED_STATES = (Match.State.DECLINED, Match.State.CANCELLED)
DONE_STATES = (Match.State.COMPLETED, Match.State.EVALUATED)

OVERDUE = "overdue"
LATE = "late"


@dataclass(frozen=True)
class Overdue:
    """One overdue item of one match."""

    kind: str  # ANSWER | MINUTES | FOLLOW_UP
    key: str  # stable per item: "answer:party:12", "minutes:booking:3", "follow_up:7"
    match_id: int
    match_title: str
    subject: str  # who or what is late: the organization, or the consultation's date
    due_on: dt.date
    days_overdue: int  # calendar days after due_on
    business_days_overdue: int

    @property
    def level(self) -> str:
        return LATE if self.business_days_overdue >= LATE_AFTER_BUSINESS_DAYS else OVERDUE

    @property
    def is_late(self) -> bool:
        return self.level == LATE

    @property
    def label(self) -> str:
        return str(LABELS[self.kind])

    @property
    def text(self) -> str:
        """「回答期限切れ（北区子育てサークル）: 16日超過」"""
        return gettext("%(label)s（%(subject)s）: %(days)d日超過") % {
            "label": self.label,
            "subject": self.subject,
            "days": self.days_overdue,
        }


def _item(
    kind: str, key: str, match: Match, subject: str, due_on: dt.date, today: dt.date
) -> Overdue | None:
    if due_on >= today:
        return None
    return Overdue(
        kind=kind,
        key=key,
        match_id=match.pk,
        match_title=match.title,
        subject=subject,
        due_on=due_on,
        days_overdue=(today - due_on).days,
        business_days_overdue=business_days_between(due_on, today),
    )


def _local_date(moment: dt.datetime) -> dt.date:
    return timezone.localdate(moment)


def overdue_answers(today: dt.date, match_ids: Iterable[int] | None = None) -> list[Overdue]:
    rows = MatchParty.objects.filter(
        match__state=Match.State.INTRODUCED,
        match__response_due_on__lt=today,
        response=MatchParty.Response.PENDING,
    ).select_related("match", "organization")
    if match_ids is not None:
        rows = rows.filter(match_id__in=list(match_ids))
    found = []
    for party in rows.order_by("match__response_due_on", "pk"):
        match = party.match
        key = f"answer:party:{party.pk}"
        found.append(
            _item(ANSWER, key, match, party.organization.name, match.response_due_on, today)
        )
    return [item for item in found if item is not None]


def missing_minutes(today: dt.date, match_ids: Iterable[int] | None = None) -> list[Overdue]:
    now = timezone.now()
    rows = (
        ConsultationBooking.objects.filter(
            status__in=[ConsultationBooking.Status.BOOKED, ConsultationBooking.Status.HELD],
            slot__ends_at__lt=now,
            minutes="",
        )
        .exclude(match__state__in=ENDED_STATES)
        .select_related("match", "slot")
    )
    if match_ids is not None:
        rows = rows.filter(match_id__in=list(match_ids))
    found = []
    for booking in rows.order_by("slot__ends_at", "pk"):
        held_on = _local_date(booking.slot.starts_at)
        due_on = add_business_days(_local_date(booking.slot.ends_at), MINUTES_DUE_BUSINESS_DAYS)
        subject = gettext("%(date)sの相談") % {"date": day_text(held_on)}
        found.append(
            _item(MINUTES, f"minutes:booking:{booking.pk}", booking.match, subject, due_on, today)
        )
    return [item for item in found if item is not None]


def unanswered_follow_ups(today: dt.date, match_ids: Iterable[int] | None = None) -> list[Overdue]:
    rows = ContinuationFollowUp.objects.filter(
        answer="", sent_at__isnull=False, match__state__in=DONE_STATES
    ).select_related("match", "organization")
    if match_ids is not None:
        rows = rows.filter(match_id__in=list(match_ids))
    found = []
    for row in rows.order_by("sent_at", "pk"):
        due_on = _local_date(row.sent_at) + dt.timedelta(days=FOLLOW_UP_ANSWER_DAYS)
        subject = gettext("%(org)s・%(months)sか月後") % {
            "org": row.organization.name,
            "months": row.months,
        }
        found.append(_item(FOLLOW_UP, f"follow_up:{row.pk}", row.match, subject, due_on, today))
    return [item for item in found if item is not None]


def overdue_items(
    today: dt.date | None = None, match_ids: Iterable[int] | None = None
) -> list[Overdue]:
    """Every overdue item (of these matches), the most overdue first."""
    today = today or timezone.localdate()
    ids = None if match_ids is None else list(match_ids)
    items = [
        *overdue_answers(today, ids),
        *missing_minutes(today, ids),
        *unanswered_follow_ups(today, ids),
    ]
    items.sort(key=lambda item: (-item.days_overdue, item.match_id, item.key))
    return items


def by_match(items: Iterable[Overdue]) -> dict[int, list[Overdue]]:
    grouped: dict[int, list[Overdue]] = defaultdict(list)
    for item in items:
        grouped[item.match_id].append(item)
    return dict(grouped)


@dataclass(frozen=True)
class Summary:
    """Counts for a page's header: all overdue items, the late ones, and by kind."""

    total: int
    late: int
    matches: int
    by_kind: list[tuple[str, str, int]]  # (kind, label, count), every kind

    @property
    def level(self) -> str:
        return LATE if self.late else (OVERDUE if self.total else "")


def summary(items: Iterable[Overdue]) -> Summary:
    items = list(items)
    counts = {kind: 0 for kind in LABELS}
    for item in items:
        counts[item.kind] += 1
    return Summary(
        total=len(items),
        late=sum(1 for item in items if item.is_late),
        matches=len({item.match_id for item in items}),
        by_kind=[(kind, str(LABELS[kind]), counts[kind]) for kind in LABELS],
    )


# --- Escalation -----------------------------------------------------------------------
ESCALATED_KINDS = (MINUTES, FOLLOW_UP)


def escalate(today: dt.date | None = None) -> int:
    """Tell the match's coordinator about each item overdue by
    ``ESCALATE_AFTER_BUSINESS_DAYS`` business days or more: once per item, ever (the
    notification's dedupe key is the item's), however often this runs. Business days only,
    like the response reminders. Returns how many notifications were written."""
    today, _now = clock(today)
    if not is_business_day(today):
        return 0
    written = 0
    for item in overdue_items(today):
        if item.kind not in ESCALATED_KINDS:
            continue  # overdue answers: matching.matches.reminders alerts the coordinator
        if item.business_days_overdue < ESCALATE_AFTER_BUSINESS_DAYS:
            continue
        written += _escalate_one(item)
    return written


@transaction.atomic
def _escalate_one(item: Overdue) -> int:
    match = Match.objects.select_related("coordinator").get(pk=item.match_id)
    title = gettext("【要対応】「%(title)s」: %(label)s") % {
        "title": match.title,
        "label": item.label,
    }
    body = gettext("%(what)s。期限は%(due)sでした。") % {
        "what": item.text,
        "due": day_text(item.due_on),
    }
    made = notify(
        match_coordinators(match),
        "deadline.overdue",
        title,
        body,
        url=links.coordinator_match_page(match.pk),
        payload={"match": match.pk, "deadline": item.kind, "item": item.key},
        dedupe_key=f"deadline:{item.key}",
    )
    return len(made)
