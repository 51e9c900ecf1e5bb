"""The rules of meetings (交流の場) and their registrations: the only place that decides.

The API and the admin call these functions; every one is one transaction, and a refused
request raises a ``lib.errors`` error (``Invalid`` 400 with the field, ``Forbidden`` 403,
``Conflict`` 409) and changes nothing.

Seats are counted in PEOPLE: a registration of 3 attendees takes 3 of the ``capacity``.

Exactly ``capacity`` people under parallel requests: every change to a meeting's seats
(register, approve, cancel, a new capacity) first locks the meeting row (``SELECT … FOR
UPDATE``) and counts the seats taken inside that lock, so concurrent registrations for one
meeting queue up one after another. The partial unique constraint refuses a second active
registration of one organization whatever the application did.

The waitlist (キャンセル待ち) is served in the order of registration: when seats free up,
the first waiting registrations are promoted while they fit; promotion stops at the first
one that does not fit (nobody overtakes an earlier registration).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lib.dates import day_time_text
from lib.errors import Conflict, Forbidden, Invalid
from meetings import announcements, notices
from meetings.models import ACTIVE_STATUSES, Invitation, Meeting, Registration
from notifications.services import notify
from organizations.models import Organization
from organizations.permissions import is_coordinator
from organizations.services import members_of

Status = Registration.Status
MeetingStatus = Meeting.Status

MSG_NOT_ORGANIZER = _("主催団体のメンバーかコーディネーターだけが実行できます。")
MSG_ORGANIZER_CHOICE = _("所属している団体だけを主催団体にできます。")
MSG_COORDINATOR_ORGANIZER = _(
    "主催団体を選んでください（団体なしの主催はコーディネーターだけです）。"
)
MSG_NOT_MEMBER = _("所属している団体としてだけ申し込めます。")
MSG_NOT_PUBLISHED = _("この会合は申込を受け付けていません。")
MSG_DEADLINE = _("申込の締切を過ぎています。")
MSG_TWICE = _("この団体はすでにこの会合に申し込んでいます。")
MSG_NOT_INVITED = _("この会合は招待制です。招待された団体だけが申し込めます。")
MSG_STARTED = _("開始時刻を過ぎた会合の申込は取り消せません。")
MSG_NOT_ACTIVE = _("この申込はすでに取り消されているか、お断りされています。")
MSG_NOT_PENDING = _("承認待ちの申込ではありません。")
MSG_CANNOT_CANCEL = _(
    "申込した団体のメンバー、主催団体のメンバーかコーディネーターだけが取り消せます。"
)

# What a meeting's editor may set (create_meeting / update_meeting).
MEETING_FIELDS = (
    "kind",
    "title",
    "description",
    "venue_name",
    "venue_address",
    "is_public_facility",
    "online_url",
    "starts_at",
    "ends_at",
    "registration_deadline",
    "capacity",
    "registration_mode",
    "barrier_free",
    "sign_language",
    "childcare",
    "accessibility_note",
)
MEETING_RELATIONS = ("fields", "areas", "needs", "offers")
MAX_NAME_LENGTH = 100


# --- Who may ---------------------------------------------------------------------------
def is_organizer(user: Any, meeting: Meeting) -> bool:
    """Coordinators, and members of the organizer organization."""
    if is_coordinator(user):
        return True
    if not (user and user.is_authenticated and user.is_active):
        return False
    return meeting.organizer_id is not None and user.is_member_of(meeting.organizer_id)


def may_see_names(user: Any, meeting: Meeting) -> bool:
    """Attendee names (personal data): the organizer and coordinators only."""
    return is_organizer(user, meeting)


def visible_meetings(user: Any):
    """Published (and held/closed/cancelled) meetings for everyone; drafts for their
    organizers and coordinators."""
    from django.db.models import Q

    queryset = Meeting.objects.select_related("organizer")
    if is_coordinator(user):
        return queryset
    public = ~Q(status=MeetingStatus.DRAFT)
    if user and user.is_authenticated:
        return queryset.filter(public | Q(organizer_id__in=user.organization_ids()))
    return queryset.filter(public)


def require_organizer(user: Any, meeting: Meeting) -> None:
    if not is_organizer(user, meeting):
        raise Forbidden(MSG_NOT_ORGANIZER)


# --- Seats -----------------------------------------------------------------------------
def seats_taken(meeting: Meeting) -> int:
    """People in registered registrations (counted in the list's query by
    ``Meeting.objects.with_seats_taken()`` when it was)."""
    counted = getattr(meeting, "registered_people", None)
    if counted is not None:
        return counted
    total = meeting.registrations.filter(status=Status.REGISTERED).aggregate(n=Sum("attendees"))
    return total["n"] or 0


def seats_left(meeting: Meeting) -> int:
    return max(meeting.capacity - seats_taken(meeting), 0)


def waitlist_position(registration: Registration) -> int | None:
    """1 for the first waiting registration; None for one that is not waiting."""
    if registration.status != Status.WAITLISTED:
        return None
    earlier = Registration.objects.filter(
        meeting_id=registration.meeting_id, status=Status.WAITLISTED
    ).filter(created_at__lt=registration.created_at)
    same_time = Registration.objects.filter(
        meeting_id=registration.meeting_id,
        status=Status.WAITLISTED,
        created_at=registration.created_at,
        pk__lt=registration.pk,
    )
    return earlier.count() + same_time.count() + 1


def lock_meeting(meeting: Meeting | int) -> Meeting:
    pk = meeting if isinstance(meeting, int) else meeting.pk
    # of=("self",): PostgreSQL refuses FOR UPDATE on the nullable side of an outer join.
    return Meeting.objects.select_for_update(of=("self",)).select_related("organizer").get(pk=pk)


# --- Meetings --------------------------------------------------------------------------
def check_meeting(data: dict[str, Any]) -> None:
    """The fields of a meeting, checked together (``Invalid`` with the fields in error)."""
    errors: dict[str, Any] = {}
    starts, ends = data.get("starts_at"), data.get("ends_at")
    deadline = data.get("registration_deadline")
    if starts and ends and ends <= starts:
        errors["ends_at"] = _("終了日時は開始日時より後にしてください。")
    if deadline and starts and deadline > starts:
        errors["registration_deadline"] = _("申込締切は開始日時までにしてください。")
    capacity = data.get("capacity")
    if capacity is None or capacity < 1:
        errors["capacity"] = _("定員は1人以上にしてください。")
    if not data.get("title", "").strip():
        errors["title"] = _("名称を入力してください。")
    if data.get("kind") not in Meeting.Kind.values:
        errors["kind"] = _("種類を選んでください。")
    if data.get("registration_mode", Meeting.RegistrationMode.OPEN) not in (
        Meeting.RegistrationMode.values
    ):
        errors["registration_mode"] = _("申込方法を選んでください。")
    if errors:
        raise Invalid(errors=errors)


def _check_future(values: dict[str, Any]) -> None:
    """A start or deadline being set lies ahead (a meeting is not made for the past)."""
    now = timezone.now()
    errors: dict[str, Any] = {}
    if values.get("starts_at") is not None and values["starts_at"] <= now:
        errors["starts_at"] = _("開始日時は現在より後にしてください。")
    if values.get("registration_deadline") is not None and values["registration_deadline"] <= now:
        errors["registration_deadline"] = _("申込締切は現在より後にしてください。")
    if errors:
        raise Invalid(errors=errors)


def _set_relations(meeting: Meeting, data: dict[str, Any]) -> None:
    for name in MEETING_RELATIONS:
        if name in data and data[name] is not None:
            getattr(meeting, name).set(data[name])


@transaction.atomic
def create_meeting(user: Any, organizer: Organization | None, **data: Any) -> Meeting:
    """A new meeting, as a draft. ``organizer``: an organization of the user's (a
    coordinator may choose any, or none)."""
    if not (user and user.is_authenticated):
        raise Forbidden(MSG_NOT_ORGANIZER)
    if organizer is None:
        if not is_coordinator(user):
            raise Invalid(MSG_COORDINATOR_ORGANIZER, field="organizer")
    elif not (is_coordinator(user) or user.is_member_of(organizer.pk)):
        raise Invalid(MSG_ORGANIZER_CHOICE, field="organizer")
    check_meeting(data)
    values = {k: v for k, v in data.items() if k in MEETING_FIELDS}
    _check_future(values)
    meeting = Meeting.objects.create(organizer=organizer, created_by=user, **values)
    _set_relations(meeting, data)
    return meeting


@transaction.atomic
def update_meeting(meeting: Meeting, user: Any, **data: Any) -> Meeting:
    """Change a meeting. A larger capacity promotes the waitlist; a capacity below the
    people already registered is refused."""
    meeting = lock_meeting(meeting)
    require_organizer(user, meeting)
    if meeting.status in (MeetingStatus.CANCELLED, MeetingStatus.HELD):
        raise Conflict(_("中止または開催済みの会合は変更できません。"), code="meeting_state")
    values = {k: v for k, v in data.items() if k in MEETING_FIELDS}
    merged = {name: getattr(meeting, name) for name in MEETING_FIELDS} | values
    check_meeting(merged)
    _check_future(values)
    if merged["capacity"] < seats_taken(meeting):
        raise Invalid(
            _("定員を参加確定の人数（%(n)d人）より少なくはできません。")
            % {"n": seats_taken(meeting)},
            field="capacity",
        )
    before = notices.snapshot(meeting)
    for name, value in values.items():
        setattr(meeting, name, value)
    meeting.save()
    _set_relations(meeting, data)
    _promote(meeting)
    # Every registrant hears what changed (time, venue, URL, capacity, mode…), once.
    notices.announce_changes(meeting, before)
    return meeting


@transaction.atomic
def publish(meeting: Meeting, user: Any) -> Meeting:
    meeting = lock_meeting(meeting)
    require_organizer(user, meeting)
    if meeting.status != MeetingStatus.DRAFT:
        raise Conflict(_("下書きの会合だけを公開できます。"), code="meeting_state")
    if meeting.starts_at <= timezone.now():
        raise Invalid(_("開始日時を過ぎた会合は公開できません。"), field="starts_at")
    meeting.status = MeetingStatus.PUBLISHED
    meeting.published_at = timezone.now()
    meeting.save(update_fields=["status", "published_at", "updated_at"])
    # Organizations of its fields and areas hear of it, from the worker after commit.
    announcements.schedule_announcement(meeting)
    return meeting


@transaction.atomic
def cancel_meeting(meeting: Meeting, user: Any, reason: str = "") -> Meeting:
    """Call the meeting off; every active registrant is told."""
    meeting = lock_meeting(meeting)
    require_organizer(user, meeting)
    if meeting.status in (MeetingStatus.CANCELLED, MeetingStatus.HELD):
        raise Conflict(_("この会合はすでに中止か開催済みです。"), code="meeting_state")
    meeting.status = MeetingStatus.CANCELLED
    meeting.cancelled_at = timezone.now()
    meeting.cancel_reason = reason
    meeting.save(update_fields=["status", "cancelled_at", "cancel_reason", "updated_at"])
    active = meeting.registrations.filter(status__in=ACTIVE_STATUSES)
    people = members_of(active.values_list("organization_id", flat=True))
    body = _("理由: %(reason)s") % {"reason": reason} if reason else ""
    _tell(people, meeting, "meeting.cancelled", _("会合が中止になりました"), str(body))
    return meeting


# --- Registrations ---------------------------------------------------------------------
def _check_attendees(meeting: Meeting, attendees: Any, names: Sequence[str]) -> list[str]:
    errors: dict[str, Any] = {}
    if not isinstance(attendees, int) or attendees < 1:
        errors["attendees"] = _("参加人数は1人以上にしてください。")
    elif attendees > meeting.capacity:
        errors["attendees"] = _("参加人数が定員（%(n)d人）を超えています。") % {
            "n": meeting.capacity
        }
    cleaned = [str(n).strip() for n in names if str(n).strip()]
    if isinstance(attendees, int) and len(cleaned) > attendees:
        errors["attendee_names"] = _("氏名の数が参加人数を超えています。")
    elif any(len(n) > MAX_NAME_LENGTH for n in cleaned):
        errors["attendee_names"] = _("氏名は1人100文字までにしてください。")
    if errors:
        raise Invalid(errors=errors)
    return cleaned


@transaction.atomic
def register(
    meeting: Meeting,
    organization: Organization,
    user: Any,
    attendees: int,
    names: Sequence[str] = (),
) -> Registration:
    """An organization registers ``attendees`` people. The answer's status: registered
    (the people fit in the seats left), waitlisted (they do not), or pending_approval
    (approval mode: the organizer decides)."""
    if not (user and user.is_authenticated and user.is_member_of(organization.pk)):
        raise Invalid(MSG_NOT_MEMBER, field="organization")
    meeting = lock_meeting(meeting)
    if meeting.status != MeetingStatus.PUBLISHED:
        raise Conflict(MSG_NOT_PUBLISHED, code="meeting_state")
    if timezone.now() > meeting.effective_deadline:
        raise Conflict(MSG_DEADLINE, code="deadline")
    cleaned = _check_attendees(meeting, attendees, names)
    active = meeting.registrations.filter(organization=organization, status__in=ACTIVE_STATUSES)
    if active.exists():
        raise _twice()
    mode = meeting.registration_mode
    if mode == Meeting.RegistrationMode.INVITATION and not (
        Invitation.objects.filter(meeting=meeting, organization=organization).exists()
    ):
        raise Forbidden(MSG_NOT_INVITED, code="not_invited")
    # Nobody overtakes the waitlist: with people waiting, a newcomer waits behind them.
    waiting = meeting.registrations.filter(status=Status.WAITLISTED).exists()
    if mode == Meeting.RegistrationMode.APPROVAL:
        status = Status.PENDING_APPROVAL
    elif not waiting and attendees <= meeting.capacity - seats_taken(meeting):
        status = Status.REGISTERED
    else:
        status = Status.WAITLISTED
    try:
        with transaction.atomic():
            registration = Registration.objects.create(
                meeting=meeting,
                organization=organization,
                registered_by=user,
                attendees=attendees,
                attendee_names=cleaned,
                status=status,
            )
    except IntegrityError as exc:
        raise _twice() from exc
    _announce(registration, meeting)
    return registration


def _twice() -> Conflict:
    # 409 with the field's message too (``organization``), for a form to show it in place.
    return Conflict(
        MSG_TWICE, field="organization", code="already_registered", organization=[MSG_TWICE]
    )


def _lock_registration(meeting: Meeting, registration: Registration | int) -> Registration:
    pk = registration if isinstance(registration, int) else registration.pk
    return Registration.objects.select_for_update(of=("self",)).get(pk=pk, meeting=meeting)


@transaction.atomic
def cancel_registration(registration: Registration, user: Any) -> Registration:
    """Cancel (until the start); freed seats go to the waitlist, in order."""
    meeting = lock_meeting(registration.meeting_id)
    registration = _lock_registration(meeting, registration)
    if not (
        is_organizer(user, meeting)
        or (user and user.is_authenticated and user.is_member_of(registration.organization_id))
    ):
        raise Forbidden(MSG_CANNOT_CANCEL)
    if registration.status not in ACTIVE_STATUSES:
        raise Conflict(MSG_NOT_ACTIVE, code="registration_state")
    if timezone.now() >= meeting.starts_at:
        raise Conflict(MSG_STARTED, code="started")
    registration.status = Status.CANCELLED
    registration.cancelled_at = timezone.now()
    registration.save(update_fields=["status", "cancelled_at", "updated_at"])
    _promote(meeting)
    return registration


@transaction.atomic
def approve(registration: Registration, user: Any) -> Registration:
    """Approval mode: the organizer accepts; registered if the people fit, else waitlisted."""
    meeting = lock_meeting(registration.meeting_id)
    require_organizer(user, meeting)
    registration = _lock_registration(meeting, registration)
    if registration.status != Status.PENDING_APPROVAL:
        raise Conflict(MSG_NOT_PENDING, code="registration_state")
    fits = registration.attendees <= meeting.capacity - seats_taken(meeting)
    # Nobody overtakes the waitlist: with people waiting, an approval queues behind them.
    waiting = meeting.registrations.filter(status=Status.WAITLISTED).exists()
    registration.status = Status.REGISTERED if fits and not waiting else Status.WAITLISTED
    registration.save(update_fields=["status", "updated_at"])
    _announce(registration, meeting)
    return registration


@transaction.atomic
def decline(registration: Registration, user: Any) -> Registration:
    meeting = lock_meeting(registration.meeting_id)
    require_organizer(user, meeting)
    registration = _lock_registration(meeting, registration)
    if registration.status != Status.PENDING_APPROVAL:
        raise Conflict(MSG_NOT_PENDING, code="registration_state")
    registration.status = Status.DECLINED
    registration.save(update_fields=["status", "updated_at"])
    _tell(
        members_of([registration.organization_id]),
        meeting,
        "meeting.declined",
        _("参加の申込をお受けできませんでした"),
    )
    return registration


def _promote(meeting: Meeting) -> list[Registration]:
    """Under the meeting's lock: promote the waitlist in order while the people fit."""
    left = meeting.capacity - seats_taken(meeting)
    promoted = []
    for registration in meeting.registrations.filter(status=Status.WAITLISTED).order_by(
        "created_at", "pk"
    ):
        if registration.attendees > left:
            break
        registration.status = Status.REGISTERED
        registration.save(update_fields=["status", "updated_at"])
        left -= registration.attendees
        promoted.append(registration)
        _tell(
            members_of([registration.organization_id]),
            meeting,
            "meeting.promoted",
            _("キャンセル待ちから参加確定になりました"),
            str(_("参加人数: %(n)d人") % {"n": registration.attendees}),
        )
    return promoted


