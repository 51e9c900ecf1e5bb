"""What the platform tells organizations on its own: new suggestions for their posts (in
batches), posts about to reach their end date, and digests of new posts in their fields
and areas.

Plain service functions called by the Celery tasks in ``matching.notices.tasks``; each takes
the clock (``now`` or ``today``) as a parameter so that tests and back-fills control it.
Every notification carries a dedupe key: a re-run or duplicated task never notifies twice.
Only public information goes into a notification (titles, organization names, field and
area labels, scores): never an organization's contact details. Rules: ``docs/matching.md``
("Notifications").
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from lib import links
from lib.dates import day_text
from matching.matches.workflow import members_of
from matching.models import Suggestion, SuggestionNotice
from matching.scoring import adapter
from notifications.models import Channel, Notification
from notifications.services import channel_for, notify
from organizations.filters import area_ids_covering
from organizations.models import Membership, Organization
from proposals.models import Need, Offer, Status

KIND_SUGGESTIONS = "suggestions.new"
KIND_EXPIRING = "post.expiring"
KIND_DIGEST = "digest.new_posts"

# How many partners a new-suggestions message names (the rest are counted).
TOP_PARTNERS = 3
# Posts whose end date falls within this many days (today included) are announced.
EXPIRING_WITHIN_DAYS = 7
# Items listed in one digest (the rest are counted).
DIGEST_ITEMS = 10
DIGEST_DAYS = {"daily": 1, "weekly": 7}
# Partners remembered per post; beyond this the oldest are forgotten (bounded storage).
ANNOUNCED_LIMIT = 2000

POST_MODELS: dict[str, type[Need] | type[Offer]] = {"need": Need, "offer": Offer}
OTHER_SIDE = {"need": "offer", "offer": "need"}


def _today() -> dt.date:
    return timezone.localdate()


def post_url(side: str, post_id: int) -> str:
    """The public page of a post (what a digest links to)."""
    return f"/{side}s/{post_id}/"


def _side_label(side: str) -> str:
    return _("ニーズ") if side == "need" else _("シーズ")


def _open_posts(model: type[Need] | type[Offer]) -> QuerySet:
    return model.objects.filter(status=Status.OPEN, organization__is_active=True)


# --- 1. New suggestions, in batches ---------------------------------------------------
@dataclass
class SuggestionNoticeRun:
    checked: int = 0  # posts with suggestions computed since they were last looked at
    announced: int = 0  # posts whose organization was told of new partners
    partners: int = 0  # new pairs announced


def notify_new_suggestions(*, now: dt.datetime | None = None) -> SuggestionNoticeRun:
    """For each open need and offer whose visible suggestions (its best ``top_k``, as the
    suggestions API shows them) include partners not yet announced, send one message to the
    members of the posting organization: how many new partners, and the best three."""
    now = now or timezone.now()
    run = SuggestionNoticeRun()
    top_k = adapter.active_profile().top_k
    for side in POST_MODELS:
        for post_id, latest in _posts_to_check(side):
            run.checked += 1
            found = _announce_post(side, post_id, latest, top_k, now)
            if found:
                run.announced += 1
                run.partners += found
    return run


def _posts_to_check(side: str) -> list[tuple[int, dt.datetime]]:
    """Open posts with a suggestion computed after the last look (a new pair is always
    computed after it; re-scores refresh ``computed_at`` too, so this only narrows)."""
    model = POST_MODELS[side]
    latest = (
        Suggestion.objects.filter(**{f"{side}__in": _open_posts(model).values("pk")})
        .values_list(f"{side}_id")
        .annotate(latest=Max("computed_at"))
        .order_by(f"{side}_id")
    )
    seen = dict(SuggestionNotice.objects.filter(kind=side).values_list("post_id", "seen_until"))
    return [
        (post_id, when)
        for post_id, when in latest
        if seen.get(post_id) is None or when > seen[post_id]
    ]


@transaction.atomic
def _announce_post(
    side: str, post_id: int, latest: dt.datetime, top_k: int, now: dt.datetime
) -> int:
    other = OTHER_SIDE[side]
    post = _open_posts(POST_MODELS[side]).select_related("organization").filter(pk=post_id).first()
    if post is None:
        return 0
    SuggestionNotice.objects.get_or_create(kind=side, post_id=post_id)
    notice = SuggestionNotice.objects.select_for_update().get(kind=side, post_id=post_id)
    visible = list(
        Suggestion.objects.filter(**{f"{side}_id": post_id})
        .select_related(f"{other}__organization")
        .order_by("-score", "pk")[:top_k]
    )
    announced = set(notice.announced_ids)
    new = [
        row
        for row in visible
        if getattr(row, f"{other}_id") not in announced
        and getattr(row, other).status == Status.OPEN
        and getattr(row, other).organization.is_active
    ]
    if new:
        notice.rounds += 1
        _send_suggestions(post, side, new, notice.rounds)
        ids = [*notice.announced_ids, *(getattr(row, f"{other}_id") for row in new)]
        notice.announced_ids = ids[-ANNOUNCED_LIMIT:]
        notice.last_announced_at = now
    notice.seen_until = latest if notice.seen_until is None else max(latest, notice.seen_until)
    notice.save()
    return len(new)


def _send_suggestions(
    post: Need | Offer, side: str, new: Sequence[Suggestion], round_: int
) -> None:
    other = OTHER_SIDE[side]
    top = [
        {
            "type": other,
            "id": getattr(row, f"{other}_id"),
            "title": getattr(row, other).title,
            "organization": getattr(row, other).organization.name,
            "score": round(row.score, 2),
        }
        for row in new[:TOP_PARTNERS]
    ]
    lines = [
        _("・%(title)s（%(org)s）点数 %(score).2f")
        % {"title": item["title"], "org": item["organization"], "score": item["score"]}
        for item in top
    ]
    if len(new) > len(top):
        lines.append(_("ほか%(n)d件") % {"n": len(new) - len(top)})
    body = "\n".join(
        [
            _("「%(title)s」に、協働の相手として新しく%(count)d件の%(other)sが提案されました。")
            % {"title": post.title, "count": len(new), "other": _side_label(other)},
            "",
            *lines,
            "",
            _("提案の一覧で理由を確かめ、関心があればコーディネーターに紹介を依頼できます。"),
        ]
    )
    notify(
        members_of([post.organization_id]),
        KIND_SUGGESTIONS,
        _("「%(title)s」に新しい提案が%(count)d件あります")
        % {"title": post.title, "count": len(new)},
        body,
        url=links.suggestions_page(side, post.pk),
        payload={"post": {"type": side, "id": post.pk}, "count": len(new), "top": top},
        dedupe_key=f"{KIND_SUGGESTIONS}:{side}:{post.pk}:{round_}",
    )


# --- 2. Posts about to reach their end date -------------------------------------------
@dataclass
class ExpiringRun:
    posts: int = 0  # open posts ending within the window
    notified: int = 0  # notifications written (per recipient; none on a re-run)


def notify_expiring_posts(
    *, today: dt.date | None = None, within_days: int = EXPIRING_WITHIN_DAYS
) -> ExpiringRun:
    """Tell the members of the posting organization, once per post and end date, that an
    open need or offer ends within ``within_days`` days: extend it or close it. A post
    whose end date is moved is announced again when the new date comes near."""
    today = today or _today()
    last = today + dt.timedelta(days=within_days)
    run = ExpiringRun()
    for side, model in POST_MODELS.items():
        posts = (
            _open_posts(model)
            .filter(ends_on__gte=today, ends_on__lte=last)
            .select_related("organization")
            .order_by("ends_on", "pk")
        )
        for post in posts:
            run.posts += 1
            run.notified += len(_send_expiring(side, post, today))
    return run


def _send_expiring(side: str, post: Need | Offer, today: dt.date) -> list[Notification]:
    days = (post.ends_on - today).days
    when = _("本日") if days == 0 else _("あと%(days)d日") % {"days": days}
    url = links.post_edit_page(side, post.pk)
    return notify(
        members_of([post.organization_id]),
        KIND_EXPIRING,
        _("「%(title)s」の終了日が近づいています（%(when)s）")
        % {"title": post.title, "when": when},
        _(
            "%(kind)s「%(title)s」は%(date)sに終了します。"
            "募集を続ける場合は終了日を延ばし、終える場合は募集を終了にしてください。"
        )
        % {"kind": _side_label(side), "title": post.title, "date": day_text(post.ends_on)},
        url=url,
        payload={
            "post": {"type": side, "id": post.pk},
            "ends_on": post.ends_on.isoformat(),
            "days_left": days,
            "actions": {
                "extend": {"method": "PATCH", "url": url, "field": "ends_on"},
                "close": {"method": "PATCH", "url": url, "data": {"status": Status.CLOSED}},
            },
        },
        dedupe_key=f"{KIND_EXPIRING}:{side}:{post.pk}:{post.ends_on.isoformat()}",
    )


# --- 3. Digests: new posts in an organization's fields and areas ----------------------
@dataclass
class DigestRun:
    period: str
    start: dt.datetime
    end: dt.datetime
    posts: int = 0  # new open posts in the window
    recipients: int = 0  # people with at least one item
    notified: int = 0  # notifications written (none on a re-run)


@dataclass(frozen=True)
class _Candidate:
    side: str
    post: Need | Offer
    field_ids: frozenset[int]
    area_ids: frozenset[int]

    def item(self) -> dict[str, Any]:
        post = self.post
        return {
            "type": self.side,
            "id": post.pk,
            "title": post.title,
            "organization": post.organization.name,
            "fields": [str(f) for f in post.fields.all()],
            "areas": [a.name for a in post.areas.all()],
            "url": post_url(self.side, post.pk),
        }


def digest_window(period: str, today: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Whole local days before ``today``: yesterday (daily) or the 7 days before (weekly).
    Consecutive runs neither overlap nor leave gaps, whatever time the task runs."""
    if period not in DIGEST_DAYS:
        raise ValueError(f"unknown digest period {period!r} (daily or weekly)")
    tz = timezone.get_current_timezone()
    end = dt.datetime.combine(today, dt.time.min, tzinfo=tz)
    return end - dt.timedelta(days=DIGEST_DAYS[period]), end


