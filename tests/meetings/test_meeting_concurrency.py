"""Exactly ``capacity`` people under parallel registrations, proven on PostgreSQL.

Many threads, each with its own database connection, register their organization for one
meeting at the same moment (a barrier releases them together). The seats are counted in
people inside the meeting row's lock, so the people registered never exceed the capacity
and fill it exactly when the sizes allow; the others wait, in the order they came.
Skipped without PostgreSQL on a developer machine; CI (``CI=true``) fails instead.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter

import pytest
from conftest import make_org, make_user, require_postgres
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from meetings import services
from meetings.models import Meeting, Registration

# postgres_db: on a SQLite session, run in a child on PostgreSQL (tests/postgres_child.py).
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.postgres_db,
    pytest.mark.django_db(transaction=True),
]

REGISTRANTS = 12


def _setup(capacity: int, sizes: list[int]):
    organizer = make_org("テスト市 市民協働課", "city_department")
    staff = make_user("organizer", organizer)
    start = timezone.now() + dt.timedelta(days=5)
    meeting = services.create_meeting(
        staff,
        organizer,
        kind=Meeting.Kind.EXCHANGE,
        title="並行申込の交流会",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=2),
        capacity=capacity,
    )
    services.publish(meeting, staff)
    registrants = []
    for i, size in enumerate(sizes):
        org = make_org(f"並行申込の団体{i}", "citizen_group")
        registrants.append((org, make_user(f"registrant{i}", org), size))
    return meeting, registrants


def _register_all_at_once(meeting: Meeting, registrants) -> Counter:
    barrier = threading.Barrier(len(registrants))
    results: list[str] = []
    lock = threading.Lock()

    def attempt(org, user, size) -> None:
        try:
            barrier.wait(timeout=30)
            try:
                outcome = services.register(Meeting(pk=meeting.pk), org, user, size).status
            except Exception as exc:  # any refusal is a failure of the test
                outcome = f"error: {type(exc).__name__}: {exc}"
            with lock:
                results.append(outcome)
        finally:
            connection.close()  # each thread had its own connection

    threads = [threading.Thread(target=attempt, args=r) for r in registrants]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    return Counter(results)


def _people(meeting: Meeting, status: str) -> int:
    rows = Registration.objects.filter(meeting=meeting, status=status)
    return rows.aggregate(n=Sum("attendees"))["n"] or 0


@pytest.mark.parametrize("capacity", [1, 10])
def test_parallel_registrations_fill_exactly_the_capacity_in_people(capacity):
    require_postgres()
    size = 1 if capacity == 1 else 2
    meeting, registrants = _setup(capacity, [size] * REGISTRANTS)
    outcomes = _register_all_at_once(meeting, registrants)
    registered = capacity // size
    assert outcomes == Counter({"registered": registered, "waitlisted": REGISTRANTS - registered})
    assert _people(meeting, "registered") == capacity
    assert services.seats_left(meeting) == 0


def test_parallel_registrations_of_mixed_sizes_never_overfill_nor_overtake():
    require_postgres()
    sizes = [3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2]
    meeting, registrants = _setup(7, sizes)
    outcomes = _register_all_at_once(meeting, registrants)
    assert set(outcomes) == {"registered", "waitlisted"}, outcomes
    assert _people(meeting, "registered") <= 7
    # First come, first served: every waiting registration came after every registered one.
    rows = list(Registration.objects.filter(meeting=meeting).order_by("created_at", "pk"))
    statuses = [r.status for r in rows]
    first_waiting = statuses.index("waitlisted")
    assert set(statuses[first_waiting:]) == {"waitlisted"}
    # And a cancellation promotes the first in line, never beyond the capacity.
    member = next(user for org, user, _size in registrants if org.pk == rows[0].organization_id)
    services.cancel_registration(rows[0], member)
    assert _people(meeting, "registered") <= 7
