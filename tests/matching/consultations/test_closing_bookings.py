"""Issue 13: a completed match cancels its future consultations: the booking is cancelled,
the seat is freed and the parties are told."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from workflow_support import drive, two_party_match

from matching.consultations.services import book
from matching.consultations.slots import publish_slot
from matching.matches import workflow
from matching.models import ConsultationBooking, ConsultationSlot
from notifications.models import Notification

pytestmark = pytest.mark.django_db


def test_completing_a_match_cancels_its_future_consultations(people):
    match = drive(two_party_match(people), "active", people["coordinator"])
    start = timezone.now() + dt.timedelta(days=5)
    slot = publish_slot(people["coordinator"], starts_at=start,
                        ends_at=start + dt.timedelta(hours=1), place="市役所3階")  # fmt: skip
    booking = book(slot, match, people["member"])
    assert ConsultationSlot.objects.get(pk=slot.pk).booked_count == 1
    workflow.complete(match, people["staff"])
    booking = ConsultationBooking.objects.get(pk=booking.pk)
    assert booking.status == "cancelled" and booking.cancelled_at
    assert ConsultationSlot.objects.get(pk=slot.pk).booked_count == 0
    told = Notification.objects.filter(recipient=people["member"], kind="consultation.cancelled")
    assert told.exists() and "協働が完了したため" in told.first().body


def _booked(people, state: str):
    match = drive(two_party_match(people), state, people["coordinator"])
    start = timezone.now() + dt.timedelta(days=5)
    slot = publish_slot(people["coordinator"], starts_at=start,
                        ends_at=start + dt.timedelta(hours=1), place="市役所3階")  # fmt: skip
    return match, slot, book(slot, match, people["member"])


def _given_back(people, slot, booking) -> None:
    assert ConsultationBooking.objects.get(pk=booking.pk).status == "cancelled"
    assert ConsultationSlot.objects.get(pk=slot.pk).booked_count == 0
    for who in ("member", "staff"):
        assert Notification.objects.filter(
            recipient=people[who], kind="consultation.cancelled"
        ).exists(), who


def test_cancelling_a_match_through_the_api_cancels_its_future_consultations(people, api):
    match, slot, booking = _booked(people, "consulting")
    api.force_authenticate(people["coordinator"])
    r = api.post(f"/api/v1/matches/{match.pk}/transition/",
                 {"action": "cancel", "reason": "事業の中止"}, format="json")  # fmt: skip
    assert r.status_code == 200, r.data
    _given_back(people, slot, booking)


def test_a_party_declining_on_its_page_cancels_the_future_consultations(people, client):
    match, slot, booking = _booked(people, "consulting")
    client.force_login(people["member"])
    client.post(f"/my/matches/{match.pk}/respond/",
                {"answer": "decline", "organization": people["npo"].pk,
                 "reason": "体制が整わないため"})  # fmt: skip
    assert ConsultationBooking.objects.get(pk=booking.pk).match.state == "declined"
    _given_back(people, slot, booking)
