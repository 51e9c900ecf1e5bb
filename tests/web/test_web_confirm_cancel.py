"""A confirmation before cancelling: a coordinator's slot (a confirmation page, and a
server that will not cancel a booked slot without it) and a party's booking (a
disclosure that asks first). Both work without JavaScript."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import make_offer
from django.utils import timezone
from workflow_support import drive, two_party_match

from matching.consultations.services import book
from matching.consultations.slots import publish_slot
from matching.models import ConsultationBooking, InterestRequest

pytestmark = pytest.mark.django_db


@pytest.fixture
def booked(people):
    start = timezone.make_aware(
        dt.datetime.combine(timezone.localdate() + dt.timedelta(days=3), dt.time(10))
    )
    end = start + dt.timedelta(hours=1)
    slot = publish_slot(people["coordinator"], starts_at=start, ends_at=end, place="会議室A")
    match = drive(two_party_match(people), "introduced", people["coordinator"])
    booking = book(slot, match, people["member"])
    return {"slot": slot, "match": match, "booking": booking}


def test_slot_list_asks_before_cancelling(client, people, booked):
    client.force_login(people["coordinator"])
    slot = booked["slot"]
    html = client.get("/coord/slots/").content.decode()
    # the list links to a confirmation; it holds no form that cancels at once
    assert f'href="/coord/slots/{slot.pk}/cancel/"' in html
    assert f'action="/coord/slots/{slot.pk}/cancel/"' not in html
    html = client.get(f"/coord/slots/{slot.pk}/cancel/").content.decode()
    assert "このコマを取り消しますか？" in html and booked["match"].title in html
    assert "1 件の予約があります" in html and 'name="confirmed" value="1"' in html
    slot.refresh_from_db()
    assert not slot.is_cancelled


def test_a_booked_slot_is_not_cancelled_without_the_confirmation(client, people, booked):
    client.force_login(people["coordinator"])
    slot = booked["slot"]
    response = client.post(f"/coord/slots/{slot.pk}/cancel/", {"reason": "会場の都合"})
    assert response.status_code == 200
    assert "このコマを取り消しますか？" in response.content.decode()
    assert 'value="会場の都合"' in response.content.decode()  # the reason is kept
    slot.refresh_from_db()
    assert not slot.is_cancelled
    response = client.post(
        f"/coord/slots/{slot.pk}/cancel/", {"reason": "会場の都合", "confirmed": "1"}, follow=True
    )
    slot.refresh_from_db()
    assert slot.is_cancelled and "コマを取り消しました" in response.content.decode()
    booked["booking"].refresh_from_db()
    assert booked["booking"].status == ConsultationBooking.Status.CANCELLED


def test_a_party_confirms_before_cancelling_a_booking(client, people, booked):
    client.force_login(people["member"])
    html = client.get(f"/my/matches/{booked['match'].pk}/").content.decode()
    action = f'action="/my/consultations/{booked["booking"].pk}/cancel/"'
    assert action in html
    # the cancelling form sits inside a disclosure that asks first
    before = html[: html.index(action)]
    assert before.rindex("<details") > before.rfind("</details>")
    assert "この予約を取り消しますか？" in html


def test_a_member_confirms_before_withdrawing_a_request(client, people):
    row = InterestRequest.objects.create(
        organization=people["department"],
        offer=make_offer(people["npo"], title="取り下げる前に確かめるシーズ"),
        requested_by=people["staff"],
    )
    client.force_login(people["staff"])
    html = client.get("/my/requests/").content.decode()
    action = f'action="/my/requests/{row.pk}/withdraw/"'
    assert action in html
    # the withdrawing form sits inside a disclosure that asks first
    before = html[: html.index(action)]
    assert before.rindex("<details") > before.rfind("</details>")
    assert "この依頼を取り下げますか？" in html and "はい、依頼を取り下げる" in html
    row.refresh_from_db()
    assert row.status == InterestRequest.Status.PENDING
