"""「この会に来てほしい団体」: organizations to invite to a meeting, ranked by the engine.

The meeting is put to the scoring engine as a post of its own — its title, description,
fields and areas — against the open offers (as if it were a theme looking for partners)
and against the open needs (as if it offered something); each need linked to the meeting
is ranked against the offers and each linked offer against the needs. Every ranking runs
on the process's live indexes (``matching.scoring.indexes``) with the active matching
profile: one scorer, the one the suggestions use, with its reasons.

A post counts when it shares content with the query (a word, a synonym, a topic, the
same subject in other words) or a field: sharing only the area is not a reason to
invite. Each organization gets one row, scored by its best post, with the reasons of its
best posts in words.

Exposure fairness (not always the same groups): an organization invited to, or registered
for, many recent meetings is ranked a little lower. The engine's fairness component does
it (``Weights.fairness`` = ``FAIRNESS_STRENGTH``, exposure = the recent meetings, full
strength at ``FAIRNESS_SATURATION``), and the row says so. Organizations that never took
part in a meeting are marked 「初参加」.

Left out: the organizer, organizations already invited or registered (waiting or pending
too), inactive or unverified organizations (their posts are not open to the engine).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lib.errors import Conflict, Forbidden, Invalid
from matching import engine
from matching.scoring import indexes as live
from matching.scoring.features import (
    NO_CITY,
    active_profile,
    current_lexicon,
    engine_profile,
    need_features,
    offer_features,
    today,
)
from meetings import notices, services
from meetings.models import ACTIVE_STATUSES, Invitation, Meeting, Registration
from notifications.services import notify
from organizations.models import Organization
from organizations.services import members_of
from proposals.models import Need, Offer, Status

# Recent meetings (invited or registered) count as exposure for this long back (a year of
# 交流会: Chigasaki held 10 to 18 a year) …
RECENT_DAYS = 365
# … at full strength from this many recent meetings on …
FAIRNESS_SATURATION = 5
# … where an organization's score is lowered by this share (the engine's λ).
FAIRNESS_STRENGTH = 0.4
# How many posts each ranking returns (before they are grouped by organization).
POSTS_PER_QUERY = 200
DEFAULT_LIMIT = 30
MAX_LIMIT = 100
# Posts and engine reasons shown per organization.
POSTS_SHOWN = 3
REASONS_PER_POST = 2

FIRST_TIME = _("初参加")


@dataclass(frozen=True)
class PostFit:
    """One open post of an organization and why it fits the meeting."""

    kind: str  # "need" or "offer"
    id: int
    title: str
    score: float
    via: str  # the sentence saying what it fits
    reasons: tuple[str, ...]


@dataclass
class InvitationSuggestion:
    """One organization to invite, with its best posts and the reasons in words."""

    organization: Organization
    score: float  # after the fairness discount
    score_before_fairness: float
    posts: list[PostFit] = field(default_factory=list)
    first_time: bool = False
    recent_meetings: int = 0
    fairness_discount: float = 0.0  # the share taken off the score (0 … FAIRNESS_STRENGTH)
    reasons: list[str] = field(default_factory=list)

    @property
    def marks(self) -> list[str]:
        return [str(FIRST_TIME)] if self.first_time else []


# --------------------------------------------------------------------------- who takes part
def recent_meetings(meeting: Meeting) -> dict[int, int]:
    """Organization → how many other recent meetings (from ``RECENT_DAYS`` ago on, upcoming
    ones included, cancelled ones not) invited it or have its registration."""
    since = timezone.now() - dt.timedelta(days=RECENT_DAYS)
    scope = Q(meeting__starts_at__gte=since) & ~Q(meeting__status=Meeting.Status.CANCELLED)
    scope &= ~Q(meeting_id=meeting.pk)
    seen: dict[int, set[int]] = defaultdict(set)
    for org, meeting_id in Invitation.objects.filter(scope).values_list(
        "organization_id", "meeting_id"
    ):
        seen[org].add(meeting_id)
    registrations = Registration.objects.filter(scope, status__in=ACTIVE_STATUSES)
    for org, meeting_id in registrations.values_list("organization_id", "meeting_id"):
        seen[org].add(meeting_id)
    return {org: len(ids) for org, ids in seen.items()}


def veterans(organization_ids: Iterable[int]) -> set[int]:
    """The organizations that took part in a meeting before: registered (参加確定) for a
    meeting that has started and was not cancelled."""
    return set(
        Registration.objects.filter(
            organization_id__in=list(organization_ids),
            status=Registration.Status.REGISTERED,
            meeting__starts_at__lt=timezone.now(),
        )
        .exclude(meeting__status=Meeting.Status.CANCELLED)
        .values_list("organization_id", flat=True)
    )


def excluded(meeting: Meeting) -> set[int]:
    """The organizer and the organizations already invited or registered."""
    out = set(meeting.invitations.values_list("organization_id", flat=True))
    out |= set(
        meeting.registrations.filter(status__in=ACTIVE_STATUSES).values_list(
            "organization_id", flat=True
        )
    )
    if meeting.organizer_id is not None:
        out.add(meeting.organizer_id)
    return out


# --------------------------------------------------------------------------- the rankings
@dataclass(frozen=True)
class _Query:
    """One ranking: a query post against one side's indexes."""

    feature: engine.Need | engine.Offer
    side: str  # the side ranked: "offer" (the query is a need) or "need"
    city: str
    via: Any  # how a post found fits: a sentence with %(post)s (and %(linked)s)
    linked: str = ""  # the title of the linked post the query is

    def sentence(self, title: str) -> str:
        return str(self.via) % {"post": title, "linked": self.linked}


