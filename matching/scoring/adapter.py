"""The thin layer between the models and the scoring engine.

Models → engine feature records (with the stored text analysis), engine suggestions →
``Suggestion`` rows. Indexes are cached per worker process and rebuilt when their side's
generation (bumped by every change that alters them) or the synonym dictionary changes.
"""

from __future__ import annotations

import hashlib
import threading
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from django.db import transaction
from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from matching import engine
from matching.models import (
    Match,
    MatchingProfile,
    MatchParty,
    PostAnalysis,
    Suggestion,
    SynonymGroup,
)
from matching.scoring import generation, segments
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


def engine_profile(profile: MatchingProfile, **overrides) -> engine.MatchingProfile:
    options = {
        "name": profile.name,
        "weights": engine.Weights(**profile.weights()),
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
    stats = SynonymGroup.objects.filter(is_active=True).aggregate(
        n=Count("pk"), changed=Max("updated_at")
    )
    total = SynonymGroup.objects.aggregate(changed=Max("updated_at"), n=Count("pk"))
    key = (stats["n"], stats["changed"], total["n"], total["changed"])
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
    rows = (
        PostAnalysis.objects.filter(kind=kind, post_id__in=list(digests))
        .values_list("post_id", "version", "text_hash", "data")
        .iterator(chunk_size=2000)
    )
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


# --------------------------------------------------------------------------- indexes


class IndexCache:
    """Per-process cache of engine indexes, one per (side, city), kept while the side's
    generation (``matching.scoring.generation``, bumped with every change that alters an
    index) and the text analysis stay the same. A new generation is opened from the
    host's saved segments when another process already built it (``segments``), and
    built and saved otherwise."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple | None = None
        self._indexes: dict[str, object] = {}

    def get(self, model: type[Need] | type[Offer], lexicon: engine.Lexicon) -> dict[str, object]:
        # The generation is read before the posts, so an index never carries a generation
        # newer than its data (a change committed in between only causes one more build).
        side = "offer" if model is Offer else "need"
        key = (side, generation.current(side), lexicon.analysis_version)
        with self._lock:
            if key != self._key:
                geo = geography()
                # With an index of the same analysis in hand, do not queue behind another
                # process's build: keep serving the previous generation until it is saved.
                serving = self._key is not None and self._key[2] == key[2]
                indexes = segments.open_or_build(
                    side,
                    key[1],
                    lexicon,
                    build=lambda: build_indexes(model, lexicon),
                    hierarchy_of=lambda city: hierarchy_for(geo, city),
                    wait=not serving,
                )
                if indexes is not None:
                    self._indexes, self._key = indexes, key
            return self._indexes

    def clear(self) -> None:
        with self._lock:
            self._key, self._indexes = None, {}


_offer_indexes = IndexCache()
_need_indexes = IndexCache()


def build_indexes(model: type[Need] | type[Offer], lexicon: engine.Lexicon) -> dict[str, object]:
    """One engine index per city over the open posts of ``model``; posts with no area go
    into every city's index."""
    geo = geography()
    queryset = model.objects.filter(status=Status.OPEN, organization__is_active=True)
    posts = list(queryset.select_related("organization").defer("search_text"))
    codes = _codes(model, queryset)
    features = (
        offer_features(posts, lexicon, codes)
        if model is Offer
        else need_features(posts, lexicon, codes)
    )
    by_city: dict[str, list] = defaultdict(list)
    for post, feature in zip(posts, features, strict=True):
        by_city[geo.city_of(codes.get(post.pk, PostCodes()).area_ids)].append(feature)
    floating = by_city.pop(NO_CITY, [])
    cities = set(by_city) | set(geo.hierarchies) or {NO_CITY}
    builder = engine.OfferIndex if model is Offer else engine.NeedIndex
    return {
        city: builder.build(
            by_city.get(city, []) + floating, hierarchy_for(geo, city), lexicon=lexicon
        )
        for city in cities
    }


# --------------------------------------------------------------------------- ranking


def _rank_needs(
    needs: Sequence[Need],
    *,
    top_k: int,
    profile: engine.MatchingProfile,
    as_of: date,
    lexicon: engine.Lexicon,
) -> dict[int, list[engine.Suggestion]]:
    """Best offers for several needs at once: one index lookup, one geography, one batch of
    text analyses (what a full re-score chunk needs)."""
    indexes = _offer_indexes.get(Offer, lexicon)
    geo = geography()
    exposure = organization_exposure()
    out: dict[int, list[engine.Suggestion]] = {}
    for need, feature in zip(needs, need_features(needs, lexicon), strict=True):
        if not feature.is_open:
            out[need.pk] = []
            continue
        city = city_of_post(geo, need)
        targets = list(indexes) if city == NO_CITY else [city] if city in indexes else []
        found: list[engine.Suggestion] = []
        for target in targets:
            found += indexes[target].top_offers(
                feature, as_of=as_of, top_k=top_k, profile=profile, exposure=exposure
            )
        out[need.pk] = _merge(found, top_k)
    return out


def rank_for_need(
    need: Need,
    *,
    top_k: int | None = None,
    profile: MatchingProfile | None = None,
    as_of: date | None = None,
    lexicon: engine.Lexicon | None = None,
    engine_override: engine.MatchingProfile | None = None,
) -> list[engine.Suggestion]:
    """The best offers for one need (an empty list for a need that is not open)."""
    profile = profile or active_profile()
    need = _with_codes(Need.objects.filter(pk=need.pk)).get()
    return _rank_needs(
        [need],
        top_k=top_k or profile.top_k,
        profile=engine_override or engine_profile(profile),
        as_of=as_of or today(),
        lexicon=lexicon or current_lexicon(),
    )[need.pk]


def rank_for_offer(
    offer: Offer,
    *,
    top_k: int | None = None,
    profile: MatchingProfile | None = None,
    as_of: date | None = None,
    lexicon: engine.Lexicon | None = None,
    engine_override: engine.MatchingProfile | None = None,
) -> list[engine.Suggestion]:
    """The best needs for one offer (an empty list for an offer that is not open)."""
    profile = profile or active_profile()
    lexicon = lexicon or current_lexicon()
    offer = _with_codes(Offer.objects.filter(pk=offer.pk)).get()
    feature = offer_features([offer], lexicon)[0]
    if not feature.is_open:
        return []
    indexes = _need_indexes.get(Need, lexicon)
    city = city_of_post(geography(), offer)
    targets = list(indexes) if city == NO_CITY else [city] if city in indexes else []
    exposure = organization_exposure()
    results: list[engine.Suggestion] = []
    for target in targets:
        results += indexes[target].top_needs(
            feature,
            exposure=exposure,
            as_of=as_of or today(),
            top_k=top_k or profile.top_k,
            profile=engine_override or engine_profile(profile),
        )
    return _merge(results, top_k or profile.top_k)


def _merge(results: list[engine.Suggestion], top_k: int) -> list[engine.Suggestion]:
    seen: set[tuple[str, str]] = set()
    merged = []
    for s in sorted(results, key=lambda s: (-s.score, s.need_id, s.offer_id)):
        if (s.need_id, s.offer_id) not in seen:
            seen.add((s.need_id, s.offer_id))
            merged.append(s)
    return merged[:top_k]


# --------------------------------------------------------------------------- storing


def _rows(
    suggestions: Iterable[engine.Suggestion], profile: MatchingProfile, computed_at
) -> list[Suggestion]:
    weights = profile.weights()
    rows = [
        Suggestion(
            need_id=int(s.need_id),
            offer_id=int(s.offer_id),
            score=round(float(s.score), 6),
            components=[c.__dict__ for c in s.components],
            reasons=list(s.reasons),
            weaknesses=list(s.weaknesses),
            engine_version=s.engine_version,
            profile_name=profile.name,
            weights=weights,
            computed_at=computed_at,
        )
        for s in suggestions
    ]
    # One lock order for every writer, so concurrent re-scores cannot deadlock.
    rows.sort(key=lambda r: (r.need_id, r.offer_id))
    return rows


def _upsert(rows: list[Suggestion]) -> None:
    if rows:
        Suggestion.objects.bulk_create(
            rows,
            batch_size=500,
            update_conflicts=True,
            unique_fields=["need", "offer"],
            update_fields=[
                "score",
                "components",
                "reasons",
                "weaknesses",
                "engine_version",
                "profile_name",
                "weights",
                "computed_at",
            ],
        )


@transaction.atomic
def _replace(
    side: str, post_id: int, suggestions: Sequence[engine.Suggestion], profile: MatchingProfile
) -> int:
    """Make ``suggestions`` the stored pairs of one post (``side`` "need" or "offer"):
    one row per pair, always; pairs no longer suggested are removed."""
    other = "offer" if side == "need" else "need"
    keep = [int(getattr(s, f"{other}_id")) for s in suggestions]
    Suggestion.objects.filter(**{f"{side}_id": post_id}).exclude(
        **{f"{other}_id__in": keep}
    ).delete()
    rows = _rows(suggestions, profile, timezone.now())
    _upsert(rows)
    return len(rows)


def store_for_need(
    need_id: int, suggestions: Sequence[engine.Suggestion], profile: MatchingProfile
) -> int:
    return _replace("need", need_id, suggestions, profile)


def store_for_offer(
    offer_id: int, suggestions: Sequence[engine.Suggestion], profile: MatchingProfile
) -> int:
    return _replace("offer", offer_id, suggestions, profile)


def remove_suggestions(*, need_id: int | None = None, offer_id: int | None = None) -> int:
    cond = Q(need_id=need_id) if need_id is not None else Q(offer_id=offer_id)
    deleted, _ = Suggestion.objects.filter(cond).delete()
    return deleted


def rescore_need(need_id: int) -> int:
    need = Need.objects.filter(pk=need_id).first()
    if need is None:
        return 0
    profile = active_profile()
    return store_for_need(need_id, rank_for_need(need, profile=profile), profile)


# How many needs an offer's own scan may add pairs for. A need's list shows its best
# ``top_k`` at read time, so extra rows are harmless and this only bounds storage.
OFFER_SCAN_LIMIT = 200


def rescore_offer(offer_id: int) -> int:
    offer = Offer.objects.filter(pk=offer_id).first()
    if offer is None:
        return 0
    profile = active_profile()
    found = rank_for_offer(offer, profile=profile, top_k=max(OFFER_SCAN_LIMIT, profile.top_k))
    return store_for_offer(offer_id, found, profile)


def rank_needs_chunk(need_ids: Sequence[int]) -> int:
    """Re-score a chunk of needs with this process's cached offer index (full re-score)."""
    profile = active_profile()
    needs = list(_with_codes(Need.objects.filter(pk__in=need_ids).order_by("pk")))
    ranked = _rank_needs(
        needs,
        top_k=profile.top_k,
        profile=engine_profile(profile),
        as_of=today(),
        lexicon=current_lexicon(),
    )
    return sum(store_for_need(pk, found, profile) for pk, found in ranked.items())


def clear_caches() -> None:
    _offer_indexes.clear()
    _need_indexes.clear()
    _lexicon_cache.clear()
