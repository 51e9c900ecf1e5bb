"""No double booking under concurrent requests, proven on PostgreSQL.

Many threads, each with its own database connection, call ``book`` on one slot at the same
moment (a barrier releases them together). Exactly ``capacity`` of them succeed; the others
are told the slot is full; the counter matches the bookings. Skipped without PostgreSQL on
a developer machine; CI (``CI=true``) fails instead of skipping.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter

import pytest
from conftest import make_org, make_user, require_postgres
from django.db import connection
from django.utils import timezone

from matching.consultations import services as svc
from matching.models import ConsultationBooking, ConsultationSlot, Match, MatchParty

# postgres_db: on a SQLite session, run in a child on PostgreSQL (tests/postgres_child.py).
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.postgres_db,
    pytest.mark.django_db(transaction=True),
]

BOOKERS = 12


def _setup(capacity: int):
    coordinator = make_user("coordinator", is_coordinator=True)
    start = (timezone.now() + dt.timedelta(days=2)).replace(second=0, microsecond=0)
    slot = ConsultationSlot.objects.create(
        coordinator=coordinator,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=1),
        place="市民活動サポートセンター",
        capacity=capacity,
    )
    department = make_org("テスト市 市民協働課", "city_department")
    bookers = []
    for i in range(BOOKERS):
        org = make_org(f"NPO法人テスト{i}")
        user = make_user(f"booker{i}", org)
        match = Match.objects.create(title=f"協働{i}")
        Match.objects.filter(pk=match.pk).update(state="consulting", introduced_at=timezone.now())
        MatchParty.objects.create(match=match, organization=org, role="offer_poster")
        MatchParty.objects.create(match=match, organization=department, role="need_poster")
        bookers.append((Match.objects.get(pk=match.pk), user))
    return slot, bookers


def _book_all_at_once(slot: ConsultationSlot, bookers) -> Counter:
    barrier = threading.Barrier(len(bookers))
    results: list[str] = []
    lock = threading.Lock()

    def attempt(match: Match, user) -> None:
        try:
            barrier.wait(timeout=30)
            try:
                svc.book(ConsultationSlot(pk=slot.pk), match, user)
                outcome = "booked"
            except svc.Conflict as exc:
                outcome = exc.code  # "slot_full"
            except Exception as exc:  # anything else is a failure of the test
                outcome = f"error: {type(exc).__name__}: {exc}"
            with lock:
                results.append(outcome)
        finally:
            connection.close()  # each thread had its own connection

    threads = [threading.Thread(target=attempt, args=b) for b in bookers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    return Counter(results)


@pytest.mark.parametrize("capacity", [1, 3])
def test_parallel_bookers_never_overbook_a_slot(capacity):
    require_postgres()
    slot, bookers = _setup(capacity)
    outcomes = _book_all_at_once(slot, bookers)
    assert outcomes == Counter({"booked": capacity, "slot_full": BOOKERS - capacity})
    slot.refresh_from_db()
    assert slot.booked_count == capacity
    live = ConsultationBooking.objects.filter(slot=slot, status="booked")
    assert live.count() == capacity
    assert live.values("match").distinct().count() == capacity
