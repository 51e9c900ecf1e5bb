"""Topic versus format: words naming a way of working (セミナー, 相談会, 講座…) count less
than the subject, make no topic, and the reasons say which shared words are which — a
general mechanism (the ``formats`` of the dictionary), shown here on words of its own."""

from __future__ import annotations

from engine_helpers import AS_OF, CITY, need, offer

from matching.engine import EVALUATION_PROFILE, build_lexicon, default_lexicon_data, rank_offers
from matching.engine.text import TOPIC_PREFIX, analyze_post, load_lexicon


def _plain_lexicon():
    """The same dictionary without formats: every word weighed as a subject."""
    data = default_lexicon_data()
    data["formats"] = {}
    data["format_weight"] = 1.0
    return build_lexicon(data)


def _pair(lexicon=None):
    n = need(
        title="空き家の活用を考えるセミナー",
        description="地域の空き家を交流の拠点に変えるセミナーを開きます。",
        fields=[],
        forms=[],
    )
    same_format = offer(
        id="o-format",
        title="野鳥観察のセミナー",
        description="干潟の野鳥を観察するセミナーを毎月開きます。",
        fields=[],
        forms=[],
    )
    same_topic = offer(
        id="o-topic",
        title="空き家の改修",
        description="古い家を直して地域で使えるようにします。",
        fields=[],
        forms=[],
    )
    return rank_offers(
        n, [same_format, same_topic], CITY, as_of=AS_OF, profile=EVALUATION_PROFILE,
        lexicon=lexicon,
    )  # fmt: skip


def test_a_shared_subject_outranks_a_shared_format():
    ranked = _pair()
    assert [s.offer_id for s in ranked] == ["o-topic", "o-format"]


def _value(suggestions, offer_id: str, component: str) -> float:
    found = next(s for s in suggestions if s.offer_id == offer_id)
    return next(c.value for c in found.components if c.name == component)


def test_without_the_format_mechanism_the_shared_format_counts_like_a_subject():
    """The same posts with formats weighed like subjects: the format-only partner's text
    and two-way scores are several times higher, and the gap to the subject partner shrinks
    — the mechanism is what holds it down."""
    weighed, plain = _pair(), _pair(_plain_lexicon())
    for component in ("text", "reciprocity"):
        assert _value(weighed, "o-format", component) < 0.6 * _value(plain, "o-format", component)
    gap = {s.offer_id: s.score for s in weighed}
    gap_plain = {s.offer_id: s.score for s in plain}
    assert gap["o-topic"] - gap["o-format"] > gap_plain["o-topic"] - gap_plain["o-format"] + 0.05


def test_reasons_name_the_format_apart_from_the_subject():
    ranked = {s.offer_id: s for s in _pair()}
    topic, fmt = ranked["o-topic"], ranked["o-format"]
    assert any(r.startswith("共通するキーワード: ") and "空き家" in r for r in topic.reasons)
    assert not any("セミナー" in r for r in topic.reasons)
    assert any("形式の語（セミナー）だけ" in w for w in fmt.weaknesses)
    assert not any(r.startswith("共通するキーワード: ") for r in fmt.reasons)


def test_a_format_shared_beside_a_subject_is_shown_as_a_weak_reason():
    n = need(title="防犯の相談会", description="")
    o = offer(title="地域の防犯と相談会", description="")
    s = rank_offers(n, [o], CITY, as_of=AS_OF, profile=EVALUATION_PROFILE)[0]
    assert any(r.startswith("共通するキーワード: 防犯") for r in s.reasons)
    assert any(r.startswith("形式も共通") and "相談会" in r for r in s.reasons)


def test_the_dictionary_marks_formats_by_category_and_keeps_subject_groups():
    lexicon = load_lexicon()
    formats = lexicon.formats
    # a one-word format, a format synonym group (its headword is a format), a phrase
    workshop = analyze_post("ワークショップ").keys
    assert any(k in formats for k in workshop)
    assert analyze_post("講座").keys == analyze_post("ワークショップ").keys  # one concept
    assert any(k in formats for k in analyze_post("見学会").keys)
    # a subject group that is not a format stays a subject (サロン ≈ 居場所)
    assert not any(k in formats for k in analyze_post("サロン").keys)
    assert not any(k in formats for k in analyze_post("防災").keys)


def test_a_format_weighs_less_and_makes_no_topic():
    lexicon = load_lexicon()
    text = analyze_post("講座", "")
    assert set(text.tfs) == {2.0 * lexicon.format_weight}
    assert not any(k.startswith(TOPIC_PREFIX) for k in text.keys)
    # the subject word of the same title keeps its full weight and its topic
    both = analyze_post("防災講座", "").term_dict()
    assert both["≈防災"] == 2.0 and any(k.startswith(TOPIC_PREFIX) for k in both)


def test_the_format_words_are_part_of_the_analysis_version():
    assert load_lexicon().analysis_version != _plain_lexicon().analysis_version