def build_digests(period: str, *, today: dt.date | None = None) -> DigestRun:
    """One ``digest.new_posts`` notification per member of each organization that has
    fields and areas: the open needs and offers created in the window (not its own) that
    share a field with it and whose areas cover or are covered by its areas (a citywide
    post is relevant everywhere; a citywide organization sees every ward's posts; a post
    with no area is not tied to a place and counts everywhere). A person in several
    organizations gets one digest with the posts relevant to any of them."""
    today = today or _today()
    start, end = digest_window(period, today)
    run = DigestRun(period, start, end)
    candidates = _new_posts(start, end)
    run.posts = len(candidates)
    if not candidates:
        return run
    organizations = list(
        Organization.objects.filter(
            is_active=True,
            fields__isnull=False,
            areas__isnull=False,
            pk__in=Membership.objects.filter(user__is_active=True).values("organization_id"),
        )
        .distinct()
        .prefetch_related("fields", "areas")
        .order_by("pk")
    )
    relevant_to_org: dict[int, list[_Candidate]] = {}
    coverage: dict[tuple[int, ...], set[int]] = {}
    for org in organizations:
        areas = sorted(org.areas.all(), key=lambda a: a.pk)
        key = tuple(a.pk for a in areas)
        if key not in coverage:
            coverage[key] = area_ids_covering(areas)
        fields = {f.pk for f in org.fields.all()}
        relevant_to_org[org.pk] = [
            c
            for c in candidates
            if c.post.organization_id != org.pk
            and c.field_ids & fields
            and (not c.area_ids or c.area_ids & coverage[key])
        ]
    orgs_of_user: dict[int, set[int]] = defaultdict(set)
    for user_id, org_id in Membership.objects.filter(
        organization__is_active=True, user__is_active=True
    ).values_list("user_id", "organization_id"):
        orgs_of_user[user_id].add(org_id)
    users = get_user_model().objects.filter(
        pk__in=[u for u, orgs in orgs_of_user.items() if orgs & relevant_to_org.keys()]
    )
    for user in users.order_by("pk"):
        if period not in _digest_periods_for(user):
            continue
        own = orgs_of_user[user.pk]
        chosen: dict[tuple[str, int], _Candidate] = {}
        for org_id in sorted(own & relevant_to_org.keys()):
            for c in relevant_to_org[org_id]:
                if c.post.organization_id not in own:
                    chosen.setdefault((c.side, c.post.pk), c)
        if not chosen:
            continue
        run.recipients += 1
        items = sorted(chosen.values(), key=lambda c: (-c.post.created_at.timestamp(), c.side))
        run.notified += len(_send_digest(user, period, today, start, end, items))
    return run


