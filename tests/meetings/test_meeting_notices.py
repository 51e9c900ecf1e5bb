"""What meetings tell people on their own (meetings.notices): reminders 3 days and 1 day
before, changes to every registrant, the post-meeting form, new meetings in an
organization's fields and areas (and in the weekly digest). The clock is a parameter."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import make_offer, make_org, make_user
from django.utils import timezone
from meeting_support import make_meeting

from lib.tasks import task
from meetings import announcements, notices, reminders, services
from meetings.models import Meeting
from notifications import services as notification_services
from notifications.models import Channel, Delivery, Notification
from organizations.models import Area, Field

pytestmark = pytest.mark.django_db


def _local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=timezone.get_current_timezone())


def _to(kind: str) -> set[str]:
    return set(Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True))


@pytest.fixture
def ctx(people):
    """A meeting 10 days ahead at 14:00 (capacity 3) organized by the department; one
    organization registered, one waiting, one that cancelled, and an outsider."""
    day = timezone.localdate() + dt.timedelta(days=10)
    start = _local(day, 14)
    meeting = make_meeting(
        people["department"],
        people["staff"],
        starts_at=start,
        ends_at=start + dt.timedelta(hours=2),
        capacity=3,
        venue_address="テスト市北区1-2-3",
    )
    orgs = {}
    for name in ("registered", "waiting", "gone", "outsider"):
        org = make_org(f"{name}の会", "citizen_group")
        make_user(name, org)
        orgs[name] = org

    def register(name: str, attendees: int):
        user = orgs[name].memberships.get().user
        return services.register(meeting, orgs[name], user, attendees)

    registered = register("registered", 2)
    waiting = register("waiting", 3)
    gone = register("gone", 1)
    services.cancel_registration(gone, orgs["gone"].memberships.get().user)
    assert (registered.status, waiting.status) == ("registered", "waitlisted")
    Notification.objects.all().delete()  # the confirmations; what follows is under test
    return {"meeting": meeting, "day": day, "orgs": orgs, **people}


# --- reminders ---------------------------------------------------------------------------
def test_reminders_3_days_and_1_day_before_once_each_to_registered_and_organizer(ctx):
    day = ctx["day"]
    for days_before in (5, 4):
        reminders.send_reminders(now=_local(day - dt.timedelta(days=days_before), 9))
    assert not Notification.objects.exists()

    run = reminders.send_reminders(now=_local(day - dt.timedelta(days=3), 9))
    assert run.notified == 2
    assert _to(notices.KIND_REMINDER_3D) == {"registered", "staff"}  # not waiting, not gone
    notice = Notification.objects.get(kind=notices.KIND_REMINDER_3D, recipient__username="staff")
    assert "3日後" in notice.title and "子育て支援の交流会" in notice.title
    assert "参加確定: 1団体・2人（定員3人）" in notice.body
    assert "キャンセル待ち: 1団体" in notice.body
    # The organizer's reminder opens its own page; the registrants' the meeting's page.
    assert notice.url == f"/my/meetings/{ctx['meeting'].pk}/"
    member_notice = Notification.objects.get(
        kind=notices.KIND_REMINDER_3D, recipient__username="registered"
    )
    assert "テスト市北区1-2-3" in member_notice.body and "14:00〜16:00" in member_notice.body
    assert member_notice.url == f"/meetings/{ctx['meeting'].pk}/"

    # The same day again, the day after: nothing new (once each).
    assert reminders.send_reminders(now=_local(day - dt.timedelta(days=3), 15)).notified == 0
    assert reminders.send_reminders(now=_local(day - dt.timedelta(days=2), 9)).notified == 0

    run = reminders.send_reminders(now=_local(day - dt.timedelta(days=1), 9))
    assert run.notified == 2
    assert _to(notices.KIND_REMINDER_1D) == {"registered", "staff"}
    assert "明日" in Notification.objects.filter(kind=notices.KIND_REMINDER_1D).first().title
    assert reminders.send_reminders(now=_local(day, 9)).notified == 0  # on the day: already done
    assert Notification.objects.count() == 4


def test_a_missed_day_is_caught_up_and_a_moved_meeting_is_reminded_again(ctx):
    day = ctx["day"]
    # The run 3 days before did not happen: the one 2 days before sends the first reminder.
    reminders.send_reminders(now=_local(day - dt.timedelta(days=2), 9))
    assert _to(notices.KIND_REMINDER_3D) == {"registered", "staff"}
    assert "2日後" in Notification.objects.filter(kind=notices.KIND_REMINDER_3D).first().title

    meeting = ctx["meeting"]
    services.update_meeting(
        meeting,
        ctx["staff"],
        starts_at=meeting.starts_at + dt.timedelta(days=7),
        ends_at=meeting.ends_at + dt.timedelta(days=7),
    )
    new_day = day + dt.timedelta(days=7)
    reminders.send_reminders(now=_local(new_day - dt.timedelta(days=3), 9))
    assert Notification.objects.filter(kind=notices.KIND_REMINDER_3D).count() == 4


def test_no_reminders_for_a_cancelled_meeting(ctx):
    services.cancel_meeting(ctx["meeting"], ctx["staff"], reason="台風のため")
    Notification.objects.all().delete()
    for days_before in (3, 1):
        reminders.send_reminders(now=_local(ctx["day"] - dt.timedelta(days=days_before), 9))
    assert not Notification.objects.exists()


# --- changes -----------------------------------------------------------------------------
def test_a_change_is_told_to_every_registrant_with_before_and_after(ctx):
    meeting = ctx["meeting"]
    old_when = notices.when_text(meeting.starts_at, meeting.ends_at)
    services.update_meeting(
        meeting,
        ctx["staff"],
        venue_name="北区民センター",
        starts_at=meeting.starts_at + dt.timedelta(hours=1),
        ends_at=meeting.ends_at + dt.timedelta(hours=1),
        sign_language=True,
        description="内容の説明だけを直しました。",
    )
    # The registered and the waiting organization; not the one that cancelled, nor the
    # organizer (who made the change), nor an outsider.
    assert _to(notices.KIND_CHANGED) == {"registered", "waiting"}
    notice = Notification.objects.filter(kind=notices.KIND_CHANGED).first()
    new_when = notices.when_text(
        meeting.starts_at + dt.timedelta(hours=1), meeting.ends_at + dt.timedelta(hours=1)
    )
    assert f"・日時: {old_when} → {new_when}" in notice.body
    assert "・会場名: 市民活動サポートセンター → 北区民センター" in notice.body
    assert "・手話通訳: なし → あり" in notice.body
    assert "内容" not in notice.body.split("\n\n")[1]  # the description is not a change listed
    assert [c["field"] for c in notice.payload["changes"]] == [
        "starts_at",
        "venue_name",
        "sign_language",
    ]
    assert notice.url == f"/meetings/{meeting.pk}/"


def test_a_change_nobody_notices_tells_no_one(ctx):
    services.update_meeting(ctx["meeting"], ctx["staff"], description="説明を直しました。")
    assert not Notification.objects.filter(kind=notices.KIND_CHANGED).exists()


def test_a_larger_capacity_is_a_change_and_promotes(ctx):
    services.update_meeting(ctx["meeting"], ctx["staff"], capacity=6)
    assert _to(notices.KIND_CHANGED) == {"registered", "waiting"}
    assert _to("meeting.promoted") == {"waiting"}
    notice = Notification.objects.filter(kind=notices.KIND_CHANGED).first()
    assert "・定員（人）: 3人 → 6人" in notice.body


# --- the post-meeting form ---------------------------------------------------------------
def _end_in_the_past(meeting: Meeting, hours_ago: int = 1) -> dt.datetime:
    end = timezone.now() - dt.timedelta(hours=hours_ago)
    Meeting.objects.filter(pk=meeting.pk).update(starts_at=end - dt.timedelta(hours=2), ends_at=end)
    return end


def test_the_post_meeting_form_goes_once_to_the_organizations_that_attended(ctx):
    meeting = ctx["meeting"]
    other = make_org("もうひとつの会", "npo_corporation")
    make_user("another", other)
    services.update_meeting(meeting, ctx["staff"], capacity=10)  # the waiting one moves up
    services.register(meeting, other, other.memberships.get().user, 1)
    assert reminders.request_wishes().meetings == 0  # not ended yet

    _end_in_the_past(meeting)
    meeting.registrations.filter(organization__in=[ctx["orgs"]["registered"], other]).update(
        checked_in_at=timezone.now()
    )
    Notification.objects.all().delete()
    run = reminders.request_wishes()
    assert (run.meetings, run.notified) == (1, 3)
    # Checked in: the registered one and the other; the promoted one did not come. The
    # organizer organization was in the room too (its staff may name participants).
    assert _to(notices.KIND_WISHES) == {"registered", "another", "staff"}
    notice = Notification.objects.filter(kind=notices.KIND_WISHES).first()
    assert notice.url == f"/meetings/{meeting.pk}/wishes/"
    assert "もっと話したい団体" in notice.title
    assert "回答の締切: " in notice.body
    meeting.refresh_from_db()
    assert meeting.wishes_requested_at is not None
    assert reminders.request_wishes().notified == 0  # once
    assert Notification.objects.filter(kind=notices.KIND_WISHES).count() == 3


def test_without_check_in_the_registered_are_asked_and_never_for_a_cancelled_one(ctx, people):
    meeting = ctx["meeting"]
    _end_in_the_past(meeting)
    reminders.request_wishes()
    assert _to(notices.KIND_WISHES) == {"registered", "staff"}  # not the waiting one

    start = timezone.now() + dt.timedelta(days=5)
    cancelled = make_meeting(
        people["department"],
        people["staff"],
        starts_at=start,
        ends_at=start + dt.timedelta(hours=2),
    )
    services.register(cancelled, people["group"], people["other"], 1)
    services.cancel_meeting(cancelled, people["staff"])
    _end_in_the_past(cancelled)
    assert reminders.request_wishes().meetings == 0
    assert Meeting.objects.get(pk=cancelled.pk).wishes_requested_at is None


# --- new meetings ------------------------------------------------------------------------
def _org(name: str, fields=(), areas=()) -> object:
    org = make_org(name, "citizen_group")
    org.fields.set(Field.objects.filter(code__in=fields))
    org.areas.set(Area.objects.filter(code__in=areas))
    make_user(f"u-{name}", org)
    return org


@pytest.fixture
def city_orgs(people):
    _org("kita-children", ["children"], ["t-kita"])
    _org("district-children", ["children"], ["t-kita-1"])  # inside 北区
    _org("citywide-children", ["children"], ["t-city"])  # the whole city covers 北区
    _org("nowhere-children", ["children"])  # names no area: not tied to a place
    _org("kita-welfare", ["welfare"], ["t-kita"])  # another field
    _org("minami-children", ["children"], ["t-minami"])  # another ward
    poster = _org("poster")  # nothing in its profile, but an open offer that fits
    make_offer(poster, "子ども食堂の手伝い", fields=["children"], areas=["t-kita-1"])
    own = people["department"]  # the organizer, in the field and the area
    own.fields.set(Field.objects.filter(code="children"))
    own.areas.set(Area.objects.filter(code="t-kita"))
    return people


def _children_meeting(people, **extra) -> Meeting:
    meeting = make_meeting(people["department"], people["staff"], publish=False, **extra)
    meeting.fields.set(Field.objects.filter(code="children"))
    meeting.areas.set(Area.objects.filter(code="t-kita"))
    return services.publish(meeting, people["staff"])


def test_a_new_meeting_goes_to_the_organizations_of_its_fields_and_areas(city_orgs):
    meeting = _children_meeting(city_orgs)
    assert announcements.announce_new_meeting(meeting.pk) == 5
    assert _to(notices.KIND_NEW) == {
        "u-kita-children",
        "u-district-children",
        "u-citywide-children",
        "u-nowhere-children",
        "u-poster",
    }  # not the organizer's staff, not another field or ward
    notice = Notification.objects.filter(kind=notices.KIND_NEW).first()
    assert notice.url == f"/meetings/{meeting.pk}/"
    assert "子育て支援の交流会" in notice.title
    assert "北区" in notice.body and "テスト市 高齢福祉課" in notice.body
    assert announcements.announce_new_meeting(meeting.pk) == 0  # once


def test_a_new_meeting_lands_in_the_weekly_digest(city_orgs, monkeypatch):
    monkeypatch.setattr(notification_services, "enqueue", lambda ids, countdown=None: len(ids))
    announcements.announce_new_meeting(_children_meeting(city_orgs).pk)
    notice = Notification.objects.get(kind=notices.KIND_NEW, recipient__username="u-poster")
    assert notice.channel == Channel.DIGEST_WEEKLY
    assert not Delivery.objects.filter(notification=notice).exists()  # no e-mail of its own
    notification_services.gather_digests(Channel.DIGEST_WEEKLY)
    notice.refresh_from_db()
    assert notice.digest is not None and notice.digest.recipient == notice.recipient


def test_a_meeting_without_fields_or_areas_is_for_the_whole_city(city_orgs):
    meeting = make_meeting(city_orgs["department"], city_orgs["staff"])
    announcements.announce_new_meeting(meeting.pk)
    told = _to(notices.KIND_NEW)
    assert {"u-kita-welfare", "u-minami-children", "member", "other"} <= told
    assert "staff" not in told


def test_invitation_only_meetings_are_not_announced(city_orgs):
    meeting = _children_meeting(city_orgs, registration_mode="invitation")
    assert announcements.announce_new_meeting(meeting.pk) == 0
    assert announcements.announce_new_meetings() == 0
    assert not Notification.objects.filter(kind=notices.KIND_NEW).exists()


def test_publishing_sends_the_task_after_commit_and_the_sweep_catches_a_lost_one(
    city_orgs, monkeypatch, django_capture_on_commit_callbacks
):
    sent: list[int] = []
    monkeypatch.setattr(task("meetings.announce_meeting"), "delay", sent.append)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        meeting = _children_meeting(city_orgs)
    assert sent == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert sent == [meeting.pk]
    # The message was lost (nothing announced): the hourly sweep sends it, once.
    assert announcements.announce_new_meetings() == 5
    assert announcements.announce_new_meetings() == 0
