"""On the day (当日の受付): check-in of the registered organizations, and the meeting held.

The organizer (members of the organizer organization, and coordinators) checks an
organization in from the list (``check_in``, ``undo_check_in``) or by scanning the QR code
printed for its registration (``qr_svg`` → ``check_in_by_token``). The QR code carries the
URL of the check-in page, ``/meetings/checkin/<token>/``; only an organizer may use it, so
a participant who scans its own code learns nothing (no name, no meeting).

Check-in is open from the meeting's day (the local date of its start) until 7 days after
its end, so that a list filled in on paper can be entered afterwards; only registrations
that hold seats (参加確定) are checked in. ``attended_people`` is how many actually came:
by default the people registered, at most that plus a margin (a colleague who joins).
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Any

import segno
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lib.errors import Conflict, Forbidden, Invalid, NotFound
from meetings.models import Meeting, Registration
from meetings.services import is_organizer

Status = Registration.Status
MeetingStatus = Meeting.Status

# How long after the end the organizer may still record who came (a paper list typed in).
CHECKIN_DAYS_AFTER = 7
# How many more people than registered may be checked in (a colleague who joins on the day).
PEOPLE_MARGIN = 5

MSG_NOT_ORGANIZER = _("受付は主催団体のメンバーかコーディネーターだけが行えます。")
MSG_QR_NOT_ORGANIZER = _(
    "この受付用コードは、会場の受付で主催者が読み取るためのものです。受付で係の人に見せてください。"
)
MSG_UNKNOWN_TOKEN = _("受付用コードが見つかりません。")
MSG_TOO_EARLY = _("受付は会合の当日から行えます。")
MSG_TOO_LATE = _("受付の記録は会合の終了から%(days)d日後までです。")
MSG_MEETING_STATE = _("中止または下書きの会合では受付できません。")
MSG_NOT_REGISTERED = _("参加確定の申込だけを受付できます。")
MSG_NOT_CHECKED_IN = _("この申込はまだ受付されていません。")
MSG_LIST_NOT_ORGANIZER = _("参加者名簿は主催団体のメンバーかコーディネーターだけが見られます。")


def checkin_path(registration: Registration) -> str:
    """The page the QR code opens (built in web/; only an organizer may use it)."""
    return f"/meetings/checkin/{registration.checkin_token}/"


def qr_svg(registration: Registration, base_url: str) -> str:
    """The registration's QR code as an SVG document: the URL of its check-in page.
    ``base_url``: the site's address (settings.TSUNAGU_BASE_URL)."""
    url = base_url.rstrip("/") + checkin_path(registration)
    out = io.BytesIO()
    # Error correction M: still readable from a creased printout or a dim phone screen.
    segno.make(url, error="m", micro=False).save(
        out, kind="svg", scale=6, border=2, title=str(_("受付用QRコード"))
    )
    return out.getvalue().decode("utf-8")


# --- Rules -----------------------------------------------------------------------------
def _require_organizer(user: Any, meeting: Meeting, message: Any = MSG_NOT_ORGANIZER) -> None:
    if not is_organizer(user, meeting):
        raise Forbidden(message)


def _check_window(meeting: Meeting, now: dt.datetime | None = None) -> None:
    now = now or timezone.now()
    if meeting.status in (MeetingStatus.CANCELLED, MeetingStatus.DRAFT):
        raise Conflict(MSG_MEETING_STATE, code="meeting_state")
    if timezone.localdate(now) < timezone.localdate(meeting.starts_at):
        raise Conflict(MSG_TOO_EARLY, code="too_early")
    if now > meeting.ends_at + dt.timedelta(days=CHECKIN_DAYS_AFTER):
        raise Conflict(MSG_TOO_LATE % {"days": CHECKIN_DAYS_AFTER}, code="too_late")


def _lock(registration: Registration | int) -> Registration:
    pk = registration if isinstance(registration, int) else registration.pk
    return (
        Registration.objects.select_for_update(of=("self",))
        .select_related("meeting__organizer", "organization")
        .get(pk=pk)
    )


def _people(registration: Registration, people: Any) -> int:
    if people is None or people == "":
        return registration.attendees
    if isinstance(people, bool) or not isinstance(people, int):
        try:
            people = int(str(people).strip())
        except ValueError:
            raise Invalid(_("出席人数は数字で入力してください。"), field="people") from None
    most = registration.attendees + PEOPLE_MARGIN
    if people < 1:
        raise Invalid(_("出席人数は1人以上にしてください。"), field="people")
    if people > most:
        raise Invalid(
            _("出席人数は申込の人数より%(margin)d人多いところまでです（%(most)d人まで）。")
            % {"margin": PEOPLE_MARGIN, "most": most},
            field="people",
        )
    return people