def _meeting_queries(meeting: Meeting, lexicon: engine.Lexicon, geo) -> list[_Query]:
    text = engine.analyze_post(meeting.title, meeting.description, lexicon)
    common = {
        "id": f"meeting-{meeting.pk}",
        # The organizer's own posts are left out by the engine (same organization).
        "organization_id": str(meeting.organizer_id or ""),
        "title": meeting.title,
        "description": meeting.description,
        "fields": [f.code for f in meeting.fields.all()],
        "areas": [a.code for a in meeting.areas.all()],
        "forms": [],
        "organization_kind": meeting.organizer.kind if meeting.organizer_id else "",
        "text": text,
    }
    start = timezone.localdate(meeting.starts_at)
    city = geo.city_of(a.pk for a in meeting.areas.all())
    # What grows out of a meeting starts at the meeting: a year from its day.
    as_need = engine.Need(**common, starts_on=start)
    as_offer = engine.Offer(**common, available_from=start)
    return [
        _Query(as_need, "offer", city, _("できること『%(post)s』が会合の内容に合う")),
        _Query(as_offer, "need", city, _("テーマ『%(post)s』が会合の内容に合う")),
    ]


def _linked_queries(meeting: Meeting, lexicon: engine.Lexicon, geo) -> list[_Query]:
    out: list[_Query] = []
    needs = _open_posts(meeting.needs.all())
    for need, feature in zip(needs, need_features(needs, lexicon), strict=True):
        via = _("できること『%(post)s』が会合で扱うテーマ『%(linked)s』に合う")
        city = geo.city_of(a.pk for a in need.areas.all())
        out.append(_Query(feature, "offer", city, via, need.title))
    offers = _open_posts(meeting.offers.all())
    for offer, feature in zip(offers, offer_features(offers, lexicon), strict=True):
        via = _("テーマ『%(post)s』に会合で紹介するできること『%(linked)s』が合う")
        city = geo.city_of(a.pk for a in offer.areas.all())
        out.append(_Query(feature, "need", city, via, offer.title))
    return out


def _open_posts(queryset) -> list:
    return list(
        queryset.filter(status=Status.OPEN)
        .select_related("organization")
        .prefetch_related("fields", "areas", "forms")
        .order_by("pk")
    )


