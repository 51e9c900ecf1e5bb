"""The semantic component: word vectors shipped with the engine find posts that mean the
same thing in words no dictionary lists together, explain it (「近い意味: A ～ B」), and stay
exact and fast (bounded before computed, the same in a saved segment and a delta)."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from engine_helpers import AS_OF, CITY, need, offer

from matching.engine import COMPONENTS, EVALUATION_PROFILE, MatchingProfile, Weights, rank_offers
from matching.engine.index import OfferIndex, post_text
from matching.engine.semantic import default_vectors, term_vectors
from matching.engine.text import analyze_post, load_lexicon

ROOT = Path(__file__).resolve().parents[3]


def only(component: str) -> MatchingProfile:
    w = dict.fromkeys(COMPONENTS, 0.0)
    w[component] = 1.0
    return MatchingProfile(weights=Weights(**w), require_form_overlap=False)


def _keys(text: str) -> list[str]:
    return [k for k in analyze_post(text).keys if not k.startswith(("#", "~"))]


def test_vectors_ship_with_the_engine_and_need_no_download():
    vectors = default_vectors()
    assert "ja-ginza==5.3.0" in vectors.meta["source"]
    assert vectors.shape == (vectors.meta["rows"], vectors.meta["dims"])
    # a word the model knows, in the engine's own key (normalized, folded to hiragana)
    assert (vectors.rows_of(["防災", "わーくしょっぷ", "no-such-word-xyz"]) >= 0).tolist() == [
        True,
        True,
        False,
    ]


def test_near_synonyms_not_in_the_dictionary_rank_by_meaning():
    """地震 and 津波 share no word, no synonym group, no character: only meaning."""
    lexicon = load_lexicon()
    for a, b in (("地震", "津波"), ("読み聞かせ", "絵本")):
        key_a, key_b = _keys(a)[0], _keys(b)[0]
        assert lexicon.concept_of.get(key_a, key_a) != lexicon.concept_of.get(key_b, key_b)
    n = need(title="地震への備え", description="地震が起きたときの行動を住民と考えます。")
    near = offer(
        id="o-near",
        title="津波避難の呼びかけ",
        description="津波のときに高台へ逃げる練習をします。",
    )
    far = offer(id="o-far", title="古文書を読む会", description="江戸時代の古文書を読み解きます。")
    ranked = rank_offers(n, [far, near], CITY, as_of=AS_OF, profile=only("semantic"))
    assert [s.offer_id for s in ranked] == ["o-near", "o-far"]
    assert ranked[0].score > ranked[1].score + 0.2
    reason = next(r for r in ranked[0].reasons if r.startswith("近い意味: "))
    assert "地震 ～ 津波" in reason


def test_a_compound_the_model_lacks_is_read_through_its_parts():
    """避難訓練 is not in the model; its parts (避難, 訓練) are, so it meets 防災."""
    vectors = term_vectors(load_lexicon())
    drill, prep = vectors.matrix(_keys("避難訓練")), vectors.matrix(_keys("防災"))
    assert np.linalg.norm(drill) > 0.99
    assert float(drill[0] @ prep[0]) >= 0.45
    n = need(title="避難訓練の企画", description="")
    o = offer(title="防災の出前授業", description="")
    s = rank_offers(n, [o], CITY, as_of=AS_OF, profile=EVALUATION_PROFILE)[0]
    assert any("避難訓練 ～ 防災" in r for r in s.reasons)


def test_semantic_is_a_component_whose_contribution_adds_up_to_the_score():
    s = rank_offers(need(), [offer()], CITY, as_of=AS_OF, profile=EVALUATION_PROFILE)[0]
    parts = {c.name: c for c in s.components}
    assert parts["semantic"].label == "意味の近さ"
    assert 0 < parts["semantic"].value <= 1 and parts["semantic"].weight > 0
    assert sum(c.contribution for c in s.components) == pytest.approx(s.score, abs=1e-12)


def test_an_empty_text_has_no_meaning_and_scores_zero_there():
    s = rank_offers(need(title="", description=""), [offer()], CITY, as_of=AS_OF)[0]
    assert next(c.value for c in s.components if c.name == "semantic") == 0.0


def test_the_bound_never_falls_below_the_exact_value():
    """What makes the pruning exact: every row's bound ≥ its semantic value."""
    sys.path.insert(0, str(ROOT))
    from bench.synth import make_city, make_needs, make_offers

    city = make_city(n_wards=3, districts_per_ward=4)
    offers = [replace(o, text=post_text(o)) for o in make_offers(400, city, seed=11)]
    index = OfferIndex.build(offers, city.hierarchy)
    index._profile = replace(EVALUATION_PROFILE, semantic_floor=0.0, semantic_full=1.0)
    rows = np.arange(len(index))
    for query in make_needs(20, city, seed=12):
        q = index.text_query(post_text(query))
        exact = index.semantic_values(rows, q)
        assert (index.semantic_bounds(q, rows) >= exact).all()
        assert exact.max() > 0.3


def test_the_semantic_component_can_be_switched_off():
    n = need(title="地震への備え", description="")
    o = offer(title="津波避難の呼びかけ", description="")
    on = rank_offers(n, [o], CITY, as_of=AS_OF, profile=EVALUATION_PROFILE)[0]
    off = rank_offers(
        n,
        [o],
        CITY,
        as_of=AS_OF,
        profile=replace(EVALUATION_PROFILE, weights=Weights(semantic=0.0)),
    )[0]
    assert next(c for c in off.components if c.name == "semantic").contribution == 0
    assert next(c for c in on.components if c.name == "semantic").contribution > 0