# --- Notices ---------------------------------------------------------------------------
def when_text(meeting: Meeting) -> str:
    end = timezone.localtime(meeting.ends_at)
    return f"{day_time_text(meeting.starts_at)}〜{end:%H:%M}"


def _tell(
    people: Iterable[Any],
    meeting: Meeting,
    kind: str,
    title: Any,
    body: str = "",
    url: str = "",
) -> None:
    where = meeting.venue_name or meeting.online_url or ""
    text = "\n".join(part for part in (body, meeting.title, when_text(meeting), where) if part)
    notify(
        people,
        kind,
        f"{title}: {meeting.title}",
        text,
        # The inbox and the e-mail open the meeting's page (the organizer's: its own page).
        url=url or notices.meeting_path(meeting.pk),
        payload={"meeting": meeting.pk, "starts_at": meeting.starts_at.isoformat()},
    )


def _announce(registration: Registration, meeting: Meeting) -> None:
    people = members_of([registration.organization_id])
    count = str(_("参加人数: %(n)d人") % {"n": registration.attendees})
    if registration.status == Status.REGISTERED:
        _tell(people, meeting, "meeting.registered", _("参加が確定しました"), count)
    elif registration.status == Status.WAITLISTED:
        position = _("キャンセル待ちの順番: %(n)d番目") % {
            "n": waitlist_position(registration) or 0
        }
        _tell(
            people,
            meeting,
            "meeting.waitlisted",
            _("キャンセル待ちで受け付けました"),
            f"{count}\n{position}",
        )
    elif registration.status == Status.PENDING_APPROVAL:
        _tell(
            people, meeting, "meeting.pending", _("参加の申込を受け付けました（承認待ち）"), count
        )
        organizers = list(members_of([meeting.organizer_id] if meeting.organizer_id else []))
        if meeting.created_by is not None:
            organizers.append(meeting.created_by)
        _tell(
            organizers,
            meeting,
            "meeting.approval_requested",
            _("参加の申込の承認のお願い"),
            f"{registration.organization.name}\n{count}",
            url=notices.organizer_path(meeting.pk, anchor="registrations"),
        )