def _ranking_profile() -> tuple[engine.MatchingProfile, float]:
    """The active profile, with the fairness component set to the meetings' exposure,
    and the profile's lowest score (applied before the fairness discount: the discount
    moves an organization down the list, it does not take it off)."""
    profile = active_profile()
    weights = {**profile.weights(), "fairness": FAIRNESS_STRENGTH}
    ranking = engine_profile(
        profile,
        weights=engine.Weights(**weights),
        fairness_saturation=FAIRNESS_SATURATION,
        # Exposure is the meetings already attended, not the places taken in this list.
        fairness_within_batch=False,
        min_score=0.0,
    )
    return ranking, profile.min_score


def _rank(query: _Query, indexes: dict, profile, exposure, as_of) -> list[engine.Suggestion]:
    targets = list(indexes) if query.city == NO_CITY else [query.city]
    found: list[engine.Suggestion] = []
    for city in targets:
        index = indexes.get(city)
        if index is None:
            continue
        rank = index.top_offers if query.side == "offer" else index.top_needs
        found += rank(
            query.feature, as_of=as_of, top_k=POSTS_PER_QUERY, profile=profile, exposure=exposure
        )
    return found


def _value(suggestion: engine.Suggestion, name: str) -> float:
    return next((c.value for c in suggestion.components if c.name == name), 0.0)


def _shares_content(suggestion: engine.Suggestion) -> bool:
    """A word, a synonym or a topic in common (``text``), or the same subject in other
    words (``semantic``, where the engine has it)."""
    return _value(suggestion, "text") > 0 or _value(suggestion, "semantic") > 0


def _positive(suggestion: engine.Suggestion) -> float:
    return sum(c.contribution for c in suggestion.components if c.name != "fairness")


# --------------------------------------------------------------------------- the list
def rank_invitations(
    meeting: Meeting, limit: int | None = DEFAULT_LIMIT
) -> list[InvitationSuggestion]:
    """The organizations to invite to ``meeting``, best first (ties by organization id);
    ``limit`` None: all of them."""
    lexicon = current_lexicon()
    profile, min_score = _ranking_profile()
    as_of = today()
    exposure = {str(org): n for org, n in recent_meetings(meeting).items()}
    by_side = {
        "offer": live.offers.get(Offer, lexicon),
        "need": live.needs.get(Need, lexicon),
    }
    geo = live.offers.geography()
    queries = _meeting_queries(meeting, lexicon, geo) + _linked_queries(meeting, lexicon, geo)
    # (side, post id) → its best fit over the rankings
    best: dict[tuple[str, int], _Found] = {}
    for query in queries:
        for s in _rank(query, by_side[query.side], profile, exposure, as_of):
            if not _shares_content(s) and _value(s, "field") <= 0:
                continue  # nothing in common but the place: no reason to invite
            if _positive(s) < min_score:
                continue
            key = (query.side, int(s.offer_id if query.side == "offer" else s.need_id))
            if key not in best or s.score > best[key].suggestion.score:
                best[key] = _Found(s, query)
    titles, owners = _posts_of(best)
    skip = excluded(meeting)
    posts: dict[int, list[tuple[PostFit, float]]] = defaultdict(list)
    ordered = sorted(best.items(), key=lambda item: (-item[1].suggestion.score, item[0]))
    for (side, post_id), found in ordered:
        org = owners.get((side, post_id))
        if org is None or org in skip:
            continue
        s, title = found.suggestion, titles[(side, post_id)]
        fit = PostFit(
            side,
            post_id,
            title,
            round(s.score, 4),
            found.query.sentence(title),
            tuple(s.reasons[:REASONS_PER_POST]),
        )
        posts[org].append((fit, _positive(s)))
    orgs = Organization.objects.in_bulk(list(posts))
    came = veterans(list(posts))
    out = []
    for org_id, fits in posts.items():
        recent = exposure.get(str(org_id), 0)
        row = InvitationSuggestion(
            organization=orgs[org_id],
            score=fits[0][0].score,  # the best post (the list is best first)
            score_before_fairness=round(fits[0][1], 4),
            posts=[fit for fit, _raw in fits[:POSTS_SHOWN]],
            first_time=org_id not in came,
            recent_meetings=recent,
            fairness_discount=round(FAIRNESS_STRENGTH * min(recent / FAIRNESS_SATURATION, 1), 4),
        )
        row.reasons = _reasons(row)
        out.append(row)
    out.sort(key=lambda r: (-r.score, r.organization.pk))
    return out if limit is None else out[:limit]


