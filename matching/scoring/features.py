"""Models → engine feature records: the active profile and dictionary, each city's area
tree, and each post's features with its stored text analysis (analysed once, kept in
``PostAnalysis``, decoded in bulk for an index build)."""

from __future__ import annotations

import hashlib
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from matching import engine
from matching.engine.scoring import learned_weights
from matching.models import (
    Match,
    MatchingProfile,
    MatchParty,
    PostAnalysis,
    Suggestion,
    SynonymGroup,
)
from organizations.models import Area
from proposals.models import Need, Offer, Status

NO_CITY = ""  # posts with no area: not tied to a place, considered in every city


# --------------------------------------------------------------------------- settings


def active_profile() -> MatchingProfile:
    """The profile in use; a default one is created on first use."""
    profile = MatchingProfile.objects.filter(is_active=True).first()
    if profile is None:
        profile, _ = MatchingProfile.objects.get_or_create(
            name="標準", defaults={"is_active": True}
        )
    return profile


def profile_weights(profile: MatchingProfile) -> dict[str, float]:
    """The component weights a profile ranks with. A profile whose weights are still the
    shipped defaults (never edited in the admin) follows the weights learned from the
    labelled dataset (``matching/engine/data/weights.json``, ``docs/matching.md``); an edited
    one is used as written, with the semantic component (which has no field in the profile)
    at the same share of the total as in the learned weights."""
    stored = profile.weights()
    fields = MatchingProfile.WEIGHT_FIELDS
    defaults = {c: MatchingProfile._meta.get_field(f).default for c, f in fields.items()}
    learned = learned_weights()
    if all(abs(stored[c] - defaults[c]) < 1e-9 for c in fields):
        out = {c: learned[c] for c in engine.COMPONENTS}
    else:
        share = learned["semantic"] / sum(learned.values())
        total = sum(stored[c] for c in fields)
        out = {c: float(stored[c]) for c in fields}
        out["semantic"] = share * total / (1 - share) if share < 1 else 0.0
    out["fairness"] = stored["fairness"]
    return out


def engine_profile(profile: MatchingProfile, **overrides) -> engine.MatchingProfile:
    options = {
        "name": profile.name,
        "weights": engine.Weights(**profile_weights(profile)),
        "require_form_overlap": profile.require_form_overlap,
        "fairness_saturation": profile.fairness_saturation,
        "min_score": profile.min_score,
    }
    options.update(overrides)
    return engine.MatchingProfile(**options)


_lexicon_lock = threading.Lock()
_lexicon_cache: dict[tuple, engine.Lexicon] = {}


def current_lexicon() -> engine.Lexicon:
    """The bundled dictionary with the synonym groups coordinators keep in the admin."""
    active = Q(is_active=True)
    row = SynonymGroup.objects.aggregate(  # one query: it runs before every ranking
        n=Count("pk", filter=active),
        changed=Max("updated_at", filter=active),
        total_n=Count("pk"),
        total_changed=Max("updated_at"),
    )
    key = (row["n"], row["changed"], row["total_n"], row["total_changed"])
    total = {"n": row["total_n"]}
    with _lexicon_lock:
        lexicon = _lexicon_cache.get(key)
        if lexicon is None:
            data = engine.default_lexicon_data()
            if total["n"]:
                data["synonyms"] = [
                    g.term_list() for g in SynonymGroup.objects.filter(is_active=True)
                ]
            lexicon = engine.build_lexicon(data)
            _lexicon_cache.clear()
            _lexicon_cache[key] = lexicon
        return lexicon


def today() -> date:
    return timezone.localdate()


# --------------------------------------------------------------------------- areas


@dataclass(frozen=True)
class Geography:
    """Every city's area tree, and which city each area belongs to."""

    hierarchies: dict[str, engine.AreaHierarchy]  # city code → tree rooted at the city
    city_of_area: dict[int, str]  # area pk → city code
    code_of_area: dict[int, str]

    def city_of(self, area_ids: Iterable[int]) -> str:
        cities = {self.city_of_area.get(a, NO_CITY) for a in area_ids}
        cities.discard(NO_CITY)
        # A post spanning two cities is rare (a data error); the smallest code keeps it
        # deterministic.
        return min(cities) if cities else NO_CITY


