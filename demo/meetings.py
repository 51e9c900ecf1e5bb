"""The demo city's places to meet (``meetings.yaml``): past meetings with attendance,
minutes, a published report and post-meeting wishes that became interest requests (one
of them a match), an upcoming meeting that is full with a waitlist, and one in approval
mode.

Upcoming meetings go through ``meetings.services`` (create, publish, register, approve),
so their seats and waitlist are what the rules give. Past meetings cannot be created
through the services (a start in the past is refused): their rows are written directly,
as the history of ``matches.yaml`` is; the wishes then go through ``meetings.day.wishes`` and
the accepted ones through ``matching.matches.interest``, as a participant and a
coordinator would do it. A meeting that already exists (same title and organizer) is
skipped, so loading twice adds nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q
from django.utils import timezone

from matching.matches import interest
from meetings import services
from meetings.day import wishes
from meetings.models import Meeting, Registration, Wish
from organizations.models import Area, Field, Organization, User

DEMO_USER_PREFIX = "demo-"


class MeetingDataError(Exception):
    pass


def _start(row: dict[str, Any]) -> tuple[dt.datetime, dt.datetime]:
    today = timezone.localdate()
    hour, minute = (int(part) for part in row["start"].split(":"))
    day = today - dt.timedelta(days=row["day"])
    start = timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))
    return start, start + dt.timedelta(hours=row.get("hours", 2))


def _member(organization: Organization, *, required: bool = True) -> Any:
    """The demo user who answers for an organization (its first demo member); most demo
    organizations have none, which is fine for a past registration."""
    user = (
        User.objects.filter(
            memberships__organization=organization, username__startswith=DEMO_USER_PREFIX
        )
        .order_by("username")
        .first()
    )
    if user is None and required:
        raise MeetingDataError(f"no demo user is a member of {organization.name}")
    return user


def _values(row: dict[str, Any]) -> dict[str, Any]:
    venue = row.get("venue") or ["", "", False]
    start, end = _start(row)
    return {
        "kind": row["kind"],
        "title": row["title"],
        "description": " ".join(row.get("description", "").split()),
        "venue_name": venue[0],
        "venue_address": venue[1],
        "is_public_facility": bool(venue[2]),
        "online_url": row.get("online", ""),
        "starts_at": start,
        "ends_at": end,
        "capacity": row["capacity"],
        "registration_mode": row.get("mode", Meeting.RegistrationMode.OPEN),
        "barrier_free": bool(row.get("barrier_free")),
        "sign_language": bool(row.get("sign_language")),
        "childcare": bool(row.get("childcare")),
    }


def _relations(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "fields": list(Field.objects.filter(code__in=row.get("fields", []))),
        "areas": list(Area.objects.filter(code__in=row.get("areas", []))),
    }


def _past(row, organizer, author, orgs, coordinator) -> Meeting:
    meeting = Meeting.objects.create(
        **_values(row),
        organizer=organizer,
        created_by=author,
        status=Meeting.Status.HELD,
        published_at=_start(row)[0] - dt.timedelta(days=30),
        held_at=_start(row)[1],
        minutes=row.get("minutes", "").strip(),
        report=row.get("report", "").strip(),
        report_published_at=_start(row)[1] + dt.timedelta(days=2) if row.get("report") else None,
    )
    for name, values in _relations(row).items():
        getattr(meeting, name).set(values)
    for org_id, attendees, attended, *_rest in row.get("registrations", []):
        Registration.objects.create(
            meeting=meeting,
            organization=orgs[org_id],
            registered_by=_member(orgs[org_id], required=False),
            attendees=attendees,
            status=Registration.Status.REGISTERED,
            checked_in_at=meeting.starts_at if attended else None,
            attended_people=attended,
        )
    accepted = {tuple(pair) for pair in row.get("accept", [])}
    for org_id, target_id, message in row.get("wishes", []):
        result = wishes.submit_wishes(
            meeting, _member(orgs[org_id]), orgs[org_id], [orgs[target_id]], message
        )
        if (org_id, target_id) in accepted:
            for outcome in result.outcomes:
                request = outcome.wish.interest_request
                if request is not None and request.status == request.Status.PENDING:
                    interest.accept_interest_request(
                        coordinator, request, "交流の場での出会いから紹介へ進めます。"
                    )
    return meeting


def _upcoming(row, organizer, author, orgs) -> Meeting:
    meeting = services.create_meeting(author, organizer, **_values(row), **_relations(row))
    meeting = services.publish(meeting, author)
    for org_id, attendees, *rest in row.get("registrations", []):
        registration = services.register(meeting, orgs[org_id], _member(orgs[org_id]), attendees)
        if len(rest) > 1 and rest[1] == "approve":
            services.approve(registration, author)
    return meeting


def load_meetings(data: dict[str, Any], orgs: dict[str, Any]) -> tuple[int, int]:
    """Create the demo meetings; returns how many demo meetings there are, and how many
    matches came out of them."""
    users = {u.username: u for u in User.objects.filter(username__startswith=DEMO_USER_PREFIX)}
    coordinator = next(
        (u for name, u in sorted(users.items()) if u.is_coordinator and u.is_active), None
    )
    count = 0
    for row in data.get("meetings", []):
        organizer = orgs[row["organizer"]] if row.get("organizer") else None
        author = users[row["by"]]
        count += 1
        if Meeting.objects.filter(title=row["title"], organizer=organizer).exists():
            continue
        if row["day"] > 0:
            _past(row, organizer, author, orgs, coordinator)
        else:
            _upcoming(row, organizer, author, orgs)
    titles = [row["title"] for row in data.get("meetings", [])]
    matches = (
        Wish.objects.filter(meeting__title__in=titles, interest_request__match__isnull=False)
        .values("interest_request__match")
        .distinct()
        .count()
    )
    return count, matches


def remove_meetings(demo_orgs: Any, usernames: list[str]) -> int:
    """Delete the meetings organized by demo organizations or created by demo users (their
    registrations, tables, wishes and photos cascade); before the organizations, which a
    meeting's organizer protects."""
    meetings = Meeting.objects.filter(
        Q(organizer__in=demo_orgs) | Q(organizer__isnull=True, created_by__username__in=usernames)
    )
    return meetings.delete()[1].get(Meeting._meta.label, 0)
