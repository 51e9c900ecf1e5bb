"""New meetings in an organization's fields and areas (交流の場の新着), through the usual
outbox, default channel the weekly digest (``notifications.kinds.DEFAULT_CHANNELS``), so
that they land in the digest e-mail beside the new posts.

When a meeting is published (``services.publish``), the task ``meetings.announce_meeting``
is sent after the commit; it tells the members of the organizations whose fields and areas
(their own or their open posts') meet the meeting's. Invitation-only meetings are not
announced; the organizer's members are left out. One dedupe key per meeting: a retried
task or the hourly sweep of lost messages (``announce_new_meetings``) notifies no one twice.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from lib.dates import day_text, day_time_text
from lib.tasks import task
from meetings.models import Meeting
from meetings.notices import KIND_NEW, facts, meeting_path, organizer_people, payload
from notifications.models import Notification
from notifications.services import notify
from organizations.filters import area_ids_covering
from organizations.models import Organization, User
from organizations.services import members_of
from proposals.models import Need, Offer
from proposals.models import Status as PostStatus

MeetingStatus = Meeting.Status

# The sweep sends again an announcement whose task was lost, for meetings published this
# recently.
ANNOUNCE_WINDOW = dt.timedelta(days=2)


def announced(meeting: Meeting) -> bool:
    """Whether this meeting may be announced: published, not invitation-only, ahead."""
    return (
        meeting.status == MeetingStatus.PUBLISHED
        and meeting.registration_mode != Meeting.RegistrationMode.INVITATION
        and meeting.starts_at > timezone.now()
    )


def schedule_announcement(meeting: Meeting) -> None:
    """Called by ``services.publish``: announce the meeting once the publication commits,
    in the worker (the audience may be the whole city). A lost message is sent again by
    the hourly sweep (``announce_new_meetings``)."""
    if meeting.registration_mode == Meeting.RegistrationMode.INVITATION:
        return
    pk = meeting.pk
    transaction.on_commit(lambda: task("meetings.announce_meeting").delay(pk), robust=True)


def _posting(**condition: Any) -> Q:
    """Organizations with an open need or offer matching ``condition``."""
    needs = Need.objects.filter(status=PostStatus.OPEN, **condition).values("organization_id")
    offers = Offer.objects.filter(status=PostStatus.OPEN, **condition).values("organization_id")
    return Q(pk__in=needs) | Q(pk__in=offers)


def audience(meeting: Meeting) -> QuerySet[User]:
    """Who hears of a new meeting: members of the active organizations that share a field
    with it (in their profile or an open post) and whose areas meet its areas (a
    citywide organization or post meets every ward; one that names no area at all is not
    tied to a place). A meeting with no fields is for every field, one with no areas for
    the whole city. The organizer's members (and the creator) are left out: they know."""
    orgs = Organization.objects.filter(is_active=True)
    field_ids = list(meeting.fields.values_list("pk", flat=True))
    if field_ids:
        orgs = orgs.filter(Q(fields__in=field_ids) | _posting(fields__in=field_ids))
    areas = list(meeting.areas.all())
    if areas:
        covering = area_ids_covering(areas)
        placed = Q(areas__in=covering) | _posting(areas__in=covering)
        unplaced = Q(areas__isnull=True) & ~_posting(areas__isnull=False)
        orgs = orgs.filter(placed | unplaced)
    org_ids = set(orgs.values_list("pk", flat=True)) - {meeting.organizer_id}
    known = {user.pk for user in organizer_people(meeting)}
    return members_of(org_ids).exclude(pk__in=known)


def announcement_key(meeting: Meeting) -> str:
    return f"{KIND_NEW}:{meeting.pk}"


def announce_new_meeting(meeting_id: int) -> int:
    """Tell the audience of a published meeting about it (idempotent: a dedupe key per
    meeting). Returns how many notifications were written."""
    meeting = (
        Meeting.objects.select_related("organizer", "created_by").filter(pk=meeting_id).first()
    )
    if meeting is None or not announced(meeting):
        return 0
    lines = [
        _("あなたの団体の活動分野・地域に合う交流の場が公開されました。"),
        "",
        *facts(meeting),
    ]
    if meeting.organizer_id:
        lines.append(_("主催: %(v)s") % {"v": meeting.organizer.name})
    fields = [str(f) for f in meeting.fields.all()]
    areas = [a.name for a in meeting.areas.all()]
    if fields:
        lines.append(_("分野: %(v)s") % {"v": "、".join(fields)})
    if areas:
        lines.append(_("地域: %(v)s") % {"v": "、".join(areas)})
    lines.append(
        _("定員: %(n)d人（%(mode)s）")
        % {"n": meeting.capacity, "mode": meeting.get_registration_mode_display()}
    )
    lines.append(_("申込締切: %(v)s") % {"v": day_time_text(meeting.effective_deadline)})
    sent = notify(
        audience(meeting),
        KIND_NEW,
        _("新しい交流の場: %(title)s（%(date)s）")
        % {"title": meeting.title, "date": day_text(meeting.starts_at)},
        "\n".join(lines),
        url=meeting_path(meeting.pk),
        payload=payload(meeting, fields=fields, areas=areas),
        dedupe_key=announcement_key(meeting),
    )
    return len(sent)


def announce_new_meetings(*, now: dt.datetime | None = None) -> int:
    """The sweep: announce the meetings published within ``ANNOUNCE_WINDOW`` that nobody
    has heard of yet (their task was lost, or the broker was down)."""
    now = now or timezone.now()
    recent = (
        Meeting.objects.filter(
            status=MeetingStatus.PUBLISHED,
            published_at__gte=now - ANNOUNCE_WINDOW,
            starts_at__gt=now,
        )
        .exclude(registration_mode=Meeting.RegistrationMode.INVITATION)
        .order_by("published_at", "pk")
    )
    total = 0
    for meeting in recent:
        if not Notification.objects.filter(dedupe_key=announcement_key(meeting)).exists():
            total += announce_new_meeting(meeting.pk)
    return total
