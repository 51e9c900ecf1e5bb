"""グループ分け: the registered organizations of a meeting split into tables.

Tables of 4 to 6 organizations, as even as possible (fewer than 4: one table; 7 cannot be
split into tables of 4–6 and becomes 4 + 3). The split maximises

    Σ over tables, over pairs of organizations at the table:  fit(a, b) − KIND_PENALTY·[same kind]

- ``fit(a, b)``: complementary fit from the scoring engine, both directions — the best
  score of one of a's open needs against one of b's open offers, plus the best of b's
  needs against a's offers. A pair counts only when the two posts share content (a word,
  a synonym, a topic, or the same subject in other words): sharing the area or the
  collaboration form alone is not a reason to sit together. The posts are ranked with
  the active profile, without the form filter (a table is a conversation, not an
  agreement) and without fairness, on a small index of the participants' posts
  (``engine.OfferIndex``).
- kinds (市の部署 / NPO・市民活動団体 / 自治会・地域団体 / 事業者 / 学校・大学): two of a
  kind at a table cost ``KIND_PENALTY``, so tables mix kinds where the fit allows.

The heuristic (a well-known one for this "max-sum graph partitioning with fixed sizes"
problem, which is NP-hard): greedy seeding — the table seeds are organizations that fit
each other least (so that each table grows around a different subject), then each
organization, most connected first, joins the table where it adds most — followed by local
search: the best swap of two organizations between tables, repeated while one improves
the total. Deterministic (ties by organization id); tests compare it with random splits.

Each table is explained by its best pairs, as sentences
「子育て支援課のテーマ『…』 ↔ 〇〇の会のできること『…』」, and by its mix of kinds.

``propose_tables(meeting)`` proposes (nothing saved); ``save_tables(meeting, user,
tables)`` saves the organizer's split (organizer or coordinators; every registered
organization seated exactly once); ``saved_tables(meeting)`` reads it back.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from lib.errors import Conflict, Forbidden, Invalid
from matching import engine
from matching.engine.grouping import split, table_sizes, total
from matching.scoring.features import (
    NO_CITY,
    active_profile,
    current_lexicon,
    engine_profile,
    geography,
    hierarchy_for,
    need_features,
    offer_features,
    today,
)
from meetings import services
from meetings.models import Meeting, Registration, TableGroup, TableSeat
from organizations.models import Organization
from proposals.models import Need, Offer, Status

# What two organizations of one kind at a table cost, against a pair's fit (0 … 2: the
# engine's score, in [0, 1], in each direction). 0.3: a strong complementary pair (two
# directions of ~0.6) still sits together though of a kind; weak ones are mixed.
KIND_PENALTY = 0.3
PAIRS_EXPLAINED = 3
MAX_TABLE_NAME = 100

# Organization kinds, in the five groups a table mixes.
KIND_GROUPS: dict[str, str] = {
    Organization.Kind.CITY_DEPARTMENT: "city",
    Organization.Kind.NPO_CORPORATION: "npo",
    Organization.Kind.CITIZEN_GROUP: "npo",
    Organization.Kind.INTERMEDIARY: "npo",
    Organization.Kind.NEIGHBORHOOD_ASSOCIATION: "community",
    Organization.Kind.COMMUNITY_COUNCIL: "community",
    Organization.Kind.BUSINESS: "business",
    Organization.Kind.UNIVERSITY: "school",
    Organization.Kind.SCHOOL: "school",
}
GROUP_LABELS: dict[str, Any] = {
    "city": _("市の部署"),
    "npo": _("NPO・市民活動団体"),
    "community": _("自治会・地域団体"),
    "business": _("事業者"),
    "school": _("学校・大学"),
}

MSG_NOT_ORGANIZER = services.MSG_NOT_ORGANIZER
MSG_STATE = _("中止された会合のグループ分けはできません。")
MSG_EMPTY_TABLE = _("テーブル%(n)dに団体がありません。")
MSG_NOT_REGISTERED = _("参加確定の申込だけを席に着けられます（申込 %(ids)s）。")
MSG_TWICE = _("同じ団体を二つ以上のテーブルに入れています: %(names)s")
MSG_UNSEATED = _("席のない参加確定の団体があります: %(names)s")
MSG_NO_TABLES = _("テーブルを一つ以上指定してください。")
MSG_NAME = _("テーブル名は100文字までにしてください。")


# --------------------------------------------------------------------------- data
@dataclass(frozen=True)
class Participant:
    registration_id: int
    organization_id: int
    name: str
    kind: str

    @property
    def group(self) -> str:
        return KIND_GROUPS.get(self.kind, "npo")

    @property
    def group_label(self) -> str:
        return str(GROUP_LABELS[self.group])


@dataclass(frozen=True)
class PairFit:
    """The best need of ``need_org`` against the best offer of ``offer_org``."""

    need_org: int
    offer_org: int
    need_title: str
    offer_title: str
    score: float
    reasons: tuple[str, ...]


@dataclass
class Fits:
    """Pairwise complementary fit between the participants (indexes into ``people``)."""

    people: list[Participant]
    matrix: np.ndarray  # fit(a, b) = best(a's needs → b's offers) + best(b's needs → a's offers)
    pairs: dict[tuple[int, int], PairFit]  # (need side index, offer side index) → best pair

    def weight(self) -> np.ndarray:
        """What sitting together is worth: fit, less the penalty for a shared kind."""
        groups = [p.group for p in self.people]
        same = np.array([[a == b for b in groups] for a in groups], dtype=float)
        out = self.matrix - KIND_PENALTY * same
        np.fill_diagonal(out, 0.0)
        return out


@dataclass
class Table:
    number: int
    name: str
    seats: list[Participant]
    explanation: list[str] = field(default_factory=list)
    fit: float = 0.0


@dataclass
class Split:
    tables: list[Table]
    proposed: bool
    fit: float  # Σ of the pairs' fit over the tables
    same_kind_pairs: int
    unseated: list[Participant] = field(default_factory=list)  # saved split: registered later


# --------------------------------------------------------------------------- participants
def participants(meeting: Meeting) -> list[Participant]:
    """The registered (参加確定) organizations, in organization id order."""
    rows = (
        meeting.registrations.filter(status=Registration.Status.REGISTERED)
        .select_related("organization")
        .order_by("organization_id", "pk")
    )
    return [
        Participant(r.pk, r.organization_id, r.organization.name, r.organization.kind) for r in rows
    ]


# --------------------------------------------------------------------------- fit
def pairwise_fit(meeting: Meeting, people: Sequence[Participant]) -> Fits:
    """The engine's complementary fit between every two participants (see the module)."""
    n = len(people)
    position = {p.organization_id: i for i, p in enumerate(people)}
    matrix = np.zeros((n, n))
    pairs: dict[tuple[int, int], PairFit] = {}
    org_ids = list(position)
    needs = _open(Need, org_ids)
    offers = _open(Offer, org_ids)
    if not needs or not offers:
        return Fits(list(people), matrix, pairs)
    lexicon = current_lexicon()
    need_rows = [f for f in need_features(needs, lexicon) if f.is_open]
    offer_rows = [f for f in offer_features(offers, lexicon) if f.is_open]
    geo = geography()
    city = geo.city_of(a.pk for a in meeting.areas.all())
    if city == NO_CITY:  # the participants' city: where most of their posts are
        cities = Counter(geo.city_of(a.pk for a in post.areas.all()) for post in [*needs, *offers])
        cities.pop(NO_CITY, None)
        city = min(cities, key=lambda c: (-cities[c], c)) if cities else NO_CITY
    index = engine.OfferIndex.build(
        offer_rows,
        hierarchy_for(geo, city),
        # The needs count for word rarity too: a word every post uses says little.
        background=[f.text for f in need_rows if f.text is not None],
        lexicon=lexicon,
    )
    base = active_profile()
    weights = {**base.weights(), "fairness": 0.0}
    profile = engine_profile(
        base, weights=engine.Weights(**weights), require_form_overlap=False, min_score=0.0
    )
    titles = {("need", p.pk): p.title for p in needs} | {("offer", p.pk): p.title for p in offers}
    offer_owner = {o.pk: o.organization_id for o in offers}
    as_of = today()
    best = np.zeros((n, n))
    for need in need_rows:
        a = position[int(need.organization_id)]
        for s in index.top_offers(need, as_of=as_of, top_k=None, profile=profile):
            if _value(s, "text") <= 0 and _value(s, "semantic") <= 0:
                continue  # nothing in common but place, form or period
            offer_org = offer_owner[int(s.offer_id)]
            b = position[offer_org]
            if a == b or s.score <= best[a, b]:
                continue
            best[a, b] = s.score
            pairs[(a, b)] = PairFit(
                people[a].organization_id,
                offer_org,
                titles[("need", int(s.need_id))],
                titles[("offer", int(s.offer_id))],
                round(s.score, 4),
                tuple(s.reasons),
            )
    matrix = best + best.T
    return Fits(list(people), matrix, pairs)


