"""The indexes a process ranks with: the host's main segments and a delta on top.

Each side (offers, needs) has, per city, a *main* segment saved on the host and opened
memory-mapped by every process (``segments``), built at a change of the side's generation
(``generation``). Posts changed after it — saved, edited, closed, their organization
verified, a match using an offer's capacity — are read from the database into a small
*delta* index built with the main segment's corpus statistics, and their old rows in the
main segment are tombstoned; ``engine.ranking.Layered`` ranks over both as one. A process
notices a change with one indexed lookup (the side's latest change) and rebuilds only its
delta, so a saved post is ranked everywhere in well under a second, with no rebuild.

The merge (``merge``, run by the periodic task ``matching.merge_indexes``) builds the next
main segment in the background once the delta has grown (``MERGE_AFTER`` posts) or aged
(``MERGE_AGE``), while the previous one keeps serving. A change of the whole side (the area
trees) or a dictionary change makes a process rebuild (or open) a main segment at once;
processes that already serve one keep serving it until the new one is saved.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from matching import engine
from matching.engine.ranking import Layered
from matching.scoring import generation, segments
from matching.scoring.features import (
    NO_CITY,
    Geography,
    PostCodes,
    _codes,
    geography,
    hierarchy_for,
    need_features,
    offer_features,
)
from proposals.models import Need, Offer, Status

log = logging.getLogger(__name__)

# A delta of more posts than this is merged by the process that meets it (rebuilding the
# delta after each change would cost every process more than opening a new main segment);
# the merge task keeps deltas far smaller where a worker runs beat's tasks.
DELTA_LIMIT = 1000
# The merge task builds a new main segment when the delta holds this many posts …
MERGE_AFTER = 200
# … or is older than this (seconds) …
MERGE_AGE = 600.0
# … and a main segment older than this is not extended by a delta (the changes it would
# need may have been pruned: ``generation.KEEP``).
BASE_MAX_AGE = generation.KEEP.total_seconds() - 3600


def side_of(model: type[Need] | type[Offer]) -> str:
    return "offer" if model is Offer else "need"


def build_indexes(model: type[Need] | type[Offer], lexicon: engine.Lexicon) -> dict[str, object]:
    """One engine index per city over the open posts of ``model``; posts with no area go
    into every city's index."""
    geo = geography()
    queryset = model.objects.filter(status=Status.OPEN, organization__is_active=True)
    return _by_city(model, queryset, lexicon, geo, stats=None)


def _by_city(model, queryset, lexicon, geo, stats) -> dict[str, object]:
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
    builder = engine.OfferIndex if model is Offer else engine.NeedIndex
    if stats is not None:  # a delta: for the main segment's cities, with their statistics
        cities = set(stats)
    else:
        cities = set(by_city) | set(geo.hierarchies) or {NO_CITY}
    return {
        city: builder.build(
            by_city.get(city, []) + floating,
            hierarchy_for(geo, city),
            lexicon=lexicon,
            stats=None if stats is None else stats[city],
        )
        for city in cities
    }


@dataclass
class _State:
    base: segments.Base
    analysis: str
    key: tuple[int, int]  # the changes since the base applied (``generation.key_since``)
    posts: set[int] = field(default_factory=set)  # changed since the base
    view: dict[str, object] = field(default_factory=dict)
    geo: Geography | None = None  # the area trees the view was built with

    @property
    def since(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.base.built_at, tz=dt.UTC)


