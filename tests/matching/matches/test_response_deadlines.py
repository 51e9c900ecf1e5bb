"""Response deadlines: business days (weekends, public holidays, 年末年始) and the
reminder → coordinator alert sequence, with a controlled clock (``today=``)."""

from __future__ import annotations

import datetime as dt

import pytest
from outcomes_support import at, make_match

from lib.dates import (
    add_business_days,
    add_months,
    business_days_between,
    fiscal_year,
    is_business_day,
)
from matching.matches import reminders as match_reminders
from matching.models import MatchParty
from notifications.models import Notification

D = dt.date


# --- Business days --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        # Golden Week 2027: 4/29 (Thu) 昭和の日, 5/3–5/5 (Mon–Wed) holidays.
        # Counted: 4/30, 5/6, 5/7, 5/10, 5/11.
        (D(2027, 4, 28), 5, D(2027, 5, 11)),
        # Golden Week 2026: 4/29 (Wed), 5/3 (Sun) → 5/6 振替休日, 5/4, 5/5.
        # Counted: 4/28, 4/30, 5/1, 5/7, 5/8.
        (D(2026, 4, 27), 5, D(2026, 5, 8)),
        # New Year: 12/28 (Mon) counted, 12/29–1/3 closed; then 1/4, 1/5, 1/6, 1/7.
        (D(2026, 12, 25), 5, D(2027, 1, 7)),
        # 1/11/2027 is 成人の日: from Friday 1/8, Tue 1/12 is the first business day.
        (D(2027, 1, 8), 1, D(2027, 1, 12)),
        # An ordinary week: Friday + 1 → Monday.
        (D(2026, 6, 5), 1, D(2026, 6, 8)),
        (D(2026, 6, 5), 0, D(2026, 6, 5)),
    ],
)
def test_add_business_days(start, days, expected):
    assert add_business_days(start, days) == expected


def test_business_days_and_office_closure():
    assert not is_business_day(D(2027, 5, 3))  # 憲法記念日
    assert not is_business_day(D(2026, 12, 29))  # 年末 (a Tuesday, not a public holiday)
    assert not is_business_day(D(2027, 1, 3))
    assert is_business_day(D(2027, 1, 4))
    assert business_days_between(D(2027, 4, 28), D(2027, 5, 11)) == 5
    assert business_days_between(D(2027, 5, 11), D(2027, 5, 11)) == 0


def test_add_months_and_fiscal_year():
    assert add_months(D(2026, 8, 31), 6) == D(2027, 2, 28)
    assert add_months(D(2027, 8, 31), 6) == D(2028, 2, 29)  # leap year
    assert add_months(D(2026, 3, 31), 6) == D(2026, 9, 30)
    assert add_months(D(2026, 7, 15), 6) == D(2027, 1, 15)
    assert add_months(D(2026, 12, 31), 12) == D(2027, 12, 31)
    assert fiscal_year(D(2027, 3, 31)) == 2026
    assert fiscal_year(D(2027, 4, 1)) == 2027


# --- Reminders, then the coordinator ---------------------------------------------------
@pytest.fixture
def introduced(people):
    """Introduced on 2027-04-28; answer due 5 business days later, 2027-05-11 (Tue)."""
    due = add_business_days(D(2027, 4, 28), 5)
    match = make_match(
        people,
        state="introduced",
        completed_on=None,
        response_due_on=due,
        coordinator=people["coordinator"],
    )
    return match