def _open(model: type[Need] | type[Offer], org_ids: list[int]) -> list:
    return list(
        model.objects.filter(organization_id__in=org_ids, status=Status.OPEN)
        .select_related("organization")
        .prefetch_related("fields", "areas", "forms")
        .order_by("pk")
    )


def _value(suggestion: engine.Suggestion, name: str) -> float:
    return next((c.value for c in suggestion.components if c.name == name), 0.0)


# --------------------------------------------------------------------------- explanations
def explain(fits: Fits, members: Sequence[int]) -> list[str]:
    """The table's best pairs as sentences, then its mix of kinds."""
    found = sorted(
        (fits.pairs[(a, b)] for a in members for b in members if (a, b) in fits.pairs),
        key=lambda p: (-p.score, p.need_org, p.offer_org),
    )
    names = {p.organization_id: p.name for p in fits.people}
    out = []
    for pair in found[:PAIRS_EXPLAINED]:
        sentence = _("%(a)sのテーマ『%(need)s』 ↔ %(b)sのできること『%(offer)s』") % {
            "a": names[pair.need_org],
            "need": pair.need_title,
            "b": names[pair.offer_org],
            "offer": pair.offer_title,
        }
        detail = pair.reasons[0] if pair.reasons else ""
        out.append(f"{sentence}（{detail}）" if detail else str(sentence))
    if not found:
        out.append(
            str(_("テーマとできることの重なりは見つかりませんでした（顔合わせのテーブル）。"))
        )
    out.append(kinds_sentence([fits.people[i] for i in members]))
    return out


