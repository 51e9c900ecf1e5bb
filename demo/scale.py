"""The demo city at N× its size (``load_demo --scale N``), for benchmarks and load tests.

After the ordinary demo is loaded, ``scale_demo(N)`` adds N-1 copies of it, each derived
from the demo's own rows rather than invented text:

* organizations: every demo organization once per copy. City departments become the same
  section of a ward office (「みなと台市 北区役所 高齢福祉課」); other groups take another
  district's name (「みなと台」→「若葉」, or the district before the name). Areas are
  rotated to another area of the same level, and the area names in descriptions follow.
  Each copied organization gets one member (a login without a usable password).
* needs and offers: every demo post once per copy, with the rotated areas in its title and
  text. Posts of the organizations that have a demo login stay with that organization, so
  the demo users' pages are as busy as the city is large (10× the posts and matches).
* matches in every state with their parties, history, evaluations, follow-ups and
  consultation bookings (in copied slots of the demo coordinators), copied from the demo's
  matches onto the copied posts.
* notifications for the demo users about those matches and about new suggestions.
* suggestions: computed by the real engine (``matching.scoring.adapter.rank_needs_chunk``)
  for every open demo need, the base ones included, once everything is stored.

Rows are bulk-created (one ``INSERT`` per model and copy), so 10× takes seconds, not
minutes. Copies are marked by ``external_id`` (``demo-org-001-x02``) and usernames
starting with ``demo-scale-``; ``remove_demo`` deletes them with the rest of the demo.
Scaling twice to the same size does nothing; to another size, reload with ``--reset``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TextIO

from django.db import transaction
from django.utils import timezone

from demo.loader import DEMO_SOURCE, SCALE_USER_PREFIX, USER_PREFIX, DemoError, _say
from matching.scoring import generation

COPY_MARK = "-x"  # external_id suffix of a copy: "-x02" … "-x99"
_COPY_ID = re.compile(r"-x(\d{2,})$")
# Ward-office sections stand in for a department's copies (区役所, then 出張所 …).
_OFFICES = ("役所", "役所 地域振興室", "出張所", "保健福祉センター")
# Contact persons of the copies (the demo's own names are kept for the originals).
_FAMILY = ("佐々木", "山口", "松本", "井上", "木下", "林", "清水", "山崎", "森", "池田")
_GIVEN = ("美咲", "翔太", "陽子", "健一", "由美", "大輔", "恵", "誠", "彩", "拓海")


@dataclass
class ScaleSummary:
    factor: int
    added: dict[str, int] = field(default_factory=dict)
    skipped: bool = False


def _copy_suffix(k: int) -> str:
    return f"{COPY_MARK}{k:02d}"


def current_factor() -> int:
    """1 for the plain demo, N after ``scale_demo(N)`` (the highest copy number)."""
    from organizations.models import Organization

    ids = Organization.objects.filter(
        source=DEMO_SOURCE, external_id__contains=COPY_MARK
    ).values_list("external_id", flat=True)
    numbers = [int(m.group(1)) for m in map(_COPY_ID.search, ids) if m]
    return max(numbers, default=1)


class _Areas:
    """Rotate a demo area to another of the same level, copy by copy."""

    def __init__(self) -> None:
        from organizations.models import Area

        demo = list(Area.objects.filter(code__startswith="demo-").order_by("order", "pk"))
        self.by_level: dict[str, list[Any]] = defaultdict(list)
        for area in demo:
            self.by_level[area.level].append(area)
        self.index = {
            area.pk: i for level in self.by_level.values() for i, area in enumerate(level)
        }
        self.by_pk = {area.pk: area for area in demo}
        self.districts = self.by_level.get("district", [])
        self.wards = self.by_level.get("ward", [])

    def rotate(self, area: Any, k: int) -> Any:
        level = self.by_level.get(area.level, [])
        if len(level) < 2 or area.pk not in self.index:
            return area  # the city itself, or a level with one area
        return level[(self.index[area.pk] + k - 1) % len(level)]

    def rename(self, text: str, mapping: dict[str, str]) -> str:
        for old, new in mapping.items():
            text = text.replace(old, new)
        return text


def _place(area_name: str) -> str:
    """「若葉地区」→「若葉」, 「北区」→「北」: the bare place name."""
    return re.sub(r"(地区|区)$", "", area_name)


def _org_name(org: Any, k: int, i: int, areas: _Areas) -> str:
    if org.kind == "city_department":
        ward = areas.wards[(i + k) % len(areas.wards)] if areas.wards else None
        office = _OFFICES[((i + k) // max(len(areas.wards), 1)) % len(_OFFICES)]
        section = org.name.split(" ", 1)[-1]
        return f"みなと台市 {ward.name if ward else ''}{office} {section}"[:200]
    places = [_place(d.name) for d in areas.districts] or ["みなと台"]
    district = places[(i * 3 + k) % len(places)]
    found = [p for p in places if p in org.name]
    if found:  # 「本町小学校」→「若葉小学校」: the group of another district
        if district == found[0]:
            district = places[(places.index(district) + 1) % len(places)]
        return org.name.replace(found[0], district, 1)[:200]
    if "みなと台市" in org.name:  # a citywide body: its district branch
        return f"{org.name} {district}支部"[:200]
    if "みなと台" in org.name:
        return org.name.replace("みなと台", district, 1)[:200]
    if " " in org.name:  # "NPO法人 …": the place goes after the legal form
        head, tail = org.name.split(" ", 1)
        return f"{head} {district}{tail}"[:200]
    return f"{district}{org.name}"[:200]


def _through_rows(model: Any, name: str, pairs: list[tuple[int, int]]) -> None:
    """Bulk-insert many-to-many rows of ``model.<name>`` as (owner pk, target pk)."""
    relation = model._meta.get_field(name)
    through = relation.remote_field.through
    src = relation.m2m_field_name() + "_id"
    dst = relation.m2m_reverse_field_name() + "_id"
    through.objects.bulk_create(
        [through(**{src: a, dst: b}) for a, b in pairs], batch_size=1000, ignore_conflicts=True
    )


def _m2m(model: Any, name: str, pks: list[int]) -> dict[int, list[int]]:
    relation = model._meta.get_field(name)
    through = relation.remote_field.through
    src = relation.m2m_field_name() + "_id"
    dst = relation.m2m_reverse_field_name() + "_id"
    out: dict[int, list[int]] = defaultdict(list)
    for a, b in through.objects.filter(**{f"{src}__in": pks}).values_list(src, dst):
        out[a].append(b)
    return out


@contextmanager
def _dates_as_given(model: Any) -> Iterator[None]:
    """Let ``bulk_create`` keep the dates copied from the demo rows: ``auto_now`` and
    ``auto_now_add`` would stamp every copy with this moment (and hide the history)."""
    saved = []
    for f in model._meta.concrete_fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            saved.append((f, f.auto_now, f.auto_now_add))
            f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


def _bulk(model: Any, rows: list[Any]) -> None:
    with _dates_as_given(model):
        model.objects.bulk_create(rows, batch_size=500)


def _values(obj: Any, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """A model instance's concrete fields (foreign keys as ``*_id``), without its pk."""
    return {
        f.attname: getattr(obj, f.attname)
        for f in obj._meta.concrete_fields
        if not f.primary_key and f.attname not in skip
    }