def _kinds(user) -> list[str]:
    return list(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


def test_reminder_then_alert_each_once(people, introduced):
    npo = MatchParty.objects.get(match=introduced, organization=people["npo"])
    dept = MatchParty.objects.get(match=introduced, organization=people["department"])
    # The department answered in time: it is never reminded.
    MatchParty.objects.filter(pk=dept.pk).update(
        response="accepted", responded_at=at(D(2027, 5, 6))
    )

    # On the due day: nothing yet.
    assert match_reminders.send_response_reminders(D(2027, 5, 11)).reminded == 0
    assert _kinds(people["member"]) == []

    # The day after the deadline: the NPO's members are reminded.
    run = match_reminders.send_response_reminders(D(2027, 5, 12))
    assert (run.reminded, run.alerted) == (1, 0)
    assert _kinds(people["member"]) == ["match.response_reminder"]
    assert _kinds(people["staff"]) == []
    npo.refresh_from_db()
    assert timezone_date(npo.reminded_at) == D(2027, 5, 12)
    assert npo.coordinator_alerted_at is None

    # Run again the same day (retried task): nothing more.
    run = match_reminders.send_response_reminders(D(2027, 5, 12))
    assert (run.reminded, run.alerted) == (0, 0)
    assert _kinds(people["member"]) == ["match.response_reminder"]
    assert _kinds(people["coordinator"]) == []

    # One business day after the reminder, still no answer: the coordinator is alerted.
    run = match_reminders.send_response_reminders(D(2027, 5, 13))
    assert (run.reminded, run.alerted) == (0, 1)
    assert _kinds(people["coordinator"]) == ["match.response_overdue"]
    alert = Notification.objects.get(recipient=people["coordinator"])
    assert "NPO法人みどりの手" in alert.title

    # And never again.
    for day in (D(2027, 5, 13), D(2027, 5, 14), D(2027, 5, 17)):
        assert match_reminders.send_response_reminders(day).alerted == 0
    assert _kinds(people["coordinator"]) == ["match.response_overdue"]
    assert _kinds(people["member"]) == ["match.response_reminder"]
    assert _kinds(people["staff"]) == []
    npo.refresh_from_db()
    assert timezone_date(npo.coordinator_alerted_at) == D(2027, 5, 13)


def test_reminders_wait_for_business_days(people):
    """Due on Friday 2027-04-30: Saturday to Wednesday are holidays or weekend, so the
    reminder goes on Thursday 5/6 and the alert on Friday 5/7."""
    match = make_match(
        people,
        state="introduced",
        completed_on=None,
        response_due_on=D(2027, 4, 30),
        parties=("npo",),
    )
    for day in (D(2027, 5, 1), D(2027, 5, 3), D(2027, 5, 5)):
        assert match_reminders.send_response_reminders(day).reminded == 0
    assert match_reminders.send_response_reminders(D(2027, 5, 6)).reminded == 1
    assert match_reminders.send_response_reminders(D(2027, 5, 6)).alerted == 0
    assert match_reminders.send_response_reminders(D(2027, 5, 7)).alerted == 1
    # No coordinator assigned: every active coordinator is alerted.
    assert _kinds(people["coordinator"]) == ["match.response_overdue"]
    assert match.parties.get().coordinator_alerted_at is not None


def test_alert_waits_a_business_day_over_new_year(people):
    """Reminded on Monday 12/28; 12/29–1/3 are closed: the alert goes on 1/4."""
    make_match(
        people,
        state="introduced",
        completed_on=None,
        response_due_on=D(2026, 12, 25),
        parties=("npo",),
    )
    assert match_reminders.send_response_reminders(D(2026, 12, 28)).reminded == 1
    for day in (D(2026, 12, 29), D(2026, 12, 30), D(2027, 1, 2)):
        assert match_reminders.send_response_reminders(day).alerted == 0
    assert match_reminders.send_response_reminders(D(2027, 1, 4)).alerted == 1


def test_answer_after_reminder_stops_the_alert(people, introduced):
    assert match_reminders.send_response_reminders(D(2027, 5, 12)).reminded == 2
    MatchParty.objects.filter(match=introduced).update(
        response="accepted", responded_at=at(D(2027, 5, 12), 15)
    )
    assert match_reminders.send_response_reminders(D(2027, 5, 13)).alerted == 0
    assert _kinds(people["coordinator"]) == []


@pytest.mark.parametrize("state", ["consulting", "declined", "cancelled", "proposed"])
def test_only_introduced_matches_are_chased(people, state):
    make_match(
        people, state=state, completed_on=None, response_due_on=D(2027, 5, 11), parties=("npo",)
    )
    assert match_reminders.send_response_reminders(D(2027, 5, 12)).reminded == 0
    assert match_reminders.send_response_reminders(D(2027, 5, 20)).reminded == 0
    assert Notification.objects.count() == 0


def test_reminder_task_runs_the_service(people, introduced):
    from matching.matches.tasks import send_response_reminders

    # The task uses today's date: the 2027 deadline is in the future, nothing to send.
    assert send_response_reminders.apply().get() == {"reminded": 0, "alerted": 0}


def test_beat_schedule_runs_daily_at_nine(settings):
    schedule = {v["task"]: v["schedule"] for v in settings.CELERY_BEAT_SCHEDULE.values()}
    for task in ("matching.send_response_reminders", "matching.send_due_follow_ups"):
        assert schedule[task].hour == {9}
        assert schedule[task].minute == {0}
    assert settings.CELERY_TIMEZONE == "Asia/Tokyo"


def timezone_date(moment: dt.datetime) -> dt.date:
    from django.utils import timezone

    return timezone.localdate(moment)
