"""What meetings (交流の場) tell people on their own, through the usual outbox
(``notifications.services.notify``): here the kinds, the pages they link to, the texts
and recipients every notice shares, and the **changes** of a meeting.

- **Changes** (``announce_changes``, called by ``services.update_meeting``): one notice to
  every registrant (confirmed, waiting, awaiting approval) listing what changed, before →
  after: the time, the venue and its address, the online URL, the capacity, the
  registration mode and the accessibility support (バリアフリー, 手話通訳, 託児).
- **Reminders** 3 days and 1 day before, and **the post-meeting form**:
  ``meetings.reminders`` (sent by the tasks in ``meetings.tasks``).
- **New meetings** in an organization's fields and areas: ``meetings.announcements``.

Only public facts go into these notices (titles, dates, venues, organization names),
never attendee names or contact details. This module is imported by ``services``, so it
imports no other meetings module but the models.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from lib.dates import day_time_text
from meetings.models import ACTIVE_STATUSES, Meeting, Registration
from notifications.models import Notification
from notifications.services import notify
from organizations.models import User
from organizations.services import members_of

KIND_REMINDER_3D = "meeting.reminder_3d"
KIND_REMINDER_1D = "meeting.reminder_1d"
KIND_CHANGED = "meeting.changed"
KIND_WISHES = "meeting.wishes_requested"
KIND_NEW = "meeting.new"

Status = Registration.Status
MeetingStatus = Meeting.Status

# A meeting that will take place: reminded, and its changes announced.
TAKING_PLACE = (MeetingStatus.PUBLISHED, MeetingStatus.CLOSED)


# --- Pages (paths; the e-mail makes them absolute) -------------------------------------
def meeting_path(meeting_id: int) -> str:
    """The meeting's public page (web/public)."""
    return f"/meetings/{meeting_id}/"


def invitation_path(meeting_id: int) -> str:
    """The meeting's page with its registration form open: an invitation's one-click link."""
    return f"{meeting_path(meeting_id)}?register=1"


def wishes_path(meeting_id: int) -> str:
    """The post-meeting form 「もっと話したい団体」."""
    return f"/meetings/{meeting_id}/wishes/"


def organizer_path(meeting_id: int, page: str = "", anchor: str = "") -> str:
    """The organizer's page of a meeting (web/member, ``/my/meetings/<id>/``, or one of
    its pages: ``page="wishes"``): where the notices to its organizer lead."""
    path = f"/my/meetings/{meeting_id}/" + (f"{page}/" if page else "")
    return path + (f"#{anchor}" if anchor else "")


# --- Shared text ----------------------------------------------------------------------
def when_text(starts_at: dt.datetime, ends_at: dt.datetime) -> str:
    """「2027年1月5日(火) 10:00〜12:00」; the end's date too when it is another day."""
    start, end = timezone.localtime(starts_at), timezone.localtime(ends_at)
    if start.date() == end.date():
        return f"{day_time_text(start)}〜{end:%H:%M}"
    return f"{day_time_text(start)}〜{day_time_text(end)}"


def facts(meeting: Meeting) -> list[str]:
    """The lines every notice about a meeting carries: what, when, where."""
    lines = [
        _("%(kind)s「%(title)s」") % {"kind": meeting.get_kind_display(), "title": meeting.title},
        _("日時: %(when)s") % {"when": when_text(meeting.starts_at, meeting.ends_at)},
    ]
    if meeting.venue_name:
        lines.append(_("会場: %(v)s") % {"v": meeting.venue_name})
    if meeting.venue_address:
        lines.append(_("住所: %(v)s") % {"v": meeting.venue_address})
    if meeting.online_url:
        lines.append(_("オンライン: %(v)s") % {"v": meeting.online_url})
    return lines


def payload(meeting: Meeting, **extra: Any) -> dict[str, Any]:
    return {"meeting": meeting.pk, "starts_at": meeting.starts_at.isoformat(), **extra}


def organizer_people(meeting: Meeting) -> list[Any]:
    """Who answers for a meeting: the organizer's members; for a meeting without an
    organizer (a coordinator's), its creator."""
    people = list(members_of([meeting.organizer_id] if meeting.organizer_id else []))
    if meeting.organizer_id is None and meeting.created_by is not None:
        people.append(meeting.created_by)
    return people


def registrants(meeting: Meeting, statuses: Iterable[str]) -> QuerySet[User]:
    org_ids = meeting.registrations.filter(status__in=list(statuses)).values_list(
        "organization_id", flat=True
    )
    return members_of(org_ids)


# --- Changes, to every registrant ---------------------------------------------------
# What a participant notices, in the order a notice lists it. The start and the end are
# shown together as 日時.
WATCHED = (
    "starts_at",
    "ends_at",
    "venue_name",
    "venue_address",
    "online_url",
    "capacity",
    "registration_mode",
    "barrier_free",
    "sign_language",
    "childcare",
)


def snapshot(meeting: Meeting) -> dict[str, Any]:
    """The watched fields before a change (``services.update_meeting``)."""
    return {name: getattr(meeting, name) for name in WATCHED}


def _shown(name: str, value: Any) -> str:
    if name == "capacity":
        return _("%(n)d人") % {"n": value}
    if name == "registration_mode":
        return str(Meeting.RegistrationMode(value).label)
    if isinstance(value, bool):
        return pgettext("meeting support", "あり") if value else pgettext("meeting support", "なし")
    return str(value) if value else _("（なし）")


def changes(before: dict[str, Any], meeting: Meeting) -> list[dict[str, str]]:
    """What changed, as ``{"field", "label", "before", "after"}``, in ``WATCHED`` order."""
    after = snapshot(meeting)
    out: list[dict[str, str]] = []
    if before["starts_at"] != after["starts_at"] or before["ends_at"] != after["ends_at"]:
        out.append(
            {
                "field": "starts_at",
                "label": _("日時"),
                "before": when_text(before["starts_at"], before["ends_at"]),
                "after": when_text(after["starts_at"], after["ends_at"]),
            }
        )
    for name in WATCHED[2:]:
        if before[name] != after[name]:
            out.append(
                {
                    "field": name,
                    "label": str(Meeting._meta.get_field(name).verbose_name),
                    "before": _shown(name, before[name]),
                    "after": _shown(name, after[name]),
                }
            )
    return out


def announce_changes(meeting: Meeting, before: dict[str, Any]) -> list[Notification]:
    """One notice to every registrant (confirmed, waiting, awaiting approval) of a
    published meeting, listing what changed (before → after). Nothing when nothing a
    participant notices changed."""
    if meeting.status not in TAKING_PLACE:
        return []
    found = changes(before, meeting)
    if not found:
        return []
    lines = [
        _("・%(label)s: %(before)s → %(after)s")
        % {"label": item["label"], "before": item["before"], "after": item["after"]}
        for item in found
    ]
    body = "\n".join(
        [
            _("参加を申し込んだ交流の場「%(title)s」の内容が変わりました。")
            % {"title": meeting.title},
            "",
            *lines,
            "",
            *facts(meeting),
            "",
            _("都合が合わなくなった場合は、会合のページから申込を取り消せます。"),
        ]
    )
    return notify(
        registrants(meeting, ACTIVE_STATUSES),
        KIND_CHANGED,
        _("「%(title)s」の内容が変わりました") % {"title": meeting.title},
        body,
        url=meeting_path(meeting.pk),
        payload=payload(meeting, changes=found),
    )
