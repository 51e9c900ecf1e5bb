"""A main index with a delta on top (``engine.ranking.Layered``) ranks exactly like one index
built over the same posts with the same corpus statistics: on the labelled dev dataset and
on a synthetic corpus, with posts edited, closed, removed and added after the main index
was built, saved and reopened — whole rankings and top-20, fairness off and on."""

from __future__ import annotations

import random
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from conftest import dev_dataset

from matching.engine import DEFAULT_PROFILE, MatchingProfile, OfferIndex, Weights, segment
from matching.engine.evaluate import analysed, load_dataset_features
from matching.engine.index import post_text
from matching.engine.ranking import Layered

ROOT = Path(__file__).resolve().parents[3]
# Fairness off: the pruning saves the most here (fairness lowers the cut-off).
PLAIN = replace(DEFAULT_PROFILE, weights=replace(DEFAULT_PROFILE.weights, fairness=0.0))
FAIR = MatchingProfile(
    name="fair", weights=Weights(fairness=0.5), fairness_saturation=2, min_score=0.0
)


def _changed(offers, needs, rng: random.Random):
    """The offers after a day of work: some edited, some closed, some removed, some new."""
    offers = list(offers)
    picked = rng.sample(range(len(offers)), 12)
    edited, closed, removed = picked[:5], picked[5:8], picked[8:]
    for i in edited:
        donor = needs[i % len(needs)]
        text = donor.description + " " + offers[i].description
        offers[i] = replace(
            offers[i], description=text, text=post_text(replace(offers[i], description=text))
        )
    for i in closed:
        offers[i] = replace(offers[i], is_open=False)
    gone = {offers[i].id for i in removed}
    new = [
        replace(
            offers[(7 * n) % len(offers)],
            id=f"zz-new-{n}",
            organization_id=f"org-new-{n % 2}",
            title=needs[n].title,
            description=needs[n].description,
            text=post_text(needs[n]),
        )
        for n in range(4)
    ]
    changed_ids = {offers[i].id for i in edited + closed} | gone | {o.id for o in new}
    current = [o for o in offers if o.id not in gone] + new
    return current, changed_ids


def _layered(main, current, changed_ids, hierarchy):
    delta = OfferIndex.build(
        [o for o in current if o.id in changed_ids], hierarchy, stats=main.stats
    )
    dead = np.zeros(len(main), dtype=bool)
    dead[main.rows_of(changed_ids)] = True
    return Layered(main, delta, dead)


def _same(a, b) -> None:
    assert [s.offer_id for s in a] == [s.offer_id for s in b]
    assert np.allclose([s.score for s in a], [s.score for s in b], rtol=0, atol=1e-9)
    assert [s.reasons for s in a] == [s.reasons for s in b]


def _check(offers, needs, hierarchy, as_of, tmp_path, exposure):
    main_built = OfferIndex.build(offers, hierarchy)
    main = segment.load(segment.save(main_built, tmp_path / "main"), hierarchy, main_built.lexicon)
    current, changed_ids = _changed(offers, needs, random.Random(7))
    layered = _layered(main, current, changed_ids, hierarchy)
    reference = OfferIndex.build(current, hierarchy, stats=main.stats)
    assert len(layered) == len(reference)
    seen_new = False
    for need in needs:
        for profile, top_k in ((DEFAULT_PROFILE, 20), (DEFAULT_PROFILE, None), (FAIR, 20)):
            got = layered.top_offers(
                need, as_of=as_of, top_k=top_k, profile=profile, exposure=exposure
            )
            want = reference.top_offers(
                need, as_of=as_of, top_k=top_k, profile=profile, exposure=exposure
            )
            _same(got, want)
            seen_new |= any(s.offer_id.startswith("zz-new") for s in got[:20])
        closed_or_gone = changed_ids - {o.id for o in current if o.is_open}
        assert not closed_or_gone & {s.offer_id for s in got}
    assert seen_new, "the new offers must be ranked from the delta"
    # A chunk of needs with fairness counted within the chunk: the same again.
    chunk = layered.rank_needs_chunk(needs[:10], as_of=as_of, profile=FAIR, exposure=exposure)
    expect = reference.rank_needs_chunk(needs[:10], as_of=as_of, profile=FAIR, exposure=exposure)
    for need_id, found in chunk.items():
        _same(found, expect[need_id])


