"""Consultations (事前打合せ・相談): slots, bookings, notifications, reminders, .ics, feeds,
KPI. The concurrent-booking proof on PostgreSQL is in test_consultation_concurrency.py."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import make_org, make_user
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from icalendar import Calendar

from matching.consultations import calendar as calendar_mod
from matching.consultations import ical, slots
from matching.consultations import reminders as consultation_reminders
from matching.consultations import services as svc
from matching.matches.signals import match_transitioned
from matching.models import (
    CalendarFeed,
    ConsultationBooking,
    ConsultationSlot,
    Match,
    MatchParty,
)
from notifications.models import Notification

pytestmark = pytest.mark.django_db

Status = ConsultationBooking.Status


# --- helpers -----------------------------------------------------------------------------
def make_match(title: str, *orgs, state: str = "introduced", coordinator=None) -> Match:
    match = Match.objects.create(title=title, coordinator=coordinator)
    Match.objects.filter(pk=match.pk).update(state=state, introduced_at=timezone.now())
    roles = ["need_poster", "offer_poster"]
    for i, org in enumerate(orgs):
        MatchParty.objects.create(
            match=match, organization=org, role=roles[i] if i < 2 else "partner"
        )
    return Match.objects.get(pk=match.pk)  # the state field is protected: a fresh instance


def make_slot(coordinator, *, start: dt.datetime | None = None, capacity: int = 1, **kw):
    start = start or timezone.now() + dt.timedelta(days=3)
    start = start.replace(second=0, microsecond=0)  # calendars count in whole seconds
    kw.setdefault("place", "市民活動サポートセンター 会議室A")
    return ConsultationSlot.objects.create(
        coordinator=coordinator,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=1),
        capacity=capacity,
        **kw,
    )


def notified(kind: str) -> set[str]:
    return set(Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True))


@pytest.fixture
def ctx(people):
    """A match between the NPO and the department, and a slot of the coordinator."""
    match = make_match("高齢者見守りの協働", people["npo"], people["department"])
    slot = make_slot(people["coordinator"], capacity=2)
    return {**people, "match": match, "slot": slot}


EVERYONE = {"member", "staff", "coordinator"}  # the parties' members and the coordinator


# --- publishing slots --------------------------------------------------------------------
def test_publish_slot_is_for_coordinators_and_validates(people):
    start = timezone.now() + dt.timedelta(days=2)
    good = {"starts_at": start, "ends_at": start + dt.timedelta(hours=1), "place": "本庁舎3階"}
    with pytest.raises(svc.Forbidden):
        slots.publish_slot(people["member"], **good)
    with pytest.raises(svc.Invalid, match="終了日時"):
        slots.publish_slot(people["coordinator"], **{**good, "ends_at": start})
    past = timezone.now() - dt.timedelta(hours=2)
    with pytest.raises(svc.Invalid, match="過去"):
        slots.publish_slot(people["coordinator"], **{**good, "starts_at": past, "ends_at": start})
    with pytest.raises(svc.Invalid, match="場所"):
        slots.publish_slot(people["coordinator"], **{**good, "place": ""})
    assert ConsultationSlot.objects.count() == 0
    slot = slots.publish_slot(people["coordinator"], **good, capacity=3)
    assert (slot.coordinator, slot.capacity, slot.seats_left) == (people["coordinator"], 3, 3)


# --- booking -----------------------------------------------------------------------------
def test_booking_takes_a_seat_and_tells_everyone(ctx):
    booking = svc.book(ctx["slot"], ctx["match"], ctx["member"])
    ctx["slot"].refresh_from_db()
    assert ctx["slot"].booked_count == 1
    assert (booking.status, booking.sequence, booking.booked_by) == (
        Status.BOOKED,
        0,
        ctx["member"],
    )
    assert notified("consultation.booked") == EVERYONE  # never "other"


def test_a_coordinator_may_book_for_any_match(ctx):
    svc.book(ctx["slot"], ctx["match"], ctx["coordinator"])
    assert ctx["slot"].bookings.count() == 1


def _unchanged(slot: ConsultationSlot, booked: int) -> None:
    slot.refresh_from_db()
    assert slot.booked_count == booked
    assert slot.bookings.filter(status=Status.BOOKED).count() == booked


def test_full_slot_is_refused_with_409_and_nothing_changes(ctx):
    slot = make_slot(ctx["coordinator"], capacity=1)
    svc.book(slot, ctx["match"], ctx["member"])
    other = make_match("子育て支援の協働", ctx["group"], ctx["department"])
    before = Notification.objects.count()
    with pytest.raises(svc.Conflict, match="満席") as err:
        svc.book(slot, other, ctx["other"])
    assert err.value.status_code == 409
    _unchanged(slot, 1)
    assert Notification.objects.count() == before


def test_past_slot_is_refused_with_400(ctx):
    slot = make_slot(ctx["coordinator"], start=timezone.now() - dt.timedelta(minutes=5))
    with pytest.raises(svc.Invalid, match="開始時刻を過ぎた") as err:
        svc.book(slot, ctx["match"], ctx["member"])
    assert err.value.status_code == 400
    _unchanged(slot, 0)


def test_cancelled_slot_is_refused_with_409(ctx):
    slot = make_slot(ctx["coordinator"], is_cancelled=True)
    with pytest.raises(svc.Conflict, match="取り消されています"):
        svc.book(slot, ctx["match"], ctx["member"])
    _unchanged(slot, 0)


def test_only_a_party_member_or_coordinator_may_book(ctx):
    with pytest.raises(svc.Forbidden) as err:
        svc.book(ctx["slot"], ctx["match"], ctx["other"])
    assert err.value.status_code == 403
    _unchanged(ctx["slot"], 0)


@pytest.mark.parametrize("state", ["proposed", "declined", "cancelled", "completed"])
def test_match_state_must_allow_consultations(ctx, state):
    Match.objects.filter(pk=ctx["match"].pk).update(state=state)
    with pytest.raises(svc.Conflict, match="状態"):
        svc.book(ctx["slot"], ctx["match"], ctx["coordinator"])
    _unchanged(ctx["slot"], 0)


def test_the_same_match_cannot_hold_a_slot_twice(ctx):
    svc.book(ctx["slot"], ctx["match"], ctx["member"])
    with pytest.raises(svc.Conflict, match="すでに"):
        svc.book(ctx["slot"], ctx["match"], ctx["staff"])
    _unchanged(ctx["slot"], 1)


def test_the_database_refuses_an_overbooking_and_a_second_live_booking(ctx):
    slot = make_slot(ctx["coordinator"], capacity=1, booked_count=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        ConsultationSlot.objects.filter(pk=slot.pk).update(booked_count=F("booked_count") + 1)
    ConsultationBooking.objects.create(slot=ctx["slot"], match=ctx["match"])
    with pytest.raises(IntegrityError), transaction.atomic():
        ConsultationBooking.objects.create(slot=ctx["slot"], match=ctx["match"])
    # a cancelled booking does not count
    ConsultationBooking.objects.create(slot=ctx["slot"], match=ctx["match"], status="cancelled")


# --- cancelling and rescheduling ---------------------------------------------------------
def test_cancelling_a_booking_frees_the_seat_and_tells_everyone(ctx):
    booking = svc.book(ctx["slot"], ctx["match"], ctx["member"])
    booking = svc.cancel_booking(booking, ctx["staff"], reason="日程が合わなくなりました")
    assert (booking.status, booking.sequence) == (Status.CANCELLED, 1)
    assert booking.cancelled_at is not None
    _unchanged(ctx["slot"], 0)
    assert notified("consultation.cancelled") == EVERYONE
    body = Notification.objects.filter(kind="consultation.cancelled").first().body
    assert "日程が合わなくなりました" in body
    # the seat can be booked again, and a cancelled booking cannot be cancelled twice
    svc.book(ctx["slot"], ctx["match"], ctx["member"])
    with pytest.raises(svc.Conflict):
        svc.cancel_booking(booking, ctx["member"])
    with pytest.raises(svc.Forbidden):
        svc.cancel_booking(ctx["slot"].bookings.get(status="booked"), ctx["other"])


def test_rescheduling_moves_the_booking_atomically(ctx):
    booking = svc.book(ctx["slot"], ctx["match"], ctx["member"])
    uid = booking.uid
    consultation_reminders.send_due_reminders(
        ctx["slot"].starts_at - dt.timedelta(hours=2)
    )  # day-before sent
    later = make_slot(ctx["coordinator"], start=ctx["slot"].starts_at + dt.timedelta(days=7))
    moved = svc.reschedule(booking, later, ctx["member"])
    assert (moved.slot_id, moved.sequence, moved.uid) == (later.pk, 1, uid)
    assert moved.reminded_day_before_at is None  # re-armed for the new time
    _unchanged(ctx["slot"], 0)
    _unchanged(later, 1)
    assert notified("consultation.rescheduled") == EVERYONE


def test_rescheduling_into_a_full_slot_changes_nothing(ctx):
    booking = svc.book(ctx["slot"], ctx["match"], ctx["member"])
    full = make_slot(ctx["coordinator"], capacity=1)
    svc.book(full, make_match("別の協働", ctx["group"], ctx["department"]), ctx["other"])
    with pytest.raises(svc.Conflict, match="満席"):
        svc.reschedule(booking, full, ctx["member"])
    booking.refresh_from_db()
    assert (booking.slot_id, booking.sequence) == (ctx["slot"].pk, 0)
    _unchanged(ctx["slot"], 1)
    _unchanged(full, 1)
    assert not notified("consultation.rescheduled")


def test_cancelling_a_slot_cancels_its_bookings_and_tells_everyone(ctx):
    b1 = svc.book(ctx["slot"], ctx["match"], ctx["member"])
    second = make_match("子育て支援の協働", ctx["group"], ctx["department"])
    b2 = svc.book(ctx["slot"], second, ctx["other"])
    with pytest.raises(svc.Forbidden):
        slots.cancel_slot(ctx["slot"], ctx["member"])
    slot = slots.cancel_slot(ctx["slot"], ctx["coordinator"], reason="担当者の急病")
    assert (slot.is_cancelled, slot.booked_count) == (True, 0)
    for b in (b1, b2):
        b.refresh_from_db()
        assert (b.status, b.sequence) == (Status.CANCELLED, 1)
    assert notified("consultation.cancelled") == EVERYONE | {"other"}


def test_moving_a_slot_bumps_its_bookings_and_capacity_cannot_drop_below_bookings(ctx):
    booking = svc.book(ctx["slot"], ctx["match"], ctx["member"])
    svc.book(ctx["slot"], make_match("別の協働", ctx["group"], ctx["department"]), ctx["other"])
    with pytest.raises(svc.Conflict, match="少なく"):
        slots.update_slot(ctx["slot"], ctx["coordinator"], capacity=1)
    slots.update_slot(ctx["slot"], ctx["coordinator"], note="資料をお持ちください")
    booking.refresh_from_db()
    assert booking.sequence == 0  # a note is not a move
    slots.update_slot(ctx["slot"], ctx["coordinator"], place="本庁舎 第2会議室")
    booking.refresh_from_db()
    assert booking.sequence == 1
    assert "member" in notified("consultation.changed")


def test_a_closed_match_gives_back_its_future_seats(ctx):
    booking = svc.book(ctx["slot"], ctx["match"], ctx["member"])
    kw = {"match": ctx["match"], "name": "x", "source": "consulting", "actor": None}
    match_transitioned.send(sender=Match, target="agreed", comment="", **kw)
    booking.refresh_from_db()
    assert booking.status == Status.BOOKED
    match_transitioned.send(sender=Match, target="cancelled", comment="", **kw)
    booking.refresh_from_db()
    assert booking.status == Status.CANCELLED
    _unchanged(ctx["slot"], 0)
    assert notified("consultation.cancelled") == EVERYONE


# --- afterwards: minutes and attendance ---------------------------------------------------
def test_minutes_and_attendance_after_the_start(ctx):
    booking = svc.book(ctx["slot"], ctx["match"], ctx["member"])
    before, after = ctx["slot"].starts_at - dt.timedelta(hours=1), ctx["slot"].ends_at
    with pytest.raises(svc.Invalid, match="開始後"):
        svc.record_minutes(booking, ctx["coordinator"], "議題", now=before)
    with pytest.raises(svc.Invalid, match="開始後"):
        svc.mark_held(booking, ctx["coordinator"], now=before)
    with pytest.raises(svc.Forbidden):
        svc.mark_held(booking, ctx["member"], now=after)
    with pytest.raises(svc.Forbidden):
        svc.record_minutes(booking, ctx["other"], "議題", now=after)
    booking = svc.record_minutes(
        booking, ctx["coordinator"], "役割分担を確認。次回は4月。", now=after
    )
    assert booking.minutes_recorded_by == ctx["coordinator"]
    assert notified("consultation.minutes") == {"member", "staff"}
    assert svc.mark_held(booking, ctx["coordinator"], now=after).status == Status.HELD
    # a correction
    assert svc.mark_no_show(booking, ctx["coordinator"], now=after).status == Status.NO_SHOW
    with pytest.raises(svc.Invalid):
        svc.mark_attendance(booking, ctx["coordinator"], "booked", now=after)


# --- reminders, with a controlled clock ---------------------------------------------------
def _reminders() -> dict[str, int]:
    return {
        kind: Notification.objects.filter(kind=f"consultation.reminder_{kind}").count()
        for kind in ("day", "hour")
    }


def test_reminders_the_day_before_and_an_hour_before_each_once(ctx):
    booking = svc.book(ctx["slot"], ctx["match"], ctx["member"])
    start = ctx["slot"].starts_at
    assert consultation_reminders.send_due_reminders(start - dt.timedelta(hours=25)) == {
        "day_before": 0,
        "hour_before": 0,
    }
    assert consultation_reminders.send_due_reminders(start - dt.timedelta(hours=23)) == {
        "day_before": 1,
        "hour_before": 0,
    }
    assert _reminders() == {"day": 3, "hour": 0}  # member, staff, coordinator
    assert notified("consultation.reminder_day") == EVERYONE
    # beat runs every five minutes: nothing more until the hour before
    for minutes in (5, 10, 600):
        consultation_reminders.send_due_reminders(
            start - dt.timedelta(hours=23) + dt.timedelta(minutes=minutes)
        )
    assert _reminders() == {"day": 3, "hour": 0}
    assert (
        consultation_reminders.send_due_reminders(start - dt.timedelta(minutes=55))["hour_before"]
        == 1
    )
    assert (
        consultation_reminders.send_due_reminders(start - dt.timedelta(minutes=50))["hour_before"]
        == 0
    )
    assert _reminders() == {"day": 3, "hour": 3}
    booking.refresh_from_db()
    assert booking.reminded_day_before_at and booking.reminded_hour_before_at
    # after the start, nothing
    assert consultation_reminders.send_due_reminders(start + dt.timedelta(minutes=1)) == {
        "day_before": 0,
        "hour_before": 0,
    }


def test_a_retried_reminder_never_notifies_twice(ctx):
    booking = svc.book(ctx["slot"], ctx["match"], ctx["member"])
    now = ctx["slot"].starts_at - dt.timedelta(hours=20)
    consultation_reminders.send_due_reminders(now)
    # the task died after notifying but before its flag was saved: the dedupe key holds
    ConsultationBooking.objects.filter(pk=booking.pk).update(reminded_day_before_at=None)
    consultation_reminders.send_due_reminders(now)
    assert _reminders() == {"day": 3, "hour": 0}


def test_a_late_booking_gets_only_the_hour_reminder_and_cancelled_ones_none(ctx):
    start = ctx["slot"].starts_at
    booking = svc.book(ctx["slot"], ctx["match"], ctx["member"])
    second = make_match("子育て支援の協働", ctx["group"], ctx["department"])
    cancelled = svc.book(ctx["slot"], second, ctx["other"])
    svc.cancel_booking(cancelled, ctx["other"])
    assert consultation_reminders.send_due_reminders(start - dt.timedelta(minutes=40)) == {
        "day_before": 0,
        "hour_before": 1,
    }
    assert _reminders() == {"day": 0, "hour": 3}
    assert "other" not in notified("consultation.reminder_hour")
    booking.refresh_from_db()
    assert booking.reminded_day_before_at is not None  # moot, and never sent later


def test_a_rescheduled_booking_is_reminded_again_for_its_new_time(ctx):
    booking = svc.book(ctx["slot"], ctx["match"], ctx["member"])
    consultation_reminders.send_due_reminders(ctx["slot"].starts_at - dt.timedelta(hours=20))
    later = make_slot(ctx["coordinator"], start=ctx["slot"].starts_at + dt.timedelta(days=2))
    svc.reschedule(booking, later, ctx["member"])
    consultation_reminders.send_due_reminders(later.starts_at - dt.timedelta(hours=20))
    assert _reminders() == {"day": 6, "hour": 0}


def test_the_reminder_task_is_scheduled_by_beat_and_runs_on_the_real_clock(ctx, settings):
    from matching.consultations.tasks import send_consultation_reminders
    from tsunagu.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["consultation-reminders"]
    assert entry["task"] == "matching.send_consultation_reminders"
    assert entry["schedule"] <= 300
    app.loader.import_default_modules()  # autodiscovery, as a worker does
    assert "matching.send_consultation_reminders" in app.tasks
    soon = make_slot(ctx["coordinator"], start=timezone.now() + dt.timedelta(minutes=30))
    svc.book(soon, ctx["match"], ctx["member"])
    assert send_consultation_reminders.apply().get() == {"day_before": 0, "hour_before": 1}


# --- KPI ---------------------------------------------------------------------------------
def test_slot_usage_kpi(ctx):
    base = timezone.now() + dt.timedelta(days=10)
    slots = ConsultationSlot.objects.bulk_create(
        ConsultationSlot(
            coordinator=ctx["coordinator"],
            starts_at=base + dt.timedelta(hours=i),
            ends_at=base + dt.timedelta(hours=i, minutes=50),
            place="サポートセンター",
        )
        for i in range(252)
    )
    matches = [make_match(f"協働{i}", ctx["npo"], ctx["group"]) for i in range(38)]
    ConsultationBooking.objects.bulk_create(
        ConsultationBooking(slot=slot, match=match, status=status)
        for slot, match, status in zip(
            slots[:38], matches, ["held"] * 30 + ["no_show"] * 3 + ["booked"] * 5, strict=True
        )
    )
    ConsultationSlot.objects.filter(pk__in=[s.pk for s in slots[:38]]).update(booked_count=1)
    # not counted: a cancelled booking, a cancelled slot, a slot outside the range
    ConsultationBooking.objects.create(slot=slots[100], match=matches[0], status="cancelled")
    make_slot(ctx["coordinator"], start=base + dt.timedelta(hours=1), is_cancelled=True)
    make_slot(ctx["coordinator"], start=base + dt.timedelta(days=400))
    usage = calendar_mod.slot_usage(base, base + dt.timedelta(days=365))
    assert (usage.slots, usage.offered, usage.booked) == (252, 252, 38)
    assert (usage.held, usage.no_show, usage.cancelled_slots) == (30, 3, 1)
    assert usage.usage_rate == pytest.approx(38 / 252, abs=1e-4)  # Sagamihara: 15.1%
    assert usage.no_show_rate == pytest.approx(3 / 33, abs=1e-4)
    empty = calendar_mod.slot_usage(base - dt.timedelta(days=5), base - dt.timedelta(days=4))
    assert (empty.offered, empty.usage_rate) == (0, None)


# --- iCalendar ---------------------------------------------------------------------------
def _event(ics: bytes):
    cal = Calendar.from_ical(ics)
    assert cal["prodid"] and str(cal["version"]) == "2.0"
    (event,) = cal.events
    return event


def test_ics_content(ctx):
    booking = svc.book(ctx["slot"], ctx["match"], ctx["member"])
    event = _event(ical.booking_ics(booking))
    assert str(event["uid"]) == f"{booking.uid}@tsunagu"
    assert int(event["sequence"]) == 0
    start = event.decoded("dtstart")
    assert start == ctx["slot"].starts_at
    assert str(start.tzinfo) == "Asia/Tokyo"
    assert event["dtstart"].params["TZID"] == "Asia/Tokyo"
    assert event.decoded("dtend") == ctx["slot"].ends_at
    assert str(event["summary"]) == "協働の事前相談: 高齢者見守りの協働"
    assert str(event["location"]) == "市民活動サポートセンター 会議室A"
    assert str(event["status"]) == "CONFIRMED"
    description = str(event["description"])
    assert "NPO法人みどりの手" in description and "テスト市 高齢福祉課" in description
    for org in (ctx["npo"], ctx["department"]):  # no private contact details
        assert org.contact_email not in description
        assert org.contact_phone not in description
    # the VTIMEZONE is included
    assert any(c.name == "VTIMEZONE" for c in Calendar.from_ical(ical.booking_ics(booking)).walk())

    svc.cancel_booking(booking, ctx["member"])
    booking.refresh_from_db()
    event = _event(ical.booking_ics(booking))
    assert (str(event["status"]), int(event["sequence"])) == ("CANCELLED", 1)
    assert str(event["uid"]) == f"{booking.uid}@tsunagu"


def test_ics_of_an_online_consultation(ctx):
    slot = make_slot(ctx["coordinator"], place="", online_url="https://meet.example.jp/abc")
    event = _event(ical.booking_ics(svc.book(slot, ctx["match"], ctx["member"])))
    assert str(event["location"]) == "https://meet.example.jp/abc"


# --- feed privacy ------------------------------------------------------------------------
def _feed_titles(client, token: str) -> set[str]:
    response = client.get(f"/calendar/{token}.ics")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/calendar")
    return {str(e["summary"]) for e in Calendar.from_ical(response.content).events}


def test_feeds_are_private(ctx, api, client):
    mine = svc.book(ctx["slot"], ctx["match"], ctx["member"])
    theirs_match = make_match(
        "子育て支援の協働", ctx["group"], make_org("南区自治会", "neighborhood_association")
    )
    other_coordinator = make_user("coordinator2", is_coordinator=True)
    their_slot = make_slot(other_coordinator)
    svc.book(their_slot, theirs_match, ctx["other"])
    cancelled = svc.book(make_slot(ctx["coordinator"]), ctx["match"], ctx["member"])
    svc.cancel_booking(cancelled, ctx["member"])

    tokens = {name: ical.feed_for(ctx[name]).token for name in ("member", "other", "staff")}
    tokens["coordinator"] = ical.feed_for(ctx["coordinator"]).token
    tokens["coordinator2"] = ical.feed_for(other_coordinator).token
    tokens["nobody"] = ical.feed_for(make_user("nobody", make_org("無関係の団体"))).token

    ours, theirs = "協働の事前相談: 高齢者見守りの協働", "協働の事前相談: 子育て支援の協働"
    assert _feed_titles(client, tokens["member"]) == {ours}  # the cancelled one is left out
    assert _feed_titles(client, tokens["staff"]) == {ours}
    assert _feed_titles(client, tokens["other"]) == {theirs}
    assert _feed_titles(client, tokens["coordinator"]) == {ours}  # their own slots
    assert _feed_titles(client, tokens["coordinator2"]) == {theirs}
    assert _feed_titles(client, tokens["nobody"]) == set()
    body = client.get(f"/calendar/{tokens['member']}.ics").content.decode()
    assert str(mine.uid) in body and "子育て" not in body

    assert client.get("/calendar/not-a-real-token.ics").status_code == 404
    assert len(tokens["member"]) >= 43  # secrets.token_urlsafe(32)


def test_the_feed_url_api_and_rotation(ctx, api, client):
    svc.book(ctx["slot"], ctx["match"], ctx["member"])
    assert api.get("/api/v1/calendar/feed/").status_code == 401
    api.force_authenticate(ctx["member"])
    first = api.get("/api/v1/calendar/feed/").json()["url"]
    assert first == api.get("/api/v1/calendar/feed/").json()["url"]  # stable
    old_path = first.split("testserver", 1)[1]
    assert client.get(old_path).status_code == 200
    rotated = api.post("/api/v1/calendar/feed/").json()["url"]
    assert rotated != first
    assert client.get(old_path).status_code == 404  # the old URL stops working at once
    assert client.get(rotated.split("testserver", 1)[1]).status_code == 200
    assert CalendarFeed.objects.filter(user=ctx["member"]).count() == 1


def test_an_inactive_users_feed_is_gone(ctx, client):
    token = ical.feed_for(ctx["member"]).token
    ctx["member"].is_active = False
    ctx["member"].save()
    assert client.get(f"/calendar/{token}.ics").status_code == 404


# --- API ---------------------------------------------------------------------------------
def _as(api, user):
    api.default_format = "json"
    api.force_authenticate(user)
    return api


def test_api_slot_publishing_and_listing(ctx, api):
    start = timezone.now() + dt.timedelta(days=5)
    data = {
        "starts_at": start.isoformat(),
        "ends_at": (start + dt.timedelta(hours=1)).isoformat(),
        "online_url": "https://meet.example.jp/x",
        "capacity": 2,
    }
    assert _as(api, ctx["member"]).post("/api/v1/consultation-slots/", data).status_code == 403
    response = _as(api, ctx["coordinator"]).post("/api/v1/consultation-slots/", data)
    assert response.status_code == 201, response.json()
    new_id = response.json()["id"]
    bad = _as(api, ctx["coordinator"]).post(
        "/api/v1/consultation-slots/", {**data, "ends_at": data["starts_at"]}
    )
    assert bad.status_code == 400 and "終了日時" in bad.json()["detail"]

    full = make_slot(ctx["coordinator"], capacity=1, booked_count=1)
    gone = make_slot(ctx["coordinator"], is_cancelled=True)
    make_slot(ctx["coordinator"], start=timezone.now() - dt.timedelta(days=1))

    ids = {
        s["id"]
        for s in _as(api, ctx["member"]).get("/api/v1/consultation-slots/").json()["results"]
    }
    assert ids == {ctx["slot"].pk, new_id}  # upcoming, open, with seats left
    coord = _as(api, ctx["coordinator"]).get("/api/v1/consultation-slots/").json()["results"]
    assert {s["id"] for s in coord} == {ctx["slot"].pk, new_id, full.pk, gone.pk}
    in_range = _as(api, ctx["coordinator"]).get(
        "/api/v1/consultation-slots/",
        {
            # local dates (the API reads them in Japan time; UTC is a day behind at night)
            "from": timezone.localtime(start - dt.timedelta(hours=1)).date().isoformat(),
            "to": timezone.localdate(start).isoformat(),
        },
    )
    assert new_id in {s["id"] for s in in_range.json()["results"]}
    # someone with no match in progress
    assert _as(api, ctx["other"]).get("/api/v1/consultation-slots/").status_code == 403
    # change and cancel via the API
    response = _as(api, ctx["coordinator"]).patch(
        f"/api/v1/consultation-slots/{new_id}/", {"capacity": 4, "note": "資料は不要です"}
    )
    assert response.status_code == 200 and response.json()["capacity"] == 4
    response = _as(api, ctx["member"]).patch(
        f"/api/v1/consultation-slots/{new_id}/", {"capacity": 9}
    )
    assert response.status_code == 403
    response = _as(api, ctx["coordinator"]).post(f"/api/v1/consultation-slots/{new_id}/cancel/")
    assert response.status_code == 200 and response.json()["is_cancelled"] is True


def test_api_booking_and_bad_input(ctx, api):
    url = f"/api/v1/consultation-slots/{ctx['slot'].pk}/book/"
    response = _as(api, ctx["member"]).post(url, {"match": ctx["match"].pk})
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "booked"

    second = make_match("子育て支援の協働", ctx["group"], ctx["department"])
    # not a party to the match
    response = _as(api, ctx["member"]).post(url, {"match": second.pk})
    assert response.status_code == 403 and "参加団体" in response.json()["detail"]
    # the same match again
    assert _as(api, ctx["staff"]).post(url, {"match": ctx["match"].pk}).status_code == 409
    # a full slot
    _as(api, ctx["other"]).post(url, {"match": second.pk})
    third = make_match("防災訓練の協働", ctx["npo"], ctx["group"])
    response = _as(api, ctx["member"]).post(url, {"match": third.pk})
    assert response.status_code == 409 and "満席" in response.json()["detail"]
    # a past slot, a cancelled slot, an unknown match
    past = make_slot(ctx["coordinator"], start=timezone.now() - dt.timedelta(hours=1))
    response = _as(api, ctx["member"]).post(
        f"/api/v1/consultation-slots/{past.pk}/book/", {"match": third.pk}
    )
    assert response.status_code == 400 and "開始時刻" in response.json()["detail"]
    gone = make_slot(ctx["coordinator"], is_cancelled=True)
    response = _as(api, ctx["member"]).post(
        f"/api/v1/consultation-slots/{gone.pk}/book/", {"match": third.pk}
    )
    assert response.status_code == 409 and "取り消され" in response.json()["detail"]
    assert _as(api, ctx["member"]).post(url, {"match": 999999}).status_code == 400
    # nothing changed by the refusals
    for slot, booked in ((ctx["slot"], 2), (past, 0), (gone, 0)):
        _unchanged(slot, booked)
    assert not ConsultationBooking.objects.filter(match=third).exists()


def test_api_consultations_visibility_and_actions(ctx, api):
    booking = svc.book(ctx["slot"], ctx["match"], ctx["member"])
    second = make_match(
        "子育て支援の協働", ctx["group"], make_org("南区自治会", "neighborhood_association")
    )
    theirs = svc.book(make_slot(ctx["coordinator"]), second, ctx["other"])

    def listed(user) -> set[int]:
        return {b["id"] for b in _as(api, user).get("/api/v1/consultations/").json()["results"]}

    assert listed(ctx["member"]) == {booking.pk}
    assert listed(ctx["other"]) == {theirs.pk}
    assert listed(ctx["coordinator"]) == {booking.pk, theirs.pk}
    assert _as(api, ctx["other"]).get(f"/api/v1/consultations/{booking.pk}/").status_code == 404
    assert _as(api, ctx["other"]).get(f"/api/v1/consultations/{booking.pk}/ics/").status_code == 404

    response = _as(api, ctx["member"]).get(f"/api/v1/consultations/{booking.pk}/ics/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert "attachment" in response["Content-Disposition"]
    assert _event(response.content)["uid"] == f"{booking.uid}@tsunagu"
    response = _as(api, ctx["member"]).get(
        f"/api/v1/consultations/{booking.pk}/ics/", HTTP_ACCEPT="text/calendar"
    )
    assert response.status_code == 200  # a calendar client asking for text/calendar

    later = make_slot(ctx["coordinator"], start=ctx["slot"].starts_at + dt.timedelta(days=1))
    response = _as(api, ctx["staff"]).post(
        f"/api/v1/consultations/{booking.pk}/reschedule/", {"slot": later.pk}
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["slot"]["id"], response.json()["sequence"]) == (later.pk, 1)
    response = _as(api, ctx["member"]).post(
        f"/api/v1/consultations/{booking.pk}/minutes/", {"minutes": "x"}
    )
    assert response.status_code == 400 and "開始後" in response.json()["detail"]
    response = _as(api, ctx["member"]).post(f"/api/v1/consultations/{booking.pk}/cancel/")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    response = _as(api, ctx["member"]).post(f"/api/v1/consultations/{booking.pk}/cancel/")
    assert response.status_code == 409


def test_api_minutes_attendance_and_kpi(ctx, api):
    past = make_slot(ctx["coordinator"], start=timezone.now() - dt.timedelta(hours=2))
    booking = ConsultationBooking.objects.create(slot=past, match=ctx["match"])
    ConsultationSlot.objects.filter(pk=past.pk).update(booked_count=1)
    url = f"/api/v1/consultations/{booking.pk}/"
    response = _as(api, ctx["member"]).post(url + "minutes/", {"minutes": "次回までに企画書案"})
    assert response.status_code == 200 and response.json()["minutes"] == "次回までに企画書案"
    assert _as(api, ctx["member"]).post(url + "attendance/", {"status": "held"}).status_code == 403
    response = _as(api, ctx["coordinator"]).post(url + "attendance/", {"status": "no_show"})
    assert response.status_code == 200 and response.json()["status"] == "no_show"
    assert (
        _as(api, ctx["coordinator"]).post(url + "attendance/", {"status": "cancelled"}).status_code
        == 400
    )

    day = timezone.localdate(past.starts_at).isoformat()
    assert _as(api, ctx["member"]).get("/api/v1/consultations/kpi/").status_code == 403
    kpi = _as(api, ctx["coordinator"]).get("/api/v1/consultations/kpi/", {"from": day, "to": day})
    assert kpi.status_code == 200
    assert (kpi.json()["offered"], kpi.json()["booked"], kpi.json()["no_show"]) == (1, 1, 1)
    assert kpi.json()["usage_rate"] == 1.0
    assert (
        _as(api, ctx["coordinator"]).get("/api/v1/consultations/kpi/", {"from": "昨日"}).status_code
        == 400
    )
    # the default range is the current fiscal year
    assert _as(api, ctx["coordinator"]).get("/api/v1/consultations/kpi/").status_code == 200


def test_admin_lists_slots_with_their_bookings(ctx, client):
    booking = svc.book(ctx["slot"], ctx["match"], ctx["member"])
    client.force_login(ctx["admin"])
    for url in (
        "/admin/matching/consultationslot/",
        "/admin/matching/consultationslot/?q=高齢者",
        f"/admin/matching/consultationslot/{ctx['slot'].pk}/change/",
        "/admin/matching/consultationbooking/?status__exact=booked",
        f"/admin/matching/consultationbooking/{booking.pk}/change/",
    ):
        assert client.get(url).status_code == 200, url