def _digest_periods_for(user: Any) -> set[str]:
    """Which digest runs produce content for this user, by their preference for
    ``digest.new_posts``: weekly digest readers get the weekly one only (a daily run as well
    would show them every post twice); daily, email and in-app readers the daily one;
    ``off``, none."""
    channel = channel_for(user, KIND_DIGEST)
    if channel == Channel.OFF:
        return set()
    if channel == Channel.DIGEST_WEEKLY:
        return {"weekly"}
    return {"daily"}


def _new_posts(start: dt.datetime, end: dt.datetime) -> list[_Candidate]:
    out: list[_Candidate] = []
    for side, model in POST_MODELS.items():
        posts = (
            _open_posts(model)
            .filter(created_at__gte=start, created_at__lt=end)
            .select_related("organization")
            .prefetch_related("fields", "areas")
            .defer("search_text", "organization__search_text")
            .order_by("-created_at", "-pk")
        )
        out += [
            _Candidate(
                side,
                post,
                frozenset(f.pk for f in post.fields.all()),
                frozenset(a.pk for a in post.areas.all()),
            )
            for post in posts
        ]
    return out


def _send_digest(
    user: Any,
    period: str,
    today: dt.date,
    start: dt.datetime,
    end: dt.datetime,
    found: list[_Candidate],
) -> list[Notification]:
    items = [c.item() for c in found[:DIGEST_ITEMS]]
    label = _("昨日") if period == "daily" else _("この1週間")
    lines = []
    for item in items:
        lines.append(
            _("・［%(kind)s］%(title)s（%(org)s）")
            % {
                "kind": _side_label(item["type"]),
                "title": item["title"],
                "org": item["organization"],
            }
        )
        details = []
        if item["fields"]:
            details.append(_("分野: %(v)s") % {"v": "、".join(item["fields"])})
        if item["areas"]:
            details.append(_("地域: %(v)s") % {"v": "、".join(item["areas"])})
        if details:
            lines.append("　" + " / ".join(details))
    if len(found) > len(items):
        lines.append(_("ほか%(n)d件") % {"n": len(found) - len(items)})
    body = "\n".join(
        [
            _("%(when)s、あなたの団体の活動分野・地域に合う新しい投稿が%(count)d件ありました。")
            % {"when": label, "count": len(found)},
            "",
            *lines,
        ]
    )
    return notify(
        [user],
        KIND_DIGEST,
        _("あなたの分野の新しい協働テーマ"),
        body,
        url=items[0]["url"] if len(items) == 1 else "",
        payload={
            "period": period,
            "from": start.isoformat(),
            "until": end.isoformat(),
            "count": len(found),
            "items": items,
        },
        dedupe_key=f"digest:{period}:{today.isoformat()}:{user.pk}",
    )
