"""The post-meeting form (参加後アンケート): 「もっと話したい団体」, and the introductions
that come of it.

After a meeting ends, each organization that took part names the organizations it wants
to talk to further, among the other participants, with an optional message. Who took
part: the organizations checked in; when the organizer checked nobody in, those
registered (参加確定); and the organizer organization itself (it was in the room).

Each wish becomes an **interest request** in the coordinators' queue
(``matching.matches.interest.create_interest_request``; meetings sits above matching, so
meetings calls matching and never the other way), marked with where it came from:
「交流の場「<title>」（<date>）から」, and 「（双方が希望）」 when both organizations named
each other. The request points at the target's open post that fits the wishing
organization best, by the scoring engine's stored suggestions between the two
organizations' open posts (else the target's newest open post). A target with no open post
keeps the wish without a request (the coordinators are told, the result says so): a wish is
never lost. A coordinator who accepts the request makes a match that keeps the origin
(``Match.Origin.MEETING``).

The form is open from the end of the meeting for ``WISH_DAYS`` days. Answering again
replaces the earlier answer's wishes that did not become requests; a request already in
the queue stays (the organization may withdraw it on 「送った依頼」).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from lib.dates import day_text
from lib.errors import Conflict, Forbidden, Invalid
from matching.matches import interest
from matching.models import InterestRequest, Suggestion
from meetings.day.attendance import attended_organization_ids
from meetings.models import Meeting, Wish
from meetings.notices import organizer_path
from meetings.services import is_organizer
from notifications.services import notify
from organizations.models import Organization
from organizations.services import coordinators
from proposals.models import Need, Offer
from proposals.models import Status as PostStatus

MeetingStatus = Meeting.Status

# How long the form stays open after the end of the meeting.
WISH_DAYS = 30
MAX_MESSAGE = 2000
MUTUAL = "（双方が希望）"

MSG_NOT_MEMBER = _("所属している団体として回答してください。")
MSG_NOT_PARTICIPANT = _("この会合に参加した団体だけが回答できます。")
MSG_MEETING_STATE = _("中止または下書きの会合にはアンケートがありません。")
MSG_NOT_ENDED = _("アンケートは会合の終了後に回答できます。")
MSG_CLOSED = _("アンケートの回答期限（会合の終了から%(days)d日）を過ぎています。")
MSG_NOT_A_TARGET = _("この会合に参加したほかの団体を選んでください。")
MSG_SELF = _("自分の団体は選べません。")
MSG_OUTSIDER = _("参加した団体と主催者、コーディネーターだけが見られます。")


class Outcome:
    """What became of one wish (the answer says it to the organization)."""

    REQUESTED = "requested"  # a new interest request in the coordinators' queue
    ALREADY_REQUESTED = "already_requested"  # joined to the organization's pending request
    KEPT = "kept"  # an earlier answer's wish that is already a request: unchanged
    NO_OPEN_POST = "no_open_post"  # kept without a request: the target has no open post


@dataclass(frozen=True)
class WishOutcome:
    wish: Wish
    outcome: str
    mutual: bool


@dataclass(frozen=True)
class WishesResult:
    outcomes: list[WishOutcome] = field(default_factory=list)

    @property
    def requested(self) -> list[Wish]:
        return [o.wish for o in self.outcomes if o.outcome == Outcome.REQUESTED]

    @property
    def without_post(self) -> list[Wish]:
        return [o.wish for o in self.outcomes if o.outcome == Outcome.NO_OPEN_POST]


# --- Who --------------------------------------------------------------------------------
def participant_ids(meeting: Meeting) -> set[int]:
    """The organizations that took part (see the module's docstring)."""
    ids = set(attended_organization_ids(meeting))
    if meeting.organizer_id:
        ids.add(meeting.organizer_id)
    return ids


def participants(meeting: Meeting):
    """The participating organizations, by name (what the form offers to choose from)."""
    return Organization.objects.filter(pk__in=participant_ids(meeting), is_active=True).order_by(
        "name", "pk"
    )


def deadline(meeting: Meeting) -> dt.datetime:
    return meeting.ends_at + dt.timedelta(days=WISH_DAYS)


def is_open(meeting: Meeting, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    return meeting.status not in (
        MeetingStatus.CANCELLED,
        MeetingStatus.DRAFT,
    ) and meeting.ends_at <= now <= deadline(meeting)


def may_see_wishes(user: Any, meeting: Meeting) -> bool:
    """Participants (their own wishes), the organizer and coordinators (all)."""
    if is_organizer(user, meeting):
        return True
    if not (user and user.is_authenticated and user.is_active):
        return False
    return bool(participant_ids(meeting) & set(user.organization_ids()))


def visible_wishes(meeting: Meeting, user: Any):
    """All the meeting's wishes for the organizer and coordinators; an organization's own
    for its members. Others: ``Forbidden``."""
    if not may_see_wishes(user, meeting):
        raise Forbidden(MSG_OUTSIDER)
    wishes = meeting.wishes.select_related("organization", "target", "interest_request")
    if is_organizer(user, meeting):
        return wishes
    return wishes.filter(organization_id__in=user.organization_ids())


def mutual_pairs(meeting: Meeting) -> set[tuple[int, int]]:
    """(organization, target) of every wish answered by a wish the other way."""
    pairs = set(meeting.wishes.values_list("organization_id", "target_id"))
    return {(a, b) for a, b in pairs if (b, a) in pairs}


def origin_note(meeting: Meeting, mutual: bool = False) -> str:
    """「交流の場「<title>」（<date>）から」, stored with the request and the match: written
    in Japanese whatever the language of the person answering (it is the record)."""
    with translation.override("ja"):
        when = day_text(meeting.starts_at)
    note = f"交流の場「{meeting.title}」（{when}）から"
    return note + MUTUAL if mutual else note


# --- The answer -------------------------------------------------------------------------
def _target_ids(meeting: Meeting, organization: Organization, targets: Iterable[Any]) -> list[int]:
    allowed = participant_ids(meeting)
    active = set(
        Organization.objects.filter(pk__in=allowed, is_active=True).values_list("pk", flat=True)
    )
    chosen: list[int] = []
    for target in targets or []:
        pk = target.pk if isinstance(target, Organization) else target
        if isinstance(pk, bool) or not isinstance(pk, int):
            raise Invalid(MSG_NOT_A_TARGET, field="targets")
        if pk == organization.pk:
            raise Invalid(MSG_SELF, field="targets")
        if pk not in active:
            raise Invalid(MSG_NOT_A_TARGET, field="targets")
        if pk not in chosen:
            chosen.append(pk)
    return chosen


@transaction.atomic
def submit_wishes(
    meeting: Meeting,
    user: Any,
    organization: Organization,
    targets: Iterable[Any],
    message: str = "",
) -> WishesResult:
    """The organization's answer: the organizations it wants to talk to further (ids or
    Organization objects) and one optional message. Each new wish becomes an interest
    request (see the module's docstring); the result says what became of each."""
    if not (user and user.is_authenticated and user.is_member_of(organization.pk)):
        raise Forbidden(MSG_NOT_MEMBER)
    # One answer at a time per meeting: the wishes both ways are read to mark mutual ones.
    meeting = (
        Meeting.objects.select_for_update(of=("self",))
        .select_related("organizer")
        .get(pk=meeting.pk)
    )
    if meeting.status in (MeetingStatus.CANCELLED, MeetingStatus.DRAFT):
        raise Conflict(MSG_MEETING_STATE, code="meeting_state")
    now = timezone.now()
    if now < meeting.ends_at:
        raise Conflict(MSG_NOT_ENDED, code="too_early")
    if now > deadline(meeting):
        raise Conflict(MSG_CLOSED % {"days": WISH_DAYS}, code="deadline")
    if organization.pk not in participant_ids(meeting):
        raise Forbidden(MSG_NOT_PARTICIPANT)
    chosen = _target_ids(meeting, organization, targets)
    message = str(message or "").strip()
    if len(message) > MAX_MESSAGE:
        raise Invalid(_("%(n)d文字以内にしてください。") % {"n": MAX_MESSAGE}, field="message")

    earlier = meeting.wishes.filter(organization=organization)
    # The earlier answer is replaced, except the wishes already in the coordinators' queue.
    earlier.filter(interest_request__isnull=True).delete()
    kept = {w.target_id: w for w in earlier.filter(interest_request__isnull=False)}
    pairs = set(meeting.wishes.values_list("organization_id", "target_id"))
    names = dict(Organization.objects.filter(pk__in=chosen).values_list("pk", "name"))
    outcomes: list[tuple[Wish, str]] = []
    for target_id in chosen:
        if target_id in kept:
            outcomes.append((kept[target_id], Outcome.KEPT))
            continue
        wish = Wish.objects.create(
            meeting=meeting,
            organization=organization,
            target_id=target_id,
            message=message,
            created_by=user,
        )
        mutual = (target_id, organization.pk) in pairs
        outcome = _request(meeting, wish, user, organization, names[target_id], mutual)
        outcomes.append((wish, outcome))
    _sync_mutual(meeting)
    both = mutual_pairs(meeting)
    result = WishesResult(
        [
            WishOutcome(wish, outcome, (wish.organization_id, wish.target_id) in both)
            for wish, outcome in outcomes
        ]
    )
    if result.without_post:
        _tell_coordinators(meeting, organization, result.without_post)
    return result


def _request(
    meeting: Meeting,
    wish: Wish,
    user: Any,
    organization: Organization,
    target_name: str,
    mutual: bool,
) -> str:
    post, pending = best_post(organization.pk, wish.target_id)
    if post is None and pending is None:
        return Outcome.NO_OPEN_POST
    if post is not None:
        key = "need" if isinstance(post, Need) else "offer"
        try:
            request = interest.create_interest_request(
                user,
                organization,
                message=_request_message(meeting, target_name, wish.message),
                origin_note=origin_note(meeting, mutual),
                **{key: post},
            )
        except Invalid:
            # Someone of the organization asked about that post a moment ago: join it.
            pending = InterestRequest.objects.filter(
                organization=organization, status=InterestRequest.Status.PENDING, **{key: post}
            ).first()
            if pending is None:
                raise
        else:
            wish.interest_request = request
            wish.save(update_fields=["interest_request"])
            return Outcome.REQUESTED
    wish.interest_request = pending
    wish.save(update_fields=["interest_request"])
    return Outcome.ALREADY_REQUESTED


def _request_message(meeting: Meeting, target_name: str, text: str) -> str:
    with translation.override("ja"):
        when = day_text(meeting.starts_at)
    intro = (
        f"交流の場「{meeting.title}」（{when}）で出会った「{target_name}」と、"
        "もっと話したいという希望です。"
    )
    return f"{intro}\n{text}"[:MAX_MESSAGE] if text else intro[:MAX_MESSAGE]


def best_post(organization_id: int, target_id: int) -> tuple[Need | Offer | None, Any]:
    """The target's open post that fits the wishing organization best, and (when every open
    post of the target already has a pending request of the organization) that request.

    Fit: the best score the engine stored (``Suggestion``) between a post of the target and
    an open post of the organization, either way round (the target's need and the
    organization's offer, or the target's offer and the organization's need); posts without
    a stored score come after, newest first."""
    target = Organization.objects.filter(pk=target_id, is_active=True).first()
    if target is None:
        return None, None
    open_post = Q(status=PostStatus.OPEN)
    needs = list(Need.objects.filter(open_post, organization=target))
    offers = list(Offer.objects.filter(open_post, organization=target))
    need_scores = dict(
        Suggestion.objects.filter(
            need__in=needs, offer__organization_id=organization_id, offer__status=PostStatus.OPEN
        )
        .values("need_id")
        .annotate(best=Max("score"))
        .values_list("need_id", "best")
    )
    offer_scores = dict(
        Suggestion.objects.filter(
            offer__in=offers, need__organization_id=organization_id, need__status=PostStatus.OPEN
        )
        .values("offer_id")
        .annotate(best=Max("score"))
        .values_list("offer_id", "best")
    )
    ranked = [(need_scores.get(n.pk), n) for n in needs] + [
        (offer_scores.get(o.pk), o) for o in offers
    ]
    # Scored first (best first), then the newest.
    ranked.sort(
        key=lambda p: (p[0] is not None, p[0] or 0.0, p[1].created_at, p[1].pk), reverse=True
    )
    pending = InterestRequest.objects.filter(
        organization_id=organization_id, status=InterestRequest.Status.PENDING
    )
    asked_needs = set(pending.filter(need__in=needs).values_list("need_id", flat=True))
    asked_offers = set(pending.filter(offer__in=offers).values_list("offer_id", flat=True))
    for _score, post in ranked:
        asked = asked_needs if isinstance(post, Need) else asked_offers
        if post.pk not in asked:
            return post, None
    if ranked:
        best = ranked[0][1]
        key = "need" if isinstance(best, Need) else "offer"
        return None, pending.filter(**{key: best}).first()
    return None, None


def _sync_mutual(meeting: Meeting) -> None:
    """Mark 「（双方が希望）」 on the requests of wishes answered the other way (and unmark
    one whose counterpart was taken back), on the requests and on the matches made."""
    both = mutual_pairs(meeting)
    base = origin_note(meeting)
    for wish in meeting.wishes.filter(interest_request__isnull=False).select_related(
        "interest_request"
    ):
        current = wish.interest_request.origin_note
        # Only the notes this meeting wrote (a joined request from elsewhere is left alone).
        if not current.startswith(base):
            continue
        wanted = origin_note(meeting, (wish.organization_id, wish.target_id) in both)
        if current != wanted:
            interest.update_origin_note(wish.interest_request_id, wanted)


def _tell_coordinators(meeting: Meeting, organization: Organization, wishes: list[Wish]) -> None:
    names = "、".join(w.target.name for w in wishes)
    title = _("交流の場からの希望（募集中の投稿がない団体）: %(org)s")
    body = _(
        "%(meeting)s の参加後アンケートで、%(org)s が次の団体ともっと話したいと回答しました。"
        "相手に募集中の投稿がないため、紹介の依頼にはなっていません: %(names)s"
    )
    values = {"meeting": meeting.title, "org": organization.name, "names": names}
    notify(
        coordinators(),
        "meeting.wish_without_post",
        str(title) % values,
        str(body) % values,
        # The answers of the meeting (who wished whom), on its organizer's pages: every
        # coordinator may open them.
        url=organizer_path(meeting.pk, "wishes"),
        payload={"meeting": meeting.pk, "wishes": [w.pk for w in wishes]},
    )
