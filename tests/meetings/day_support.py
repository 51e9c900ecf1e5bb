"""Helpers for the tests of the day and after (check-in, minutes and report, wishes): a
meeting with registrations, moved to the past as if it had taken place."""

from __future__ import annotations

import datetime as dt
from typing import Any

from conftest import make_org, make_user
from django.utils import timezone
from meeting_support import make_meeting

from meetings import services
from meetings.models import Meeting, Registration


def move(meeting: Meeting, starts_at: dt.datetime, hours: int = 2) -> Meeting:
    """Put the meeting at another time, past or future (the services refuse a start in
    the past; this is the clock moving on, not an edit)."""
    Meeting.objects.filter(pk=meeting.pk).update(
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=hours),
        registration_deadline=None,
    )
    meeting.refresh_from_db()
    return meeting


def ended(meeting: Meeting, ago: dt.timedelta = dt.timedelta(hours=1)) -> Meeting:
    """The meeting ended ``ago`` (it lasted 2 hours)."""
    return move(meeting, timezone.now() - ago - dt.timedelta(hours=2))


def started(meeting: Meeting, ago: dt.timedelta = dt.timedelta(minutes=30)) -> Meeting:
    return move(meeting, timezone.now() - ago)


def at(monkeypatch: Any, moment: dt.datetime) -> None:
    """Stop the clock at ``moment`` for the services (django.utils.timezone.now)."""
    monkeypatch.setattr(timezone, "now", lambda: moment)


def meeting_with_registrants(people: dict, count: int = 3, **extra: Any) -> dict[str, Any]:
    """A department's 交流会 (people["staff"] organizes it) with ``count`` organizations
    registered (2 people each, with names) and one outsider organization."""
    meeting = make_meeting(people["department"], people["staff"], capacity=50, **extra)
    registrants = []
    for i in range(count):
        org = make_org(f"参加団体{i}", "citizen_group")
        user = make_user(f"participant{i}", org)
        registration = services.register(meeting, org, user, 2, [f"参加 太郎{i}", f"参加 花子{i}"])
        registrants.append({"org": org, "user": user, "registration": registration})
    outsider_org = make_org("来なかった団体", "citizen_group")
    return {
        "meeting": meeting,
        "organizer": people["staff"],
        "coordinator": people["coordinator"],
        "reg": registrants,
        "outsider": make_user("outsider", outsider_org),
        "outsider_org": outsider_org,
    }


def status(registration: Registration) -> Registration:
    registration.refresh_from_db()
    return registration
