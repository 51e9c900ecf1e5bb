"""Response deadlines of introductions (回答期限): a party that lets the deadline pass is
reminded, and the coordinator alerted when it is still silent a business day later.

Plain service functions, called by the daily Celery task (``matching.matches.tasks``).
Rules and definitions: ``docs/evaluation.md``.

Every function that depends on the date takes ``today`` (or ``now``) so that tests and
back-fills control the clock; by default it is the current date in Asia/Tokyo.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from lib import links
from lib.dates import business_days_between, clock, day_text, is_business_day, local_date
from matching.matches.workflow import match_coordinators
from matching.models import Match, MatchParty
from notifications.services import notify
from organizations.services import members_of

logger = logging.getLogger(__name__)

# The coordinator is alerted this many business days after a party was reminded.
ALERT_AFTER_BUSINESS_DAYS = 1


# --- Response deadlines ---------------------------------------------------------------
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
    today, now = clock(today)
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
        members_of([party.organization_id]),
        "match.response_reminder",
        str(_("【回答のお願い】「%(title)s」のご紹介への回答期限が過ぎています"))
        % {"title": match.title},
        str(
            _(
                "「%(title)s」のご紹介について、%(due)sまでに回答をお願いしていました。"
                "協働を検討いただけるか、辞退されるかをお知らせください。"
            )
        )
        % {"title": match.title, "due": day_text(match.response_due_on)},
        url=links.match_page(match.pk),
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
    reminded_on = local_date(party.reminded_at)
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
            "due": day_text(match.response_due_on),
            "reminded": day_text(reminded_on),
        },
        url=links.coordinator_match_page(match.pk),
        payload={"match": match.pk, "organization": party.organization_id},
        dedupe_key=f"match:{match.pk}:party:{party.pk}:response-overdue",
    )
    party.coordinator_alerted_at = now
    party.save(update_fields=["coordinator_alerted_at"])
    return 1