def geography() -> Geography:
    rows = list(Area.objects.values_list("pk", "code", "name", "parent_id"))
    code = {pk: c for pk, c, _, _ in rows}
    parent = {pk: p for pk, _, _, p in rows}
    city_of: dict[int, str] = {}
    for pk in parent:
        node, seen = pk, set()
        while parent.get(node) is not None and node not in seen:
            seen.add(node)
            node = parent[node]
        city_of[pk] = code[node]
    hierarchies: dict[str, engine.AreaHierarchy] = {}
    by_city: dict[str, dict[str, str | None]] = defaultdict(dict)
    names: dict[str, dict[str, str]] = defaultdict(dict)
    for pk, c, name, p in rows:
        city = city_of[pk]
        names[city][c] = name
        if c != city:
            by_city[city][c] = code[p] if p is not None and code[p] != city else None
    for city, parents in by_city.items():
        hierarchies[city] = engine.AreaHierarchy(
            parents, names[city], root=city, root_name=names[city].get(city, city)
        )
    for city in set(city_of.values()) - set(hierarchies):
        hierarchies[city] = engine.AreaHierarchy({}, names[city], root=city)
    return Geography(hierarchies, city_of, code)


def hierarchy_for(geo: Geography, city: str) -> engine.AreaHierarchy:
    return geo.hierarchies.get(city) or engine.AreaHierarchy({}, {})


# --------------------------------------------------------------------------- features


def _text_hash(title: str, description: str) -> str:
    return hashlib.sha256(f"{title}\0{description}".encode()).hexdigest()


def analyses(
    kind: str, posts: Sequence[Need | Offer], lexicon: engine.Lexicon
) -> dict[int, engine.PostText]:
    """The stored analysis of each post's text, analysing (and storing) what is missing or
    out of date."""
    version = lexicon.analysis_version
    digests = {post.pk: _text_hash(post.title, post.description) for post in posts}
    out: dict[int, engine.PostText] = {}
    # Plain tuples, streamed: each stored JSON value becomes a PostText at once, so 100,000
    # decoded JSON documents (~1 GiB) never sit in memory together.
    rows = PostAnalysis.objects.filter(kind=kind, post_id__in=list(digests)).values_list(
        "post_id", "version", "text_hash", "data"
    )
    if len(digests) > 2000:  # a build: streamed (a server-side cursor costs a ranking more)
        rows = rows.iterator(chunk_size=2000)
    for post_id, row_version, text_hash, data in rows:
        if row_version == version and text_hash == digests.get(post_id):
            out[post_id] = engine.PostText.from_json(data)
    fresh: list[PostAnalysis] = []
    for post in posts:
        if post.pk in out:
            continue
        digest = digests[post.pk]
        text = engine.analyze_post(post.title, post.description, lexicon=lexicon)
        out[post.pk] = text
        fresh.append(
            PostAnalysis(
                kind=kind, post_id=post.pk, version=version, text_hash=digest, data=text.to_json()
            )
        )
    if fresh:
        PostAnalysis.objects.bulk_create(
            fresh,
            batch_size=500,
            update_conflicts=True,
            unique_fields=["kind", "post_id"],
            update_fields=["version", "text_hash", "data", "updated_at"],
        )
    return out


def _with_codes(queryset: QuerySet) -> QuerySet:
    return queryset.select_related("organization").prefetch_related("fields", "areas", "forms")


@dataclass
class PostCodes:
    """A post's M2M codes, loaded in bulk for an index build."""

    fields: list[str] = field(default_factory=list)
    areas: list[str] = field(default_factory=list)
    forms: list[str] = field(default_factory=list)
    area_ids: list[int] = field(default_factory=list)


def _codes(model: type[Need] | type[Offer], posts: QuerySet) -> dict[int, PostCodes]:
    """Field, area and form codes (and area pks) of every post of ``posts``: one flat query
    per M2M table instead of ``prefetch_related`` (which builds a model instance per row:
    15 s and 1 GiB for 100,000 offers)."""
    out: dict[int, PostCodes] = defaultdict(PostCodes)
    owner = f"{model.__name__.lower()}_id"
    for attr, target in (
        ("fields", "field__code"),
        ("areas", "area__code"),
        ("forms", "collaborationform__code"),
    ):
        through = getattr(model, attr).through
        rows = through.objects.filter(**{f"{owner}__in": posts.values("pk")})
        if attr == "areas":
            for pk, area_id, code in rows.values_list(owner, "area_id", target):
                out[pk].areas.append(code)
                out[pk].area_ids.append(area_id)
        else:
            for pk, code in rows.values_list(owner, target):
                getattr(out[pk], attr).append(code)
    return out