def scale_demo(factor: int, stdout: TextIO | None = None) -> ScaleSummary:
    """Add ``factor - 1`` copies of the loaded demo city (see the module docstring)."""
    if factor < 1:
        raise DemoError("--scale must be 1 or more")
    summary = ScaleSummary(factor=factor)
    now_factor = current_factor()
    if factor == now_factor:
        summary.skipped = True
        if factor > 1:
            _say(stdout, f"デモは既に{factor}倍です (already ×{factor}): nothing added")
        return summary
    if now_factor > 1:
        raise DemoError(
            f"デモは既に{now_factor}倍に拡大されています。--reset で読み込み直してください。"
            f" (The demo is already ×{now_factor}; reload with --reset to change the size.)"
        )
    from matching.models import ConsultationSlot

    with transaction.atomic():
        # The demo coordinators' own slots, before any copy adds to them.
        base_slots = list(
            ConsultationSlot.objects.filter(coordinator__username__startswith=USER_PREFIX)
            .exclude(coordinator__username__startswith=SCALE_USER_PREFIX)
            .order_by("pk")
        )
        for k in range(2, factor + 1):
            added = _add_copy(k, base_slots)
            for name, count in added.items():
                summary.added[name] = summary.added.get(name, 0) + count
            _say(stdout, f"  ×{k}: " + ", ".join(f"{n} {c}" for n, c in added.items()))
    generation.bump()  # the copies were bulk-inserted: no signal told the indexes
    summary.added["suggestions"] = score_demo()
    _say(stdout, f"提案 (suggestions, engine): {summary.added['suggestions']}")
    analyze_tables()
    return summary