@transaction.atomic
def check_in(registration: Registration, user: Any, people: Any = None) -> Registration:
    """Check an organization in (again: corrects the number of people who came)."""
    registration = _lock(registration)
    meeting = registration.meeting
    _require_organizer(user, meeting)
    _check_window(meeting)
    if registration.status != Status.REGISTERED:
        raise Conflict(MSG_NOT_REGISTERED, code="registration_state")
    registration.attended_people = _people(registration, people)
    registration.checked_in_at = registration.checked_in_at or timezone.now()
    registration.save(update_fields=["attended_people", "checked_in_at", "updated_at"])
    return registration


@transaction.atomic
def undo_check_in(registration: Registration, user: Any) -> Registration:
    """Take a check-in back (the wrong row was ticked)."""
    registration = _lock(registration)
    meeting = registration.meeting
    _require_organizer(user, meeting)
    _check_window(meeting)
    if registration.checked_in_at is None:
        raise Conflict(MSG_NOT_CHECKED_IN, code="not_checked_in")
    registration.checked_in_at = None
    registration.attended_people = None
    registration.save(update_fields=["attended_people", "checked_in_at", "updated_at"])
    return registration


@dataclass(frozen=True)
class CheckInResult:
    registration: Registration
    # True when the code had been scanned before: the page says 「受付済み」 with the time.
    already_checked_in: bool


def check_in_by_token(token: str, user: Any, people: Any = None) -> CheckInResult:
    """The QR code was scanned: an organizer checks the registration in. Anyone else is
    refused with a message that names nothing (not the organization, not the meeting)."""
    registration = (
        Registration.objects.select_related("meeting__organizer", "organization")
        .filter(checkin_token=str(token or "")[:64])
        .first()
    )
    if registration is None:
        raise NotFound(MSG_UNKNOWN_TOKEN)
    _require_organizer(user, registration.meeting, MSG_QR_NOT_ORGANIZER)
    already = registration.checked_in_at is not None
    if already and people is None:
        return CheckInResult(registration, True)
    return CheckInResult(check_in(registration, user, people), already)


@transaction.atomic
def mark_held(meeting: Meeting, user: Any) -> Meeting:
    """開催済み: the meeting took place (after its start; a cancelled or draft one cannot)."""
    meeting = Meeting.objects.select_for_update(of=("self",)).get(pk=meeting.pk)
    _require_organizer(user, meeting, _("主催団体のメンバーかコーディネーターだけが実行できます。"))
    if meeting.status == MeetingStatus.HELD:
        raise Conflict(_("この会合はすでに開催済みです。"), code="meeting_state")
    if meeting.status in (MeetingStatus.CANCELLED, MeetingStatus.DRAFT):
        raise Conflict(_("中止または下書きの会合は開催済みにできません。"), code="meeting_state")
    if timezone.now() < meeting.starts_at:
        raise Conflict(_("開始日時の前に開催済みにはできません。"), code="too_early")
    meeting.status = MeetingStatus.HELD
    meeting.held_at = timezone.now()
    meeting.save(update_fields=["status", "held_at", "updated_at"])
    return meeting


# --- The list --------------------------------------------------------------------------
@dataclass(frozen=True)
class AttendanceRow:
    registration: Registration
    organization_name: str
    attendees: int
    attendee_names: list[str]
    checked_in_at: dt.datetime | None
    attended_people: int | None


@dataclass(frozen=True)
class Attendance:
    """The attendance list of a meeting (to print, or to tick on the day)."""

    meeting: Meeting
    rows: list[AttendanceRow] = field(default_factory=list)

    @property
    def organizations(self) -> int:
        return len(self.rows)

    @property
    def registered_people(self) -> int:
        return sum(row.attendees for row in self.rows)

    @property
    def checked_in_organizations(self) -> int:
        return sum(1 for row in self.rows if row.checked_in_at is not None)

    @property
    def attended_people(self) -> int:
        return sum(row.attended_people or 0 for row in self.rows)


def attendance(meeting: Meeting, user: Any) -> Attendance:
    """Registered organizations in the order of their names, with the people registered,
    their names (personal data: hence the organizer only) and the check-in."""
    _require_organizer(user, meeting, MSG_LIST_NOT_ORGANIZER)
    registrations = (
        meeting.registrations.filter(status=Status.REGISTERED)
        .select_related("organization")
        .order_by("organization__name", "pk")
    )
    rows = [
        AttendanceRow(
            registration=r,
            organization_name=r.organization.name,
            attendees=r.attendees,
            attendee_names=list(r.attendee_names or []),
            checked_in_at=r.checked_in_at,
            attended_people=r.attended_people,
        )
        for r in registrations
    ]
    return Attendance(meeting=meeting, rows=rows)


def attended_organization_ids(meeting: Meeting) -> list[int]:
    """The organizations that came: those checked in; when the organizer checked nobody in,
    those registered (the post-meeting form goes to them, meetings.day.wishes)."""
    registered = meeting.registrations.filter(status=Status.REGISTERED)
    checked = registered.filter(checked_in_at__isnull=False)
    chosen = checked if checked.exists() else registered
    return list(chosen.values_list("organization_id", flat=True).distinct())