@dataclass(frozen=True)
class _Found:
    suggestion: engine.Suggestion
    query: _Query


def _posts_of(best) -> tuple[dict, dict]:
    titles: dict[tuple[str, int], str] = {}
    owners: dict[tuple[str, int], int] = {}
    for side, model in (("need", Need), ("offer", Offer)):
        ids = [pk for s, pk in best if s == side]
        rows = model.objects.filter(pk__in=ids, organization__is_active=True).values_list(
            "pk", "title", "organization_id"
        )
        for pk, title, org in rows:
            titles[(side, pk)] = title
            owners[(side, pk)] = org
    return titles, owners


def _reasons(row: InvitationSuggestion) -> list[str]:
    """The row's reasons in words: what fits (with the engine's reasons), the fairness
    discount, the first time."""
    out = []
    for post in row.posts:
        detail = "／".join(post.reasons)
        out.append(f"{post.via}（{detail}）" if detail else post.via)
    if row.fairness_discount > 0:
        out.append(
            str(
                _(
                    "最近の交流の場に%(n)d回招待・参加しているため、ほかの団体にも機会が"
                    "回るよう順位を下げています（点数を%(pct)d%%下げる調整）"
                )
                % {"n": row.recent_meetings, "pct": round(row.fairness_discount * 100)}
            )
        )
    if row.first_time:
        out.append(str(_("交流の場に参加したことのない団体です（初参加）")))
    return out


def suggest_invitations(
    meeting: Meeting, user: Any, limit: int | None = DEFAULT_LIMIT
) -> list[InvitationSuggestion]:
    """The list for the organizer (members of the organizer organization) and
    coordinators; others are refused (``Forbidden``)."""
    if not services.is_organizer(user, meeting):
        raise Forbidden(services.MSG_NOT_ORGANIZER)
    if meeting.status in (Meeting.Status.CANCELLED, Meeting.Status.HELD):
        return []  # nobody to invite any more
    return rank_invitations(meeting, limit)


def invite_suggested(
    meeting: Meeting, user: Any, organizations: Sequence[Organization]
) -> list[Invitation]:
    """Invite organizations picked from the list: each one still in the engine's list is
    saved as suggested with its score (the others as personal invitations)."""
    if not services.is_organizer(user, meeting):
        raise Forbidden(services.MSG_NOT_ORGANIZER)
    wanted = {org.pk for org in organizations}
    scores = {
        row.organization.pk: row.score
        for row in rank_invitations(meeting, limit=None)
        if row.organization.pk in wanted
    }
    return invite_many(meeting, user, organizations, scores=scores)


# --- Invitations ---------------------------------------------------------------------
MSG_INVITE_STATE = _("中止・開催済みの会合には招待できません。")
MSG_INVITE_DRAFT = _("下書きの会合には招待できません。公開してから招待してください。")
MSG_INVITE_NONE = _("招待する団体を選んでください。")
MSG_INVITE_ORGANIZER = _("主催団体は招待できません。")
MSG_INVITE_INACTIVE = _("活動を終えた団体は招待できません: %(names)s")
MSG_INVITED_TWICE = _("すでに招待している団体です: %(names)s")