def analyze_tables() -> None:
    """Refresh PostgreSQL's planner statistics after a bulk load. Without them (autovacuum
    off or not yet run) the planner took the open posts for a handful and the review queue
    probed every need × offer pair: 2.4 s instead of 47 ms at 10× (docs/benchmarks.md)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def score_demo(chunk: int = 200) -> int:
    """Rank partners for every open demo need with the real engine and store them."""
    from matching.scoring import adapter
    from proposals.models import Need, Status

    adapter.clear_caches()
    ids = list(
        Need.objects.filter(source=DEMO_SOURCE, status=Status.OPEN)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return sum(adapter.rank_needs_chunk(ids[i : i + chunk]) for i in range(0, len(ids), chunk))


def _add_copy(k: int, base_slots: list[Any]) -> dict[str, int]:
    from django.contrib.auth.hashers import make_password

    from lib.japanese import search_document
    from matching.models import (
        ConsultationBooking,
        ConsultationSlot,
        ContinuationFollowUp,
        Evaluation,
        Match,
        MatchParty,
        MatchTransition,
    )
    from notifications.models import Notification
    from organizations.models import Membership, Organization, User
    from proposals.models import Need, Offer, Status

    suffix = _copy_suffix(k)
    areas = _Areas()
    names = {pk: area.name for pk, area in areas.by_pk.items()}

    def area_map(pks: list[int]) -> list[int]:
        return [areas.rotate(areas.by_pk[pk], k).pk if pk in areas.by_pk else pk for pk in pks]

    def rename_map(pks: list[int]) -> dict[str, str]:
        # Longest names first, so 「汐見台団地」 is replaced before 「汐見」.
        moved = [(pk, new) for pk, new in zip(pks, area_map(pks), strict=True) if pk in names]
        pairs = {names[pk]: names[new] for pk, new in moved}
        for pk, new in moved:  # 「桜ヶ丘地区」 is also written 「桜ヶ丘」
            if areas.by_pk[pk].level == "district":
                pairs.setdefault(_place(names[pk]), _place(names[new]))
        return dict(sorted(pairs.items(), key=lambda kv: -len(kv[0])))

    base_orgs = list(
        Organization.objects.filter(source=DEMO_SOURCE)
        .exclude(external_id__contains=COPY_MARK)
        .order_by("external_id")
    )
    org_pks = [o.pk for o in base_orgs]
    org_m2m = {name: _m2m(Organization, name, org_pks) for name in ("fields", "areas", "resources")}
    # Organizations with a demo login keep their copied posts (busy demo users).
    busy = set(
        Membership.objects.filter(
            user__username__startswith=USER_PREFIX, organization_id__in=org_pks
        )
        .exclude(user__username__startswith=SCALE_USER_PREFIX)
        .values_list("organization_id", flat=True)
    )
    new_orgs = []
    for i, org in enumerate(base_orgs):
        copy = Organization(**_values(org, skip=("search_text",)))
        copy.external_id = org.external_id + suffix
        copy.name = _org_name(org, k, i, areas)
        copy.name_kana = ""
        copy.description = areas.rename(org.description, rename_map(org_m2m["areas"][org.pk]))
        person = f"{_FAMILY[(i + k) % len(_FAMILY)]} {_GIVEN[(i * 7 + k) % len(_GIVEN)]}"
        copy.contact_name = person if org.contact_name else ""
        if org.contact_email:
            local, _, domain = org.contact_email.partition("@")
            copy.contact_email = f"{local}-{k:02d}@{domain}"
        copy.search_text = search_document(copy.name, copy.name_kana, copy.description)
        new_orgs.append(copy)
    _bulk(Organization, new_orgs)
    org_of = {old.pk: new.pk for old, new in zip(base_orgs, new_orgs, strict=True)}
    for name in ("fields", "resources"):
        _through_rows(
            Organization, name, [(org_of[a], b) for a, bs in org_m2m[name].items() for b in bs]
        )
    _through_rows(
        Organization,
        "areas",
        [(org_of[a], b) for a, bs in org_m2m["areas"].items() for b in area_map(bs)],
    )

    # One member per copied organization (no usable password: a person, not a demo login).
    unusable = make_password(None)
    users = [
        User(
            username=f"{SCALE_USER_PREFIX}{k:02d}-{old.external_id.removeprefix('demo-')}",
            display_name=new.contact_name or new.name[:50],
            email=new.contact_email,
            password=unusable,
        )
        for old, new in zip(base_orgs, new_orgs, strict=True)
    ]
    User.objects.bulk_create(users, batch_size=500)
    Membership.objects.bulk_create(
        [
            Membership(user=user, organization=org, role=Membership.Role.ADMIN)
            for user, org in zip(users, new_orgs, strict=True)
        ],
        batch_size=500,
    )
    author_of = {org.pk: user.pk for org, user in zip(new_orgs, users, strict=True)}

    def owner(org_id: int) -> int:
        return org_id if org_id in busy else org_of.get(org_id, org_id)

    # Needs and offers.
    post_of: dict[tuple[str, int], int] = {}
    busy_posts: list[tuple[str, Any]] = []
    posts_added: dict[str, int] = {}
    for label, model, m2m_names in (
        ("needs", Need, ("fields", "areas", "forms", "resources", "poster_supports")),
        ("offers", Offer, ("fields", "areas", "forms", "resources")),
    ):
        base = list(
            model.objects.filter(source=DEMO_SOURCE)
            .exclude(external_id__contains=COPY_MARK)
            .order_by("external_id")
        )
        pks = [p.pk for p in base]
        rel = {name: _m2m(model, name, pks) for name in m2m_names}
        copies = []
        for post in base:
            post_areas = rel["areas"][post.pk]
            mapping = rename_map(post_areas)
            copy = model(**_values(post, skip=("search_text",)))
            copy.external_id = post.external_id + suffix
            copy.organization_id = owner(post.organization_id)
            where = "・".join(names[a] for a in area_map(post_areas) if a in names)
            title = areas.rename(post.title, mapping)
            if where and where not in title:
                title = f"{title}（{where}）"
            copy.title = title[:200]
            copy.description = areas.rename(post.description, mapping)
            if post.organization_id not in busy:
                copy.author_id = author_of.get(copy.organization_id, post.author_id)
            copy.created_at = post.created_at - dt.timedelta(days=k)
            copy.updated_at = post.updated_at - dt.timedelta(hours=k)
            copy.search_text = search_document(copy.title, copy.description)
            copies.append(copy)
        _bulk(model, copies)
        for post, copy in zip(base, copies, strict=True):
            post_of[(label, post.pk)] = copy.pk
        for name, rows in rel.items():
            targets = area_map if name == "areas" else (lambda bs: bs)
            _through_rows(
                model,
                name,
                [(post_of[(label, a)], b) for a, bs in rows.items() for b in targets(bs)],
            )
        posts_added[label] = len(copies)
        busy_posts += [(label, c) for c in copies if c.organization_id in busy]

    # Slots of the demo coordinators, a week further away from today per copy.
    now = timezone.now()
    slot_copies = []
    for slot in base_slots:
        shift = dt.timedelta(days=7 * (k - 1)) * (-1 if slot.starts_at < now else 1)
        copy = ConsultationSlot(**_values(slot))
        copy.starts_at += shift
        copy.ends_at += shift
        copy.created_at = slot.created_at + min(shift, dt.timedelta(0))
        slot_copies.append(copy)
    _bulk(ConsultationSlot, slot_copies)
    slot_of = {old.pk: new.pk for old, new in zip(base_slots, slot_copies, strict=True)}

    # Matches with their parties, history, evaluations, follow-ups and bookings.
    base_matches = list(
        Match.objects.filter(need__source=DEMO_SOURCE)
        .exclude(need__external_id__contains=COPY_MARK)
        .order_by("pk")
    )
    match_copies = []
    for match in base_matches:
        copy = Match(**_values(match))
        copy.need_id = post_of[("needs", match.need_id)]
        copy.offer_id = post_of[("offers", match.offer_id)]
        match_copies.append(copy)
    _bulk(Match, match_copies)
    match_of = {old.pk: new.pk for old, new in zip(base_matches, match_copies, strict=True)}
    base_pks = list(match_of)

    def copy_rows(model: Any, extra: Any = None, **filters: Any) -> list[Any]:
        rows = []
        for row in model.objects.filter(match_id__in=base_pks, **filters).order_by("pk"):
            copy = model(**_values(row, skip=("uid",) if model is ConsultationBooking else ()))
            copy.match_id = match_of[row.match_id]
            if getattr(row, "organization_id", None):
                copy.organization_id = owner(row.organization_id)
            if extra is not None:
                extra(copy, row)
            rows.append(copy)
        _bulk(model, rows)
        return rows

    parties = copy_rows(MatchParty)
    transitions = copy_rows(MatchTransition)
    evaluations = copy_rows(Evaluation)
    follow_ups = copy_rows(ContinuationFollowUp)

    def to_slot(copy: Any, row: Any) -> None:
        copy.slot_id = slot_of.get(row.slot_id, row.slot_id)

    bookings = copy_rows(ConsultationBooking, to_slot, slot__in=[s.pk for s in base_slots])

    # Notifications for the demo users about their copied matches and posts.
    members: dict[int, list[int]] = defaultdict(list)
    for user_id, org_id in Membership.objects.filter(organization_id__in=busy).values_list(
        "user_id", "organization_id"
    ):
        members[org_id].append(user_id)
    notes = []
    match_by_pk = {m.pk: m for m in match_copies}
    for party in parties:
        match = match_by_pk[party.match_id]
        for user_id in members.get(party.organization_id, []):
            introduced = match.introduced_at is not None
            at = match.introduced_at or match.created_at
            notes.append(
                Notification(
                    recipient_id=user_id,
                    kind="match.introduce" if introduced else "match.created",
                    title=(
                        f"「{match.title}」の紹介がありました"
                        if introduced
                        else f"「{match.title}」の協働が提案されました"
                    ),
                    body="マッチの詳細を確かめ、参加するかどうかを回答してください。",
                    url=f"/my/matches/{match.pk}/",
                    payload={"match": match.pk},
                    created_at=at,
                    read_at=at + dt.timedelta(days=1) if at < now - dt.timedelta(days=14) else None,
                )
            )
    for label, post in busy_posts:
        if post.status != Status.OPEN:
            continue
        for user_id in members.get(post.organization_id, []):
            notes.append(
                Notification(
                    recipient_id=user_id,
                    kind="suggestions.new",
                    title=f"「{post.title}」に新しい提案があります"[:200],
                    body="提案の一覧で理由を確かめ、関心があればコーディネーターに紹介を"
                    "依頼できます。",
                    url=f"/my/{label}/{post.pk}/suggestions/",
                    payload={"post": {"type": label[:-1], "id": post.pk}},
                    created_at=post.updated_at,
                    read_at=None if post.updated_at > now - dt.timedelta(days=7) else now,
                )
            )
    _bulk(Notification, notes)

    return {
        "organizations": len(new_orgs),
        "users": len(users),
        **posts_added,
        "matches": len(match_copies),
        "parties": len(parties),
        "transitions": len(transitions),
        "evaluations": len(evaluations),
        "follow_ups": len(follow_ups),
        "slots": len(slot_copies),
        "bookings": len(bookings),
        "notifications": len(notes),
    }
