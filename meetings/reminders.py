"""Time-driven notices of meetings (交流の場), sent by the daily and hourly tasks in
``meetings.tasks``: reminders before a meeting, and the post-meeting form after it.

- **Reminders** 3 calendar days and 1 day before (local dates, Asia/Tokyo), to the members
  of every organization with a confirmed registration (参加確定) and to the organizer's
  members (a coordinator's own meeting: its creator). A run that was missed is caught up
  by the next one (the 3-day reminder goes out 3 or 2 days ahead, the 1-day one 1 day
  ahead or on the day). The dedupe key carries the start, so a meeting moved to another
  day is reminded again, and nobody twice for one start.
- **The post-meeting form** (「もっと話したい団体」): once a meeting has ended, its
  participants (``meetings.day.wishes.participant_ids``: the organizations checked in, or if
  nobody was checked in those registered, and the organizer organization) are asked
  once (``Meeting.wishes_requested_at``) to fill it in.

The clock is a parameter (tests, back-fills). The texts are shared with the other notices
(``meetings.notices``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from lib.dates import day_text
from meetings.day import wishes
from meetings.models import Meeting, Registration
from meetings.notices import (
    KIND_REMINDER_1D,
    KIND_REMINDER_3D,
    KIND_WISHES,
    TAKING_PLACE,
    facts,
    meeting_path,
    organizer_path,
    organizer_people,
    payload,
    registrants,
    wishes_path,
)
from notifications.services import notify
from organizations.services import members_of

Status = Registration.Status
MeetingStatus = Meeting.Status

# The first reminder: this many calendar days before (the second: 1 day before).
FIRST_REMINDER_DAYS = 3
# The post-meeting form is sent for meetings that ended this recently (a first run on an
# old database does not ask about meetings long past).
WISHES_WINDOW = dt.timedelta(days=7)


# --- Reminders, 3 days and 1 day before ----------------------------------------------
@dataclass
class ReminderRun:
    meetings: int = 0  # meetings in the window
    notified: int = 0  # notifications written (none on a re-run)


def send_reminders(*, now: dt.datetime | None = None) -> ReminderRun:
    """Remind of the meetings starting within ``FIRST_REMINDER_DAYS`` local days."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    tz = timezone.get_current_timezone()
    horizon = dt.datetime.combine(
        today + dt.timedelta(days=FIRST_REMINDER_DAYS + 1), dt.time.min, tzinfo=tz
    )
    run = ReminderRun()
    due = (
        Meeting.objects.filter(status__in=TAKING_PLACE, starts_at__gt=now, starts_at__lt=horizon)
        .select_related("organizer", "created_by")
        .order_by("starts_at", "pk")
    )
    for meeting in due:
        run.meetings += 1
        days = (timezone.localtime(meeting.starts_at).date() - today).days
        run.notified += _remind(meeting, days)
    return run


