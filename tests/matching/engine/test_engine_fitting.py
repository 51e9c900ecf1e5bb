"""Weights learned, not guessed: the fit (``matching.engine.fitting``) learns from graded
pairs, is deterministic, never sees the need it is cross-validated on, and the shipped
``data/weights.json`` is what it produces on the dev dataset. Both directions measured."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from conftest import dev_dataset

from matching.engine import COMPONENTS, Weights, fitting
from matching.engine.evaluate import (
    analysed,
    evaluate_rankings,
    load_dataset_features,
    offer_judgments,
    rank_all_reverse,
    tfidf_baseline_rankings,
    tfidf_reverse_rankings,
)
from matching.engine.scoring import HAND_WEIGHTS, WEIGHTS_PATH


@pytest.fixture(scope="module")
def dev():
    ds = analysed(load_dataset_features(dev_dataset()))
    return ds, fitting.pair_values(ds), fitting.reverse_pair_values(ds)


def _synthetic(n_queries: int = 6, n_items: int = 12, seed: int = 3):
    """Queries whose grades follow component ``area`` alone (the others are noise)."""
    rng = np.random.default_rng(seed)
    values, judgments = {}, {}
    area = COMPONENTS.index("area")
    for q in range(n_queries):
        x = rng.random((n_items, len(COMPONENTS)))
        ids = tuple(f"i{q}-{i:02d}" for i in range(n_items))
        values[f"q{q}"] = fitting.PairValues(ids, x, ())
        order = np.argsort(-x[:, area])
        judgments[f"q{q}"] = {ids[order[0]]: 3, ids[order[1]]: 2, ids[order[2]]: 1}
    return values, judgments


def test_the_fit_learns_what_decides_the_grades():
    values, judgments = _synthetic()
    learned = fitting.fit(values, judgments)
    prior_share = HAND_WEIGHTS["area"] / sum(HAND_WEIGHTS.values())
    assert learned["area"] > 2 * prior_share
    assert sum(learned.values()) == pytest.approx(1.0)
    assert all(w > 0 for w in learned.values())


def test_the_fit_is_deterministic_and_keeps_what_the_data_cannot_tell(dev):
    ds, values, _ = dev
    a = fitting.fit(values, ds.judgments)
    b = fitting.fit(values, ds.judgments)
    assert a == b
    # no offer of the dev set runs a collaboration: capacity is the same for every pair
    assert "capacity" not in fitting.learnable(values)
    share = HAND_WEIGHTS["capacity"] / sum(HAND_WEIGHTS.values())
    assert a["capacity"] == pytest.approx(share)


def test_cross_validation_never_sees_the_need_it_ranks(dev):
    ds, values, _ = dev
    left_out = sorted(ds.judgments)[0]
    cv = fitting.cross_validate(values, ds.judgments)
    scrambled = dict(ds.judgments)
    scrambled[left_out] = {oid: 3 for oid in values[left_out].ids[-5:]}
    again = fitting.cross_validate(values, scrambled)
    assert again.folds[left_out] == cv.folds[left_out]
    assert again.rankings[left_out] == cv.rankings[left_out]
    assert again.folds[sorted(ds.judgments)[1]] != cv.folds[sorted(ds.judgments)[1]]


def test_the_shipped_weights_are_the_fit_on_the_dev_dataset(dev):
    ds, values, _ = dev
    shipped = json.loads(WEIGHTS_PATH.read_text(encoding="utf-8"))
    learned = fitting.fit(values, ds.judgments)
    for c in COMPONENTS:
        assert shipped["weights"][c] == pytest.approx(learned[c], abs=2e-6)
        assert getattr(Weights(), c) == pytest.approx(shipped["weights"][c])


def test_cross_validated_figures_beat_tfidf_in_both_directions(dev):
    ds, values, reverse_values = dev
    back = offer_judgments(ds.judgments)
    cv = fitting.cross_validate(values, ds.judgments, reverse_values)
    forward = cv.metrics(ds.judgments)
    reverse = evaluate_rankings(cv.reverse, back)
    tfidf = evaluate_rankings(tfidf_baseline_rankings(ds), ds.judgments)
    tfidf_back = evaluate_rankings(tfidf_reverse_rankings(ds), back)
    assert forward["ndcg@10"] >= 0.88 and forward["ndcg@10"] >= tfidf["ndcg@10"] + 0.08
    assert forward["mrr"] >= 0.95
    assert reverse["ndcg@10"] >= tfidf_back["ndcg@10"]


def test_offers_to_needs_reads_the_same_grades_from_the_other_side(dev):
    ds, _, _ = dev
    back = offer_judgments(ds.judgments)
    for need_id, grades in ds.judgments.items():
        for offer_id, grade in grades.items():
            if grade > 0:
                assert back[offer_id][need_id] == grade
    ranked = rank_all_reverse(ds)
    assert set(ranked) == {o.id for o in ds.offers}
    assert all(sorted(r) == sorted(n.id for n in ds.needs) for r in ranked.values())
    assert evaluate_rankings(ranked, back)["ndcg@10"] > 0.9


def test_an_ablation_holds_the_component_at_zero(dev):
    ds, values, _ = dev
    learned = fitting.fit(values, ds.judgments, off=["semantic"])
    assert learned["semantic"] == 0.0
    assert sum(learned.values()) == pytest.approx(1.0)


def test_formats_off_is_a_different_dictionary():
    lexicon = fitting.formats_off_lexicon()
    assert not lexicon.formats and lexicon.format_weight == 1.0
    assert replace(Weights(), fairness=0.0).semantic > 0
