"""Deadlines that are seen (matching/matches/deadlines.py): overdue answers, consultations
held without minutes and unanswered follow-ups, counted in business days; and their
escalation to the coordinator, once per item however often the task runs."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from outcomes_support import make_match

from lib.dates import is_business_day
from matching.matches import deadlines
from matching.models import (
    ConsultationBooking,
    ConsultationSlot,
    ContinuationFollowUp,
    MatchParty,
)
from notifications.models import Notification

pytestmark = pytest.mark.django_db


def _introduced(people, due_on: dt.date, title: str = "見守り活動の協働"):
    match = make_match(
        people, state="introduced", completed_on=None, response_due_on=due_on, title=title,
        coordinator=people["coordinator"],
    )  # fmt: skip
    return match


def _held_consultation(match, days_ago: int, **extra) -> ConsultationBooking:
    start = timezone.now() - dt.timedelta(days=days_ago, hours=2)
    slot = ConsultationSlot.objects.create(
        starts_at=start, ends_at=start + dt.timedelta(hours=1), place="市役所3階", capacity=1
    )
    return ConsultationBooking.objects.create(slot=slot, match=match, **extra)


def _sent_follow_up(match, org, days_ago: int, **extra) -> ContinuationFollowUp:
    return ContinuationFollowUp.objects.create(
        match=match, organization=org, months=6, due_on=timezone.localdate(),
        sent_at=timezone.now() - dt.timedelta(days=days_ago), **extra,
    )  # fmt: skip


def _next_business_day(day: dt.date) -> dt.date:
    while not is_business_day(day):
        day += dt.timedelta(days=1)
    return day


def test_an_answer_sixteen_days_overdue_is_flagged_late_for_each_silent_party(people):
    today = timezone.localdate()
    match = _introduced(people, today - dt.timedelta(days=16))
    match.parties.filter(organization=people["npo"]).update(response=MatchParty.Response.ACCEPTED)
    items = deadlines.overdue_items(today)
    assert [(i.kind, i.subject, i.days_overdue) for i in items] == [
        ("answer", people["department"].name, 16)
    ]
    assert items[0].is_late and items[0].level == "late"
    assert "16日超過" in items[0].text


def test_answers_count_city_office_business_days(people):
    # Due Friday 8 January 2027; Monday the 11th is 成人の日. On Tuesday the answer is
    # 4 days late but 1 business day late: overdue, not yet late.
    match = _introduced(people, dt.date(2027, 1, 8))
    item = deadlines.overdue_answers(dt.date(2027, 1, 12), [match.pk])[0]
    assert (item.days_overdue, item.business_days_overdue) == (4, 1)
    assert item.level == "overdue"
    assert deadlines.overdue_answers(dt.date(2027, 1, 8), [match.pk]) == []  # due today


def test_a_consultation_without_minutes_is_flagged_after_three_business_days(people):
    match = make_match(people, state="consulting", completed_on=None)
    late = _held_consultation(match, days_ago=20)
    _held_consultation(match, days_ago=20, minutes="議事録あり")
    _held_consultation(match, days_ago=20, status=ConsultationBooking.Status.CANCELLED)
    _held_consultation(match, days_ago=20, status=ConsultationBooking.Status.NO_SHOW)
    _held_consultation(match, days_ago=0)  # just held: minutes not due yet
    items = deadlines.missing_minutes(timezone.localdate())
    assert [i.key for i in items] == [f"minutes:booking:{late.pk}"]
    assert items[0].is_late


def test_an_unanswered_follow_up_is_flagged_two_weeks_after_it_was_sent(people):
    match = make_match(people, state="completed")
    late = _sent_follow_up(match, people["npo"], days_ago=30)
    _sent_follow_up(match, people["department"], days_ago=30, answer="continued")
    fresh = make_match(people, state="completed", title="別の協働")
    _sent_follow_up(fresh, people["npo"], days_ago=3)
    items = deadlines.unanswered_follow_ups(timezone.localdate())
    assert [i.key for i in items] == [f"follow_up:{late.pk}"]
    assert items[0].days_overdue == 30 - deadlines.FOLLOW_UP_ANSWER_DAYS


def test_ended_matches_have_nothing_to_chase(people):
    match = make_match(people, state="cancelled", completed_on=None)
    _held_consultation(match, days_ago=20)
    assert deadlines.overdue_items() == []


def test_summary_counts_by_kind_and_level(people):
    today = timezone.localdate()
    _introduced(people, today - dt.timedelta(days=16))
    _introduced(people, today - dt.timedelta(days=1), title="昨日が期限")
    summary = deadlines.summary(deadlines.overdue_items(today))
    assert summary.total == 4 and summary.matches == 2
    assert summary.late == 2 and summary.level == "late"
    assert ("answer", "回答期限切れ", 4) in summary.by_kind


def test_escalation_tells_the_coordinator_once_per_item(people):
    match = make_match(people, state="consulting", completed_on=None,
                       coordinator=people["coordinator"])  # fmt: skip
    booking = _held_consultation(match, days_ago=20)
    done = make_match(people, state="completed", coordinator=people["coordinator"],
                      title="完了した協働")  # fmt: skip
    _sent_follow_up(done, people["npo"], days_ago=30)
    _introduced(people, timezone.localdate() - dt.timedelta(days=16))  # reminders' own
    day = _next_business_day(timezone.localdate())

    assert deadlines.escalate(day) == 2
    assert deadlines.escalate(day) == 0  # a re-run or duplicated task: nobody told twice
    assert deadlines.escalate(_next_business_day(day + dt.timedelta(days=1))) == 0
    notes = Notification.objects.filter(kind="deadline.overdue").order_by("pk")
    assert [n.recipient for n in notes] == [people["coordinator"]] * 2
    minutes = notes.get(payload__item=f"minutes:booking:{booking.pk}")
    assert minutes.url == f"/coord/matches/{match.pk}/"
    assert "議事録が未記入" in minutes.title and "【要対応】" in minutes.title
    # Overdue answers are escalated by the response reminders, not a second time here.
    assert not notes.filter(payload__deadline="answer").exists()


def test_escalation_waits_for_a_business_day(people):
    match = make_match(people, state="consulting", completed_on=None)
    _held_consultation(match, days_ago=20)
    saturday = timezone.localdate()
    while saturday.weekday() != 5:
        saturday += dt.timedelta(days=1)
    assert deadlines.escalate(saturday) == 0
    assert not Notification.objects.filter(kind="deadline.overdue").exists()


def test_the_escalation_task_is_registered_and_scheduled(settings):
    from lib.tasks import task

    assert task("matching.escalate_deadlines") is not None
    names = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "matching.escalate_deadlines" in names