def kinds_sentence(people: Sequence[Participant]) -> str:
    counts = Counter(p.group for p in people)
    parts = "・".join(f"{GROUP_LABELS[g]} {counts[g]}" for g in GROUP_LABELS if counts.get(g))
    return str(_("団体の種類: %(kinds)s")) % {"kinds": parts}


# --------------------------------------------------------------------------- propose / save
def _require_organizer(meeting: Meeting, user: Any, *, change: bool = True) -> None:
    """The organizer and coordinators; a cancelled meeting is not split again (reading
    what was saved stays possible)."""
    if not services.is_organizer(user, meeting):
        raise Forbidden(MSG_NOT_ORGANIZER)
    if change and meeting.status == Meeting.Status.CANCELLED:
        raise Conflict(MSG_STATE, code="meeting_state")


def same_kind_pairs(tables: Sequence[Sequence[Participant]]) -> int:
    """Pairs of organizations of one kind seated at one table."""
    return sum(
        1
        for seats in tables
        for x, a in enumerate(seats)
        for b in seats[x + 1 :]
        if a.group == b.group
    )


def _split_of(
    fits: Fits,
    groups: Sequence[Sequence[int]],
    names: Sequence[str],
    proposed: bool,
    explanations: Sequence[list[str]] | None = None,
) -> Split:
    tables = []
    for number, (members, name) in enumerate(zip(groups, names, strict=True), start=1):
        members = list(members)
        tables.append(
            Table(
                number=number,
                name=name,
                seats=[fits.people[i] for i in members],
                explanation=(
                    explain(fits, members) if explanations is None else explanations[number - 1]
                ),
                fit=round(total(fits.matrix, [members]), 4),
            )
        )
    same = same_kind_pairs([t.seats for t in tables])
    return Split(
        tables=tables,
        proposed=proposed,
        fit=round(total(fits.matrix, groups), 4),
        same_kind_pairs=same,
    )


