"""The meetings API: the public list and its filters, one meeting with its seats left,
the privacy of attendee names, registrations (201 with their status), cancel, approval,
invitations, and field-level Japanese (and English) messages."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import make_org, make_user
from django.utils import timezone
from meeting_support import make_meeting

from meetings import services
from meetings.models import Meeting, Registration

pytestmark = pytest.mark.django_db

URL = "/api/v1/meetings/"


@pytest.fixture
def world(people):
    organizer, staff = people["department"], people["staff"]
    meeting = make_meeting(organizer, staff, capacity=3, title="子育て支援の交流会")
    guest_org = make_org("参加する会", "citizen_group")
    guest = make_user("guest", guest_org)
    registration = services.register(meeting, guest_org, guest, 2, ["参加 一郎", "参加 二郎"])
    return {
        **people,
        "meeting": meeting,
        "guest": guest,
        "guest_org": guest_org,
        "registration": registration,
    }


def test_the_list_is_public_and_shows_published_meetings_only(api, world):
    make_meeting(world["department"], world["staff"], publish=False, title="下書きの会")
    answer = api.get(URL)
    assert answer.status_code == 200
    titles = [m["title"] for m in answer.json()["results"]]
    assert titles == ["子育て支援の交流会"]


def test_the_list_filters(api, world, city):
    staff, department = world["staff"], world["department"]
    from organizations.models import Area, Field

    later = make_meeting(
        department,
        staff,
        title="防災の研修",
        kind=Meeting.Kind.TRAINING,
        starts_at=timezone.now() + dt.timedelta(days=40),
        ends_at=timezone.now() + dt.timedelta(days=40, hours=2),
    )
    field = Field.objects.first()
    later.fields.set([field])
    later.areas.set([Area.objects.get(code="t-kita")])

    def titles(**params) -> list[str]:
        return [m["title"] for m in api.get(URL, params).json()["results"]]

    assert titles(kind="training") == ["防災の研修"]
    assert titles(field=field.code) == ["防災の研修"]
    assert titles(area="t-kita") == ["防災の研修"]
    day = (timezone.localdate() + dt.timedelta(days=20)).isoformat()
    assert titles(**{"from": day}) == ["防災の研修"]
    assert api.get(URL, {"from": "2026-13-45"}).status_code == 400


def test_a_meeting_shows_its_seats_left(api, world):
    answer = api.get(f"{URL}{world['meeting'].pk}/")
    assert answer.status_code == 200
    assert answer.json()["seats_left"] == 1
    assert answer.json()["registrations"] == []


@pytest.mark.parametrize(
    ("who", "sees_names"),
    [("staff", True), ("coordinator", True), ("guest", False), ("member", False)],
)
def test_attendee_names_only_for_the_organizer_and_coordinators(api, world, who, sees_names):
    api.force_authenticate(world[who])
    answer = api.get(f"{URL}{world['meeting'].pk}/")
    assert answer.status_code == 200
    assert ("参加 一郎" in answer.content.decode()) is sees_names
    registrations = answer.json()["registrations"]
    if who == "member":
        assert registrations == []  # not the organizer, not a registrant
    else:
        assert [r["organization"] for r in registrations] == [world["guest_org"].pk]


def test_a_draft_is_not_found_by_others(api, world):
    draft = make_meeting(world["department"], world["staff"], publish=False)
    assert api.get(f"{URL}{draft.pk}/").status_code == 404
    api.force_authenticate(world["member"])
    assert api.get(f"{URL}{draft.pk}/").status_code == 404
    api.force_authenticate(world["staff"])
    assert api.get(f"{URL}{draft.pk}/").status_code == 200


def test_an_organizer_creates_and_publishes(api, world):
    api.force_authenticate(world["member"])
    start = timezone.now() + dt.timedelta(days=14)
    body = {
        "kind": "dialogue",
        "organizer": world["npo"].pk,
        "title": "NPOと市の意見交換会",
        "starts_at": start.isoformat(),
        "ends_at": (start + dt.timedelta(hours=2)).isoformat(),
        "capacity": 30,
        "registration_mode": "approval",
        "sign_language": True,
    }
    answer = api.post(URL, body, format="json")
    assert answer.status_code == 201, answer.json()
    assert answer.json()["status"] == "draft"
    pk = answer.json()["id"]
    answer = api.post(f"{URL}{pk}/publish/")
    assert answer.status_code == 200
    assert answer.json()["status"] == "published"
    # Not for an organization of someone else's.
    answer = api.post(URL, {**body, "organizer": world["department"].pk}, format="json")
    assert answer.status_code == 400
    assert "organizer" in answer.json()


def test_bad_input_gets_field_messages_in_japanese_and_english(api, world):
    api.force_authenticate(world["staff"])
    start = timezone.now() + dt.timedelta(days=14)
    body = {
        "kind": "exchange",
        "organizer": world["department"].pk,
        "title": "交流会",
        "starts_at": start.isoformat(),
        "ends_at": (start - dt.timedelta(hours=1)).isoformat(),
        "capacity": 10,
    }
    answer = api.post(URL, body, format="json")
    assert answer.status_code == 400
    assert answer.json()["ends_at"] == ["終了日時は開始日時より後にしてください。"]
    answer = api.post(URL, body, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert answer.json()["ends_at"] == ["The end time must be after the start time."]


def test_register_answers_201_with_the_status(api, world):
    meeting = world["meeting"]  # 3 seats, 2 taken
    orgs = [make_org(f"申込団体{i}", "citizen_group") for i in range(2)]
    users = [make_user(f"applicant{i}", org) for i, org in enumerate(orgs)]
    api.force_authenticate(users[0])
    url = f"{URL}{meeting.pk}/registrations/"
    answer = api.post(url, {"organization": orgs[0].pk, "attendees": 2}, format="json")
    assert answer.status_code == 201
    assert answer.json()["status"] == "waitlisted"
    assert answer.json()["waitlist_position"] == 1
    api.force_authenticate(users[1])
    answer = api.post(url, {"organization": orgs[1].pk, "attendees": 1}, format="json")
    assert answer.json()["status"] == "waitlisted"  # behind the first
    # Twice: 409 with the field.
    answer = api.post(url, {"organization": orgs[1].pk, "attendees": 1}, format="json")
    assert answer.status_code == 409
    assert "organization" in answer.json()
    # For someone else's organization: 400 on the field.
    answer = api.post(url, {"organization": orgs[0].pk, "attendees": 1}, format="json")
    assert answer.status_code == 400
    assert "organization" in answer.json()
    answer = api.post(url, {"organization": orgs[1].pk, "attendees": 0}, format="json")
    assert answer.status_code == 400
    assert "attendees" in answer.json()


def test_cancel_promotes_through_the_api(api, world):
    meeting = world["meeting"]
    org = make_org("待つ会", "citizen_group")
    user = make_user("waiting", org)
    waiting = services.register(meeting, org, user, 3)
    assert waiting.status == "waitlisted"
    api.force_authenticate(world["member"])  # not concerned
    url = f"{URL}{meeting.pk}/registrations/{world['registration'].pk}/cancel/"
    assert api.post(url).status_code == 403
    api.force_authenticate(world["guest"])
    answer = api.post(url)
    assert answer.status_code == 200
    assert answer.json()["status"] == "cancelled"
    waiting.refresh_from_db()
    assert waiting.status == "registered"
    assert api.post(f"{URL}{meeting.pk}/registrations/999999/cancel/").status_code == 404


def test_approve_and_decline_through_the_api(api, world):
    meeting = make_meeting(
        world["department"], world["staff"], registration_mode="approval", capacity=10
    )
    first = services.register(meeting, world["guest_org"], world["guest"], 2)
    second = services.register(meeting, world["npo"], world["member"], 2)
    assert first.status == "pending_approval"
    base = f"{URL}{meeting.pk}/registrations"
    api.force_authenticate(world["guest"])
    assert api.post(f"{base}/{first.pk}/approve/").status_code == 403
    api.force_authenticate(world["staff"])
    assert api.post(f"{base}/{first.pk}/approve/").json()["status"] == "registered"
    assert api.post(f"{base}/{second.pk}/decline/").json()["status"] == "declined"
    assert api.post(f"{base}/{second.pk}/approve/").status_code == 409


def test_invitations_through_the_api(api, world):
    meeting = make_meeting(world["department"], world["staff"], registration_mode="invitation")
    url = f"{URL}{meeting.pk}/registrations/"
    api.force_authenticate(world["guest"])
    body = {"organization": world["guest_org"].pk, "attendees": 1}
    assert api.post(url, body, format="json").status_code == 403
    assert (
        api.post(
            f"{URL}{meeting.pk}/invitations/",
            {"organization": world["guest_org"].pk},
            format="json",
        ).status_code
        == 403
    )
    api.force_authenticate(world["staff"])
    answer = api.post(
        f"{URL}{meeting.pk}/invitations/", {"organization": world["guest_org"].pk}, format="json"
    )
    assert answer.status_code == 201
    api.force_authenticate(world["guest"])
    answer = api.post(url, body, format="json")
    assert answer.status_code == 201
    assert answer.json()["status"] == "registered"
    assert Registration.objects.filter(meeting=meeting).count() == 1
