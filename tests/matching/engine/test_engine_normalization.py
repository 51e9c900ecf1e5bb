"""Japanese normalization: notation variants of the same word must meet."""

from __future__ import annotations

import pytest

from lib.japanese import fold, tokenize_units
from matching.engine.text import CONCEPT_PREFIX, analyze_post, commercial_cues


def keys(text: str) -> set[str]:
    return {k for k, _ in analyze_post(text).terms}


def test_fold_full_and_half_width_and_kana():
    assert fold("ＮＰＯ法人 ＨＵＧ") == fold("NPO法人 HUG") == "npo法人 hug"
    assert fold("ボランティア") == fold("ぼらんてぃあ")
    assert fold("４０％") == "40%"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("子ども", "子供"),
        ("子ども", "こども"),
        ("障がい者", "障害者"),
        ("ＨＵＧ訓練", "HUG訓練"),
        ("コドモ", "こども"),
        ("ヒロバ", "広場"),
        ("サロン", "さろん"),
    ],
)
def test_notation_variants_give_the_same_terms(a, b):
    assert keys(a) == keys(b)


def test_synonyms_become_one_concept():
    # 高齢者 / シニア / お年寄り are different words for one group of people.
    common = keys("高齢者") & keys("シニア") & keys("お年寄り")
    assert any(k.startswith(CONCEPT_PREFIX) for k in common)
    assert keys("子育て") & keys("育児")
    assert keys("外国人住民") & keys("多文化共生") or keys("外国人住民") & keys("外国籍住民")


def test_multi_word_phrase_synonym():
    # 災害への備え is a phrase (several tokens) listed with 防災.
    assert keys("災害への備え") & keys("防災")


def test_fuzzy_katakana_variant_meets_dictionary_word():
    # A typo / small-kana variant of a listed katakana word is matched by rapidfuzz.
    assert keys("ボランテイア") & keys("ボランティア")


def test_stop_words_and_particles_do_not_count():
    ks = keys("することができます。また、ご協力をお願いします。")
    assert ks == set()


def test_compound_parts_are_terms_too():
    # 交通安全教室 meets 交通安全 through the parts of the compound.
    assert keys("交通安全教室") & keys("交通安全")


def test_units_keep_compound_parts():
    units = tokenize_units("一人暮らし高齢者")
    assert any(u.parts for u in units)


def test_sales_pitch_cues_are_found():
    text = analyze_post("防災グッズの販売", "非常食を取り扱い、レンタルも承ります。")
    assert len(commercial_cues(text)) >= 3
    assert commercial_cues(analyze_post("子育てひろば", "親子が集える場を開いています。")) == ()


def test_post_text_round_trips_through_json():
    t = analyze_post("高齢者の見守り", "シニアの安否確認")
    from matching.engine import PostText

    assert PostText.from_json(t.to_json()) == t
    with pytest.raises(ValueError, match="re-analyse"):
        PostText.from_json({**t.to_json(), "v": "0"})


def test_custom_dictionary_from_the_coordinators_table():
    from engine_helpers import AS_OF, CITY, need, offer

    from matching.engine import build_lexicon, default_lexicon_data, load_lexicon, rank_offers

    plain = {k for k, _ in analyze_post("ほっとスペース").terms}
    assert not plain & {k for k, _ in analyze_post("居場所カフェ").terms if k.startswith("≈")}
    data = default_lexicon_data()
    data["synonyms"] = [["ほっとスペース", "居場所カフェ"], *data["synonyms"]]
    lex = build_lexicon(data)
    assert lex.analysis_version != load_lexicon().analysis_version
    a = {k for k, _ in analyze_post("ほっとスペース", lexicon=lex).terms}
    b = {k for k, _ in analyze_post("居場所カフェ", lexicon=lex).terms}
    assert a & b
    n = need(title="ほっとスペースの運営", description="")
    o = offer(title="居場所カフェの運営", description="")
    s = rank_offers(n, [o], CITY, as_of=AS_OF, lexicon=lex)[0]
    assert any("ほっとスペース ≈ 居場所カフェ" in r for r in s.reasons)