def test_layers_rank_the_dev_dataset_like_one_index(tmp_path):
    ds = analysed(load_dataset_features(dev_dataset()))
    exposure = {ds.offers[0].organization_id: 3, "org-new-1": 2}
    _check(list(ds.offers), list(ds.needs), ds.hierarchy, ds.as_of, tmp_path, exposure)


def test_layers_rank_a_synthetic_corpus_like_one_index(tmp_path):
    sys.path.insert(0, str(ROOT))
    from bench.synth import make_city, make_needs, make_offers

    city = make_city(n_wards=3, districts_per_ward=4)
    offers = [replace(o, text=post_text(o)) for o in make_offers(600, city, seed=3)]
    needs = [replace(n, text=post_text(n)) for n in make_needs(25, city, seed=4)]
    exposure = {offers[1].organization_id: 1, offers[2].organization_id: 4}
    _check(offers, needs, city.hierarchy, needs[0].starts_on, tmp_path, exposure)


def test_a_full_build_ranks_as_before_the_layers(tmp_path):
    """The main index alone (no delta, no tombstone) ranks exactly like the index built
    in memory: the ranking code moved, the results did not."""
    ds = analysed(load_dataset_features(dev_dataset()))
    built = OfferIndex.build(ds.offers, ds.hierarchy, background=[n.text for n in ds.needs])
    saved = segment.load(segment.save(built, tmp_path / "s"), ds.hierarchy, built.lexicon)
    alone = Layered(saved, None, np.zeros(len(saved), dtype=bool))
    for need in ds.needs:
        want = built.top_offers(need, as_of=ds.as_of, top_k=None)
        _same(alone.top_offers(need, as_of=ds.as_of, top_k=None), want)
        assert [s.score for s in saved.top_offers(need, as_of=ds.as_of, top_k=None)] == [
            s.score for s in want
        ]


@pytest.mark.parametrize("ids", [[], ["nope"], None])
def test_rows_of_finds_only_posts_in_the_index(ids):
    ds = load_dataset_features(dev_dataset())
    index = OfferIndex.build(ds.offers[:10], ds.hierarchy)
    wanted = [o.id for o in ds.offers[:10:3]] if ids is None else ids
    rows = index.rows_of(wanted)
    assert sorted(index.posts[r].id for r in rows) == sorted(set(wanted) - {"nope"})


@pytest.mark.parametrize(
    "profile", [PLAIN, DEFAULT_PROFILE, FAIR, replace(FAIR, fairness_within_batch=False)]
)
def test_pruned_candidates_could_not_have_made_the_list(monkeypatch, profile):
    """Candidates whose score bound is below the list's cut-off are not scored in full:
    the lists are the same as with every candidate scored."""
    sys.path.insert(0, str(ROOT))
    from bench.synth import make_city, make_needs, make_offers
    from matching.engine import ranking

    city = make_city(n_wards=3, districts_per_ward=4)
    offers = [replace(o, text=post_text(o)) for o in make_offers(800, city, seed=5)]
    needs = [replace(n, text=post_text(n)) for n in make_needs(30, city, seed=6)]
    index = OfferIndex.build(offers, city.hierarchy)
    exposure = {o.organization_id: i % 4 for i, o in enumerate(offers[:200])}
    as_of = needs[0].starts_on
    scored: list[int] = []
    # A candidate is scored in full when its last component, the semantic one, is computed.
    real = index.semantic_values

    def counting(rows, q):
        scored.append(len(rows))
        return real(rows, q)

    monkeypatch.setattr(index, "semantic_values", counting)
    monkeypatch.setattr(ranking, "PRUNE_ABOVE", 10**9)
    whole = [index.top_offers(n, as_of=as_of, profile=profile, exposure=exposure) for n in needs]
    unpruned = sum(scored)
    scored.clear()
    monkeypatch.setattr(ranking, "PRUNE_ABOVE", 0)
    pruned = [index.top_offers(n, as_of=as_of, profile=profile, exposure=exposure) for n in needs]
    for a, b in zip(pruned, whole, strict=True):
        _same(a, b)
    if profile is PLAIN:  # (fairness lowers the cut-off: fewer are pruned)
        assert sum(scored) < unpruned, "candidates are pruned"