def _base(post: Need | Offer, text: engine.PostText, codes: PostCodes | None = None) -> dict:
    return {
        "id": str(post.pk),
        "organization_id": str(post.organization_id),
        "title": post.title,
        "description": post.description,
        "fields": codes.fields if codes else [f.code for f in post.fields.all()],
        "areas": codes.areas if codes else [a.code for a in post.areas.all()],
        "forms": codes.forms if codes else [f.code for f in post.forms.all()],
        "organization_kind": post.organization.kind,
        "is_open": post.status == Status.OPEN
        and post.organization.is_active
        and post.organization.is_verified,
        "text": text,
    }


# Collaborations under way use an offer's capacity; earlier states are still undecided.
RUNNING_STATES = (Match.State.AGREED, Match.State.ACTIVE)


def active_match_counts(offer_ids: Iterable[int]) -> dict[int, int]:
    """How many collaborations each offer runs now (agreed or active matches)."""
    ids = list(offer_ids)
    if not ids:
        return {}
    return dict(
        Match.objects.filter(offer_id__in=ids, state__in=RUNNING_STATES)
        .values("offer_id")
        .annotate(n=Count("pk"))
        .values_list("offer_id", "n")
    )


def organization_exposure() -> dict[str, int]:
    """Open matches per organization, for the fairness component: an organization already
    in many collaborations is suggested a little less (docs/matching.md)."""
    rows = (
        MatchParty.objects.filter(match__state__in=Match.OPEN_STATES)
        .exclude(response=MatchParty.Response.DECLINED)
        .values("organization_id")
        .annotate(n=Count("pk"))
    )
    return {str(r["organization_id"]): r["n"] for r in rows}


def suggestion_exposure(need_ids: Iterable[int] = ()) -> tuple[dict[str, int], dict[int, Counter]]:
    """Exposure for ranking offers: each organization's open matches plus its current
    suggestions (the pairs stored for every need), and, per need of ``need_ids``, the
    organizations of its own current suggestions (which the caller takes out while
    ranking that need: a list does not count against itself). docs/matching.md,
    "Exposure fairness"."""
    counts: Counter = Counter(organization_exposure())
    rows = Suggestion.objects.values("offer__organization_id").annotate(n=Count("pk"))
    for row in rows:
        counts[str(row["offer__organization_id"])] += row["n"]
    own: dict[int, Counter] = defaultdict(Counter)
    for need_id, org in Suggestion.objects.filter(need_id__in=list(need_ids)).values_list(
        "need_id", "offer__organization_id"
    ):
        own[need_id][str(org)] += 1
    return dict(counts), own


def need_features(
    needs: Sequence[Need], lexicon: engine.Lexicon, codes: dict[int, PostCodes] | None = None
) -> list[engine.Need]:
    texts = analyses(PostAnalysis.Kind.NEED, needs, lexicon)
    return [
        engine.Need(
            **_base(n, texts[n.pk], None if codes is None else codes.get(n.pk, PostCodes())),
            starts_on=n.starts_on,
            ends_on=n.ends_on,
        )
        for n in needs
    ]


def offer_features(
    offers: Sequence[Offer], lexicon: engine.Lexicon, codes: dict[int, PostCodes] | None = None
) -> list[engine.Offer]:
    texts = analyses(PostAnalysis.Kind.OFFER, offers, lexicon)
    active = active_match_counts(o.pk for o in offers)
    return [
        engine.Offer(
            **_base(o, texts[o.pk], None if codes is None else codes.get(o.pk, PostCodes())),
            available_from=o.starts_on,
            available_until=o.ends_on,
            capacity=o.capacity,
            active_matches=active.get(o.pk, 0),
        )
        for o in offers
    ]


def city_of_post(geo: Geography, post: Need | Offer) -> str:
    return geo.city_of(a.pk for a in post.areas.all())
