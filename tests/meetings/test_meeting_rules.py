"""The rules of meetings and registrations (meetings.services): who may, validation, seats
counted in people, the waitlist and its promotion, deadline, approval, invitation-only, no
double registration, notices. The API is in test_meetings_api.py; the concurrency proof on
PostgreSQL in test_meeting_concurrency.py."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import make_org, make_user
from django.db import IntegrityError, transaction
from django.utils import timezone
from meeting_support import make_meeting

from lib.errors import Conflict, Forbidden, Invalid
from meetings import invitations, services
from meetings.models import Meeting, Registration
from notifications.models import Notification

pytestmark = pytest.mark.django_db

Status = Registration.Status


@pytest.fixture
def orgs(people):
    """The organizer (a department, people["staff"]) and five registrants with a member."""
    registrants = []
    for i in range(5):
        org = make_org(f"参加団体{i}", "citizen_group")
        registrants.append((org, make_user(f"reg{i}", org)))
    return {"organizer": people["department"], "staff": people["staff"], "reg": registrants}


def _register(meeting, pair, attendees, names=()):
    org, user = pair
    return services.register(meeting, org, user, attendees, names)


def _status(registration) -> str:
    registration.refresh_from_db()
    return registration.status


# --- meetings ------------------------------------------------------------------------------
def test_a_meeting_is_checked_field_by_field(orgs):
    start = timezone.now() + dt.timedelta(days=5)
    with pytest.raises(Invalid) as exc:
        make_meeting(
            orgs["organizer"],
            orgs["staff"],
            starts_at=start,
            ends_at=start - dt.timedelta(hours=1),
            registration_deadline=start + dt.timedelta(hours=1),
            capacity=0,
        )
    errors = exc.value.field_errors()
    assert {"ends_at", "registration_deadline", "capacity"} <= set(errors)
    assert "終了日時" in str(errors["ends_at"][0])
    assert not Meeting.objects.exists()


def test_a_meeting_is_not_made_for_the_past(orgs):
    start = timezone.now() - dt.timedelta(days=1)
    with pytest.raises(Invalid) as exc:
        make_meeting(
            orgs["organizer"], orgs["staff"], starts_at=start, ends_at=start + dt.timedelta(hours=1)
        )
    assert "starts_at" in exc.value.field_errors()
    meeting = make_meeting(orgs["organizer"], orgs["staff"])
    with pytest.raises(Invalid) as exc:
        services.update_meeting(meeting, orgs["staff"], registration_deadline=start)
    assert "registration_deadline" in exc.value.field_errors()


def test_only_members_of_the_organizer_or_coordinators_organize(orgs, people):
    with pytest.raises(Invalid) as exc:
        make_meeting(orgs["organizer"], people["member"])
    assert exc.value.field == "organizer"
    with pytest.raises(Invalid):  # no organization: coordinators only
        make_meeting(None, people["member"])
    assert make_meeting(None, people["coordinator"]).organizer is None
    meeting = make_meeting(orgs["organizer"], orgs["staff"], publish=False)
    with pytest.raises(Forbidden):
        services.publish(meeting, people["member"])
    with pytest.raises(Forbidden):
        services.update_meeting(meeting, people["member"], title="乗っ取り")
    with pytest.raises(Forbidden):
        services.cancel_meeting(meeting, people["member"])
    assert services.publish(meeting, people["coordinator"]).status == "published"


# --- seats in people, waitlist, promotion --------------------------------------------------
def test_seats_are_counted_in_people_not_registrations(orgs):
    meeting = make_meeting(orgs["organizer"], orgs["staff"], capacity=5)
    first = _register(meeting, orgs["reg"][0], 3)
    second = _register(meeting, orgs["reg"][1], 3)  # 3 + 3 > 5
    assert (first.status, second.status) == ("registered", "waitlisted")
    assert services.seats_left(meeting) == 2
    assert services.waitlist_position(second) == 1


def test_nobody_overtakes_the_waitlist(orgs):
    meeting = make_meeting(orgs["organizer"], orgs["staff"], capacity=5)
    _register(meeting, orgs["reg"][0], 3)
    waiting = _register(meeting, orgs["reg"][1], 3)
    later = _register(meeting, orgs["reg"][2], 2)  # would fit, but someone waits
    assert later.status == "waitlisted"
    assert services.waitlist_position(waiting) == 1
    assert services.waitlist_position(later) == 2


def test_more_people_than_the_capacity_is_refused(orgs):
    meeting = make_meeting(orgs["organizer"], orgs["staff"], capacity=5)
    with pytest.raises(Invalid) as exc:
        _register(meeting, orgs["reg"][0], 6)
    assert "attendees" in exc.value.field_errors()
    with pytest.raises(Invalid) as exc:
        _register(meeting, orgs["reg"][0], 1, ["山田", "佐藤"])
    assert "attendee_names" in exc.value.field_errors()
    assert not Registration.objects.exists()


def test_a_cancellation_promotes_the_waitlist_in_order_while_people_fit(orgs):
    meeting = make_meeting(orgs["organizer"], orgs["staff"], capacity=5)
    first = _register(meeting, orgs["reg"][0], 4)
    second = _register(meeting, orgs["reg"][1], 3)
    third = _register(meeting, orgs["reg"][2], 2)
    fourth = _register(meeting, orgs["reg"][3], 1)
    services.cancel_registration(first, orgs["reg"][0][1])
    # 5 seats: the second (3) and third (2) move up; the fourth (1) does not fit.
    assert [_status(r) for r in (first, second, third, fourth)] == [
        "cancelled",
        "registered",
        "registered",
        "waitlisted",
    ]
    assert services.seats_left(meeting) == 0
    promoted = Notification.objects.filter(kind="meeting.promoted")
    assert set(promoted.values_list("recipient__username", flat=True)) == {"reg1", "reg2"}


def test_promotion_stops_at_the_first_that_does_not_fit(orgs):
    meeting = make_meeting(orgs["organizer"], orgs["staff"], capacity=5)
    first = _register(meeting, orgs["reg"][0], 2)
    _register(meeting, orgs["reg"][1], 3)
    big = _register(meeting, orgs["reg"][2], 4)
    small = _register(meeting, orgs["reg"][3], 1)
    services.cancel_registration(first, orgs["reg"][0][1])  # 2 seats free
    assert (_status(big), _status(small)) == ("waitlisted", "waitlisted")


def test_a_larger_capacity_promotes_and_a_smaller_one_is_refused(orgs):
    meeting = make_meeting(orgs["organizer"], orgs["staff"], capacity=3)
    _register(meeting, orgs["reg"][0], 3)
    waiting = _register(meeting, orgs["reg"][1], 2)
    with pytest.raises(Invalid) as exc:
        services.update_meeting(meeting, orgs["staff"], capacity=2)
    assert exc.value.field == "capacity"
    services.update_meeting(meeting, orgs["staff"], capacity=5)
    assert _status(waiting) == "registered"


def test_cancellation_only_until_the_start_and_only_by_those_concerned(orgs, people):
    meeting = make_meeting(orgs["organizer"], orgs["staff"])
    registration = _register(meeting, orgs["reg"][0], 1)
    with pytest.raises(Forbidden):
        services.cancel_registration(registration, people["member"])
    Meeting.objects.filter(pk=meeting.pk).update(starts_at=timezone.now() - dt.timedelta(minutes=1))
    with pytest.raises(Conflict):
        services.cancel_registration(registration, orgs["reg"][0][1])
    assert _status(registration) == "registered"


# --- who, when, how often ------------------------------------------------------------------
def test_only_members_register_their_organization(orgs, people):
    meeting = make_meeting(orgs["organizer"], orgs["staff"])
    org = orgs["reg"][0][0]
    for outsider in (people["member"], people["coordinator"]):
        with pytest.raises(Invalid) as exc:
            services.register(meeting, org, outsider, 1)
        assert exc.value.field == "organization"


def test_no_registration_after_the_deadline_or_before_publication(orgs):
    start = timezone.now() + dt.timedelta(days=3)
    meeting = make_meeting(
        orgs["organizer"],
        orgs["staff"],
        starts_at=start,
        ends_at=start + dt.timedelta(hours=1),
        registration_deadline=start - dt.timedelta(days=1),
    )
    Meeting.objects.filter(pk=meeting.pk).update(
        registration_deadline=timezone.now() - dt.timedelta(minutes=1)
    )
    with pytest.raises(Conflict) as exc:
        _register(meeting, orgs["reg"][0], 1)
    assert exc.value.code == "deadline"
    draft = make_meeting(orgs["organizer"], orgs["staff"], publish=False)
    with pytest.raises(Conflict):
        _register(draft, orgs["reg"][0], 1)
    assert not Registration.objects.exists()


def test_an_organization_registers_once(orgs):
    meeting = make_meeting(orgs["organizer"], orgs["staff"])
    first = _register(meeting, orgs["reg"][0], 1)
    other_member = make_user("reg0-b", orgs["reg"][0][0])
    with pytest.raises(Conflict) as exc:
        services.register(meeting, orgs["reg"][0][0], other_member, 2)
    assert exc.value.field == "organization"
    services.cancel_registration(first, orgs["reg"][0][1])
    assert _register(meeting, orgs["reg"][0], 2).status == "registered"


def test_the_database_refuses_a_second_active_registration(orgs):
    meeting = make_meeting(orgs["organizer"], orgs["staff"])
    org = orgs["reg"][0][0]
    Registration.objects.create(meeting=meeting, organization=org, attendees=1, status="registered")
    Registration.objects.create(meeting=meeting, organization=org, attendees=1, status="cancelled")
    with pytest.raises(IntegrityError), transaction.atomic():
        Registration.objects.create(
            meeting=meeting, organization=org, attendees=1, status="waitlisted"
        )


# --- approval and invitations --------------------------------------------------------------
def test_approval_mode(orgs, people):
    meeting = make_meeting(
        orgs["organizer"], orgs["staff"], capacity=4, registration_mode="approval"
    )
    first = _register(meeting, orgs["reg"][0], 3)
    second = _register(meeting, orgs["reg"][1], 3)
    third = _register(meeting, orgs["reg"][2], 1)
    assert {first.status, second.status, third.status} == {"pending_approval"}
    assert services.seats_left(meeting) == 4  # a request takes no seat
    asked = Notification.objects.filter(kind="meeting.approval_requested", recipient=orgs["staff"])
    assert asked.count() == 3
    with pytest.raises(Forbidden):
        services.approve(first, people["member"])
    assert services.approve(first, orgs["staff"]).status == "registered"
    assert services.approve(second, people["coordinator"]).status == "waitlisted"  # 3 + 3 > 4
    assert services.decline(third, orgs["staff"]).status == "declined"
    with pytest.raises(Conflict):
        services.approve(third, orgs["staff"])
    assert Notification.objects.filter(kind="meeting.declined", recipient__username="reg2").exists()


def test_invitation_only(orgs, people):
    meeting = make_meeting(orgs["organizer"], orgs["staff"], registration_mode="invitation")
    with pytest.raises(Forbidden) as exc:
        _register(meeting, orgs["reg"][0], 1)
    assert exc.value.code == "not_invited"
    with pytest.raises(Forbidden):
        invitations.invite(meeting, people["member"], orgs["reg"][0][0])
    invitations.invite(meeting, orgs["staff"], orgs["reg"][0][0])
    assert _register(meeting, orgs["reg"][0], 1).status == "registered"
    with pytest.raises(Forbidden):
        _register(meeting, orgs["reg"][1], 1)


# --- notices -------------------------------------------------------------------------------
def test_registrants_are_told(orgs):
    meeting = make_meeting(orgs["organizer"], orgs["staff"], capacity=2)
    _register(meeting, orgs["reg"][0], 2)
    _register(meeting, orgs["reg"][1], 1)
    kinds = dict(Notification.objects.values_list("recipient__username", "kind"))
    assert kinds == {"reg0": "meeting.registered", "reg1": "meeting.waitlisted"}
    waitlisted = Notification.objects.get(kind="meeting.waitlisted")
    assert "1番目" in waitlisted.body
    services.cancel_meeting(meeting, orgs["staff"], reason="台風のため")
    cancelled = Notification.objects.filter(kind="meeting.cancelled")
    assert set(cancelled.values_list("recipient__username", flat=True)) == {"reg0", "reg1"}
    assert "台風のため" in cancelled.first().body
    with pytest.raises(Conflict):
        _register(meeting, orgs["reg"][2], 1)


def test_the_kinds_have_labels():
    from notifications.kinds import KINDS

    for kind in ("registered", "waitlisted", "promoted", "cancelled", "approval_requested"):
        assert f"meeting.{kind}" in KINDS


# --- the admin -----------------------------------------------------------------------------
def test_the_admin_keeps_registrations_and_seat_rules_read_only(orgs, people, client):
    meeting = make_meeting(orgs["organizer"], orgs["staff"])
    registration = _register(meeting, orgs["reg"][0], 2, ["参加 一郎"])
    client.force_login(people["admin"])
    page = client.get(f"/admin/meetings/registration/{registration.pk}/change/")
    assert page.status_code == 200
    assert 'name="status"' not in page.content.decode()
    assert client.get("/admin/meetings/registration/add/").status_code == 403
    page = client.get(f"/admin/meetings/meeting/{meeting.pk}/change/")
    assert page.status_code == 200
    assert 'name="capacity"' not in page.content.decode()
    assert 'name="title"' in page.content.decode()


def test_the_admin_checks_a_new_meeting_like_the_services(people, client):
    client.force_login(people["admin"])
    start = timezone.localtime() + dt.timedelta(days=5)
    body = {
        "kind": "exchange",
        "title": "管理画面の会",
        "starts_at_0": start.strftime("%Y-%m-%d"),
        "starts_at_1": "10:00:00",
        "ends_at_0": start.strftime("%Y-%m-%d"),
        "ends_at_1": "09:00:00",
        "capacity": "10",
        "registration_mode": "open",
        "registrations-TOTAL_FORMS": "0",
        "registrations-INITIAL_FORMS": "0",
    }
    page = client.post("/admin/meetings/meeting/add/", body)
    assert page.status_code == 200
    assert "終了日時は開始日時より後にしてください。" in page.content.decode()
    assert not Meeting.objects.exists()