def propose(meeting: Meeting) -> Split:
    """A proposed split of the registered organizations (nothing saved)."""
    people = participants(meeting)
    fits = pairwise_fit(meeting, people)
    groups = split(fits.weight(), table_sizes(len(people)))
    return _split_of(fits, groups, [""] * len(groups), proposed=True)


def propose_tables(meeting: Meeting, user: Any | None = None) -> Split:
    """``propose`` for the organizer and coordinators (``user`` given: checked)."""
    if user is not None:
        _require_organizer(meeting, user)
    return propose(meeting)


def saved_tables(meeting: Meeting) -> Split | None:
    """The saved split (None when none is), with its explanations as saved. Seats of
    registrations no longer registered (cancelled since) are left out; registered
    organizations without a seat (registered since) are listed as ``unseated``."""
    tables = list(
        TableGroup.objects.filter(meeting=meeting)
        .prefetch_related("seats__registration")
        .order_by("number")
    )
    if not tables:
        return None
    people = participants(meeting)
    position = {p.registration_id: i for i, p in enumerate(people)}
    groups = [
        sorted(position[s.registration_id] for s in t.seats.all() if s.registration_id in position)
        for t in tables
    ]
    fits = pairwise_fit(meeting, people)
    result = _split_of(
        fits,
        groups,
        [t.name for t in tables],
        proposed=False,
        explanations=[list(t.explanation) for t in tables],
    )
    for table, row in zip(result.tables, tables, strict=True):
        table.number = row.number
    seated = {i for members in groups for i in members}
    result.unseated = [p for i, p in enumerate(people) if i not in seated]
    return result


def current_tables(meeting: Meeting, user: Any) -> Split:
    """What the organizer sees: the saved split, or a proposal when none is saved."""
    _require_organizer(meeting, user, change=False)
    return saved_tables(meeting) or propose(meeting)


@transaction.atomic
def save_tables(meeting: Meeting, user: Any, tables: Sequence[Mapping[str, Any]]) -> Split:
    """Save the organizer's split, replacing the saved one. ``tables``: in order, each
    ``{"name": "…" (optional), "registrations": [registration ids]}``. Every registered
    (参加確定) organization of the meeting is seated exactly once; only registered
    registrations; no empty table. Each table's explanation is written for its members."""
    meeting = Meeting.objects.select_for_update(of=("self",)).get(pk=meeting.pk)
    _require_organizer(meeting, user)
    if not tables:
        raise Invalid(MSG_NO_TABLES, field="tables")
    people = participants(meeting)
    by_registration = {p.registration_id: p for p in people}
    seen: dict[int, int] = {}
    wrong: list[int] = []
    twice: list[str] = []
    for number, table in enumerate(tables, start=1):
        ids = list(table.get("registrations") or [])
        if not ids:
            raise Invalid(MSG_EMPTY_TABLE % {"n": number}, field="tables")
        if len(str(table.get("name") or "")) > MAX_TABLE_NAME:
            raise Invalid(MSG_NAME, field="tables")
        for rid in ids:
            if rid not in by_registration:
                wrong.append(rid)
            elif rid in seen:
                twice.append(by_registration[rid].name)
            else:
                seen[rid] = number
    if wrong:
        ids_text = "、".join(str(r) for r in sorted(set(wrong)))
        raise Invalid(MSG_NOT_REGISTERED % {"ids": ids_text}, field="tables")
    if twice:
        raise Invalid(MSG_TWICE % {"names": "、".join(sorted(set(twice)))}, field="tables")
    missing = [p.name for p in people if p.registration_id not in seen]
    if missing:
        raise Invalid(MSG_UNSEATED % {"names": "、".join(missing)}, field="tables")
    fits = pairwise_fit(meeting, people)
    position = {p.registration_id: i for i, p in enumerate(people)}
    groups = [[position[rid] for rid in table["registrations"]] for table in tables]
    names = [str(table.get("name") or "").strip() for table in tables]
    result = _split_of(fits, groups, names, proposed=False)
    TableGroup.objects.filter(meeting=meeting).delete()
    for table in result.tables:
        row = TableGroup.objects.create(
            meeting=meeting, number=table.number, name=table.name, explanation=table.explanation
        )
        TableSeat.objects.bulk_create(
            [TableSeat(table=row, registration_id=p.registration_id) for p in table.seats]
        )
    return result