def _remind(meeting: Meeting, days: int) -> int:
    kind = KIND_REMINDER_1D if days <= 1 else KIND_REMINDER_3D
    if days == 0:
        when = _("本日")
    elif days == 1:
        when = _("明日")
    else:
        when = _("%(n)d日後") % {"n": days}
    date = day_text(meeting.starts_at)
    title = _("「%(title)s」は%(when)s（%(date)s）に開催されます") % {
        "title": meeting.title,
        "when": when,
        "date": date,
    }
    key = f"{kind}:{meeting.pk}:{meeting.starts_at.isoformat()}"
    url = meeting_path(meeting.pk)
    counts = (
        meeting.registrations.order_by()
        .values("status")
        .annotate(n=Count("pk"), people=Sum("attendees"))
    )
    by_status = {row["status"]: row for row in counts}
    registered = by_status.get(Status.REGISTERED, {"n": 0, "people": 0})
    organizer_lines = [
        _("主催する交流の場が%(when)s（%(date)s）に開かれます。") % {"when": when, "date": date},
        "",
        *facts(meeting),
        _("参加確定: %(orgs)d団体・%(people)d人（定員%(capacity)d人）")
        % {
            "orgs": registered["n"],
            "people": registered["people"] or 0,
            "capacity": meeting.capacity,
        },
    ]
    for status, label in (
        (Status.WAITLISTED, _("キャンセル待ち")),
        (Status.PENDING_APPROVAL, _("承認待ち")),
    ):
        if status in by_status:
            organizer_lines.append(
                _("%(label)s: %(orgs)d団体") % {"label": label, "orgs": by_status[status]["n"]}
            )
    sent = notify(
        organizer_people(meeting),
        kind,
        title,
        "\n".join(organizer_lines),
        url=organizer_path(meeting.pk),
        payload=payload(meeting, days_left=days, role="organizer"),
        dedupe_key=key,
    )
    registrant_lines = [
        _("参加を申し込んだ交流の場が%(when)s（%(date)s）に開かれます。")
        % {"when": when, "date": date},
        "",
        *facts(meeting),
        "",
        _(
            "参加できなくなった場合は、会合のページから申込を取り消してください"
            "（キャンセル待ちの団体に席が回ります）。"
        ),
    ]
    sent += notify(
        registrants(meeting, [Status.REGISTERED]),
        kind,
        title,
        "\n".join(registrant_lines),
        url=url,
        payload=payload(meeting, days_left=days),
        dedupe_key=key,
    )
    return len(sent)


# --- The post-meeting form -----------------------------------------------------------
@dataclass
class WishesRun:
    meetings: int = 0  # meetings whose participants were asked
    notified: int = 0


def request_wishes(*, now: dt.datetime | None = None) -> WishesRun:
    """Ask the participants of meetings that ended (within ``WISHES_WINDOW``) to name the
    organizations they want to talk to further; once per meeting."""
    now = now or timezone.now()
    run = WishesRun()
    due = Meeting.objects.filter(
        status__in=(*TAKING_PLACE, MeetingStatus.HELD),
        ends_at__lte=now,
        ends_at__gt=now - WISHES_WINDOW,
        wishes_requested_at__isnull=True,
    ).order_by("ends_at", "pk")
    for pk in due.values_list("pk", flat=True):
        sent = _request_one(pk, now)
        if sent is not None:
            run.meetings += 1
            run.notified += sent
    return run


@transaction.atomic
def _request_one(pk: int, now: dt.datetime) -> int | None:
    meeting = (
        Meeting.objects.select_for_update(of=("self",), skip_locked=True)
        .filter(pk=pk, wishes_requested_at__isnull=True)
        .exclude(status__in=(MeetingStatus.DRAFT, MeetingStatus.CANCELLED))
        .first()
    )
    if meeting is None:  # taken by a parallel run, or cancelled meanwhile
        return None
    body = "\n".join(
        [
            _("交流の場「%(title)s」にご参加いただき、ありがとうございました。")
            % {"title": meeting.title},
            _(
                "この会合で出会った団体のうち、もっと話したい団体を選んでください。"
                "コーディネーターが紹介の依頼として受け付け、つなぎます。"
            ),
            _("回答の締切: %(v)s") % {"v": day_text(wishes.deadline(meeting))},
            "",
            *facts(meeting),
        ]
    )
    sent = notify(
        members_of(wishes.participant_ids(meeting)),
        KIND_WISHES,
        _("「%(title)s」のあとで: もっと話したい団体を教えてください") % {"title": meeting.title},
        body,
        url=wishes_path(meeting.pk),
        payload=payload(meeting),
        dedupe_key=f"{KIND_WISHES}:{meeting.pk}",
    )
    # Not ``updated_at``: asking for the form does not change the meeting (its .ics).
    meeting.wishes_requested_at = now
    meeting.save(update_fields=["wishes_requested_at"])
    return len(sent)