class IndexCache:
    """A process's indexes of one side, by city: the main segments with the delta of the
    posts changed since, refreshed when the side's changes move."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state: _State | None = None

    def get(self, model: type[Need] | type[Offer], lexicon: engine.Lexicon) -> dict[str, object]:
        side = side_of(model)
        with self._lock:
            state = self._state
            if state is not None and state.analysis == lexicon.analysis_version:
                # One aggregate over the index of recent changes: nothing moved, same view.
                if generation.key_since(side, state.since) == state.key:
                    return state.view
            self._state = self._refresh(model, side, lexicon, state)
            return self._state.view

    def _refresh(self, model, side, lexicon, state: _State | None) -> _State:
        serving = state is not None and state.analysis == lexicon.analysis_version
        geo = geography()
        base = state.base if serving else None
        newest = segments.newest(side, lexicon)
        if newest is not None and (base is None or segments.change_of(newest) > base.change):
            try:
                base = segments.open_base(newest, lexicon, lambda c: hierarchy_for(geo, c))
            except (OSError, ValueError) as exc:  # removed meanwhile: build below
                log.info("matching: could not open %s (%s)", newest, exc)
        if base is not None and time.time() - base.built_at <= BASE_MAX_AGE:
            since = dt.datetime.fromtimestamp(base.built_at, tz=dt.UTC)
            key, posts, whole = generation.since(side, since, after=base.change)
            if not whole and len(posts) <= DELTA_LIMIT:
                view = _layer(model, base, posts, lexicon, geo)
                return _State(base, lexicon.analysis_version, key, posts, view, geo)
        # No main segment to extend: open or build the current one.
        built = _open_or_build_current(model, side, lexicon, geo, wait=not serving)
        if built is None:  # another process builds it: serve what we have meanwhile
            return state
        since = dt.datetime.fromtimestamp(built.built_at, tz=dt.UTC)
        key, posts, _ = generation.since(side, since, after=built.change)
        # Changes written while it was built: a delta on top.
        view = _layer(model, built, posts, lexicon, geo)
        return _State(built, lexicon.analysis_version, key, posts, view, geo)

    def geography(self) -> Geography:
        """The area trees of the view last returned by ``get`` (an area change is a change
        of the whole side, so they are as current as the view)."""
        state = self._state
        return state.geo if state is not None and state.geo is not None else geography()

    def delta_size(self) -> int:
        """Posts in this process's delta (for the merge task and metrics)."""
        return len(self._state.posts) if self._state else 0

    def clear(self) -> None:
        with self._lock:
            self._state = None


def _layer(model, base: segments.Base, posts: set[int], lexicon, geo) -> dict[str, object]:
    """Each city's main segment with the posts ``posts`` taken out of it and their current
    state (if open) in a delta on top."""
    if not posts:
        return dict(base.indexes)
    stats = {city: index.stats for city, index in base.indexes.items()}
    queryset = model.objects.filter(
        pk__in=sorted(posts), status=Status.OPEN, organization__is_active=True
    )
    deltas = _by_city(model, queryset, lexicon, geo, stats=stats)
    ids = [str(pk) for pk in posts]
    view: dict[str, object] = {}
    for city, main in base.indexes.items():
        dead = np.zeros(len(main), dtype=bool)
        dead[main.rows_of(ids)] = True
        view[city] = Layered(main, deltas.get(city), dead)
    return view


def merge(model: type[Need] | type[Offer], lexicon: engine.Lexicon, force: bool = False) -> bool:
    """Build the side's next main segment on this host when the changes since the newest
    one have grown (``MERGE_AFTER`` posts) or aged (``MERGE_AGE``), or changed the whole
    side (``force``: whenever anything changed). Processes switch to it at their next
    ranking; until then they serve the previous one. True when one was built."""
    side = side_of(model)
    newest = segments.newest(side, lexicon)
    if newest is not None:
        built_at = segments.built_at(newest)
        moment = dt.datetime.fromtimestamp(built_at, tz=dt.UTC)
        _, posts, whole = generation.since(side, moment, after=segments.change_of(newest))
        if not posts and not whole:
            return False
        age = time.time() - built_at
        if not (force or whole or len(posts) >= MERGE_AFTER or age >= MERGE_AGE):
            return False
    return _open_or_build_current(model, side, lexicon, geography(), wait=False) is not None


def _open_or_build_current(model, side, lexicon, geo, wait: bool) -> segments.Base | None:
    """The main segment at the side's latest change (read before the posts are)."""
    latest = generation.latest(side)
    return segments.open_or_build(
        side,
        latest[0] if latest else 0,
        latest[1] if latest else "",
        lexicon,
        build=lambda: build_indexes(model, lexicon),
        hierarchy_of=lambda city: hierarchy_for(geo, city),
        wait=wait,
    )


offers = IndexCache()
needs = IndexCache()


def clear_caches() -> None:
    offers.clear()
    needs.clear()