@transaction.atomic
def invite(
    meeting: Meeting,
    user: Any,
    organization: Organization,
    *,
    suggested: bool = False,
    score: float | None = None,
) -> Invitation:
    """Invite an organization (招待制の会合でも、ほかの会合でも): see ``invite_many``."""
    scores = {organization.pk: score} if suggested else None
    return invite_many(meeting, user, [organization], scores=scores)[0]


@transaction.atomic
def invite_many(
    meeting: Meeting,
    user: Any,
    organizations: Sequence[Organization],
    *,
    scores: dict[int, float | None] | None = None,
) -> list[Invitation]:
    """Invite several organizations at once, all or none. For an invitation-only meeting
    (招待制) this is what allows them to register; for the others it is a personal call.
    Each organization's members are told, with the one-click registration link.

    ``scores``: the organizations picked from the engine's list (``meetings.invitations``)
    with their score; they are saved as suggested. Refused: a meeting not published (or
    past its deadline: the link would lead nowhere), the organizer itself, an
    organization already invited (409, nothing saved)."""
    meeting = services.lock_meeting(meeting)
    services.require_organizer(user, meeting)
    if meeting.status == Meeting.Status.DRAFT:
        raise Conflict(MSG_INVITE_DRAFT, code="meeting_state")
    if meeting.status != Meeting.Status.PUBLISHED:
        raise Conflict(MSG_INVITE_STATE, code="meeting_state")
    if timezone.now() > meeting.effective_deadline:
        raise Conflict(services.MSG_DEADLINE, code="deadline")
    chosen = list({org.pk: org for org in organizations}.values())
    if not chosen:
        raise Invalid(MSG_INVITE_NONE, field="organizations")
    if any(org.pk == meeting.organizer_id for org in chosen):
        raise Invalid(MSG_INVITE_ORGANIZER, field="organizations")
    inactive = [org.name for org in chosen if not org.is_active]
    if inactive:
        raise Invalid(MSG_INVITE_INACTIVE % {"names": "、".join(inactive)}, field="organizations")
    ids = [org.pk for org in chosen]
    taken = meeting.invitations.filter(organization_id__in=ids).order_by("organization__name")
    names = list(taken.values_list("organization__name", flat=True))
    if names:
        text = MSG_INVITED_TWICE % {"names": "、".join(names)}
        raise Conflict(text, field="organizations", code="invited", organizations=[text])
    scores = scores or {}
    invitations = []
    try:
        with transaction.atomic():
            for org in chosen:
                invitations.append(
                    Invitation.objects.create(
                        meeting=meeting,
                        organization=org,
                        invited_by=user,
                        suggested=org.pk in scores,
                        score=scores.get(org.pk),
                    )
                )
    except IntegrityError as exc:  # invited meanwhile by another request
        taken = meeting.invitations.filter(organization_id__in=ids).order_by("organization__name")
        names = "、".join(taken.values_list("organization__name", flat=True))
        text = MSG_INVITED_TWICE % {"names": names}
        raise Conflict(text, field="organizations", code="invited", organizations=[text]) from exc
    host = meeting.organizer.name if meeting.organizer_id else str(_("コーディネーター"))
    for invitation in invitations:
        _tell_invited(invitation, meeting, host)
    return invitations


def _tell_invited(invitation: Invitation, meeting: Meeting, host: str) -> None:
    where = meeting.venue_name or meeting.online_url or ""
    lead = _("%(host)sから、%(org)sへ交流の場へのご招待です。下のリンクから申し込めます。") % {
        "host": host,
        "org": invitation.organization.name,
    }
    text = "\n".join(
        part for part in (str(lead), meeting.title, services.when_text(meeting), where) if part
    )
    notify(
        members_of([invitation.organization_id]),
        "meeting.invited",
        f"{_('交流の場へのご招待')}: {meeting.title}",
        text,
        url=notices.invitation_path(meeting.pk),
        payload={"meeting": meeting.pk, "invitation": invitation.pk},
        dedupe_key=f"meeting.invited:{invitation.pk}",
    )
