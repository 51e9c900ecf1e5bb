"""Each component of the score, on pairs a coordinator would judge the same way."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from engine_helpers import AS_OF, CITY, need, offer

from matching.engine import (
    COMPONENTS,
    EVALUATION_PROFILE,
    AreaHierarchy,
    MatchingProfile,
    Weights,
    rank_offers,
)
from matching.engine.scoring import (
    area_value,
    capacity_value,
    commercial_value,
    field_value,
    form_mask,
    form_value,
    need_interval,
    period_value,
)
from matching.engine.text import analyze_post, commercial_cues, count_commercial_cues


def only(component: str, **extra) -> MatchingProfile:
    """A profile that scores with one component alone."""
    w = {c: 0.0 for c in COMPONENTS}
    w[component] = 1.0
    return MatchingProfile(weights=Weights(**w), require_form_overlap=False, **extra)


def score(n, o, profile=EVALUATION_PROFILE, others=()):
    res = rank_offers(n, [o, *others], CITY, as_of=AS_OF, profile=profile)
    return next(s for s in res if s.offer_id == o.id)


# ------------------------------------------------------------------- text


def test_text_relevance_prefers_the_offer_about_the_same_thing():
    n = need()
    right = offer(id="o-right")
    wrong = offer(
        id="o-wrong",
        title="河川敷の清掃と外来種の駆除",
        description="川のごみ拾いと自然観察会を毎月開いています。",
    )
    res = rank_offers(n, [wrong, right], CITY, as_of=AS_OF, profile=only("text"))
    assert [s.offer_id for s in res] == ["o-right", "o-wrong"]
    assert res[0].score > 0.3 and res[1].score < res[0].score / 2


def test_synonyms_carry_relevance_without_shared_words():
    n = need(title="高齢者の見守り", description="")
    o = offer(title="シニアの安否確認", description="")
    s = score(n, o, only("text"))
    assert s.score > 0.5
    assert any(r.startswith("類義語:") and "高齢者 ≈ シニア" in r for r in s.reasons)


def test_reciprocity_ranks_a_two_sided_fit_above_a_one_sided_one():
    n = need(
        title="子育てひろばの運営",
        description="乳幼児と保護者が集う子育てひろばを運営する団体を募集します。",
    )
    focused = offer(
        id="o-focused",
        title="親子ひろばの運営",
        description="乳幼児と保護者が集うひろばを運営しています。",
    )
    sprawling = offer(
        id="o-sprawling",
        title="何でも請け負います",
        description="子育てひろばの運営のほか、河川の清掃、観光ガイド、パソコン教室、"
        "商店街のイベント、防犯パトロール、合唱団の出演、翻訳、竹林整備も行います。",
    )
    res = rank_offers(n, [sprawling, focused], CITY, as_of=AS_OF, profile=only("reciprocity"))
    assert res[0].offer_id == "o-focused"


# ------------------------------------------------------------------- field


def test_field_overlap():
    fm = form_mask  # noqa: F841 (same module, different component)
    from matching.engine.index import field_mask

    assert field_value(field_mask(["welfare"]), field_mask(["welfare", "children"])) == 1.0
    assert field_value(field_mask(["welfare", "community"]), field_mask(["welfare", "x"])) == 1.0
    assert field_value(field_mask(["welfare", "community"]), field_mask(["children"])) == 0.0
    assert field_value(0, field_mask(["children"])) == 0.0
    s = score(need(fields=["environment"]), offer(fields=["welfare"]))
    assert "分野タグの重なりなし（分野は目安）" in s.weaknesses


# ------------------------------------------------------------------- area


@pytest.fixture
def deep_city() -> AreaHierarchy:
    return AreaHierarchy(
        {"kita": None, "minami": None, "kita-1": "kita", "kita-2": "kita", "minami-1": "minami"},
        {"kita": "北区", "minami": "南区", "kita-1": "北一地区", "kita-2": "北二地区"},
        root="city",
    )


def test_area_same_ward_beats_citywide_partial_beats_other_ward():
    h = CITY
    kita = h.canonical(["kita"])
    assert area_value(h, kita, kita) == 1.0
    assert area_value(h, kita, h.canonical(list(h.children(h.root)))) == 1.0  # citywide offer
    assert area_value(h, kita, h.canonical(["minami"])) == 0.0
    citywide_need = h.canonical(["kita", "minami", "higashi", "nishi"])
    one_ward = area_value(h, citywide_need, h.canonical(["minami"]))
    two_wards = area_value(h, citywide_need, h.canonical(["minami", "kita"]))
    # Citywide work: a ward-bound partner is weaker, but not excluded.
    assert 0.5 < one_ward < two_wards < 1.0


def test_area_hierarchy_districts(deep_city):
    h = deep_city
    assert h.canonical(["kita-1", "kita-2"]) == frozenset({"kita"})
    assert h.is_citywide(["kita", "minami"])
    # Offer in the ward covers a need in one of its districts.
    assert area_value(h, frozenset({"kita-1"}), frozenset({"kita"})) == 1.0
    # Neighbouring district in the same ward: partial; other ward: nothing.
    assert area_value(h, frozenset({"kita-1"}), frozenset({"kita-2"})) == pytest.approx(0.4)
    assert area_value(h, frozenset({"kita-1"}), frozenset({"minami-1"})) == 0.0
    # Offer in one district of a ward-wide need covers part of it.
    assert 0.5 < area_value(h, frozenset({"kita"}), frozenset({"kita-2"})) < 1.0


def test_area_reasons_name_the_wards():
    s = score(need(areas=["minami"]), offer(areas=["minami"]))
    assert "活動地域: 南区（テーマと同じ）" in s.reasons
    s = score(need(areas=["minami"]), offer(areas=["kita"]))
    assert "活動地域が異なる: テーマは南区、提案は北区" in s.weaknesses


# ------------------------------------------------------------------- form


def test_form_compatibility():
    fm = form_mask
    assert form_value(fm({"commission"}), fm({"commission", "cooperation"})) == 1.0
    assert form_value(fm({"commission"}), fm({"cooperation"})) == 0.0
    # Sharing only information exchange is weak when the need wants real work.
    assert (
        form_value(fm({"commission", "information_exchange"}), fm({"information_exchange"})) == 0.5
    )
    assert form_value(fm({"information_exchange"}), fm({"information_exchange"})) == 1.0
    assert form_value(0, fm({"cooperation"})) == 0.5


def test_form_mismatch_is_explained():
    s = score(need(forms=["commission"]), offer(forms=["cooperation"]))
    assert "協働形態が合わない: テーマは委託、提案は事業協力" in s.weaknesses


# ------------------------------------------------------------------- period and capacity


def test_period_overlap_fraction():
    start, end = need_interval(date(2025, 6, 1), date(2025, 6, 30), AS_OF)
    assert period_value(start, end, date(2025, 1, 1).toordinal(), 10**9) == 1.0
    half = period_value(start, end, date(2025, 6, 16).toordinal(), 10**9)
    assert half == pytest.approx(15 / 30)
    assert period_value(start, end, date(2025, 7, 1).toordinal(), 10**9) == 0.0


def test_period_counts_only_what_is_left_after_as_of():
    # A need that started before as_of: only the rest of it matters.
    start, end = need_interval(date(2024, 1, 1), date(2025, 4, 30), AS_OF)
    assert start == AS_OF.toordinal()
    assert period_value(start, end, AS_OF.toordinal(), 10**9) == 1.0


def test_short_overlap_is_a_weakness():
    n = need(starts_on=date(2025, 6, 1), ends_on=date(2026, 3, 31))
    o = offer(available_from=date(2026, 2, 1))
    s = score(n, o)
    assert any(w.startswith("期間の重なりが短い") for w in s.weaknesses)


def test_capacity_left():
    assert capacity_value(2, 0) == 1.0
    assert capacity_value(2, 2) == 0.0
    assert 0.5 < capacity_value(3, 1) < 1.0
    full = offer(id="o-full", capacity=1, active_matches=1)
    free = offer(id="o-free", capacity=1, active_matches=0)
    res = rank_offers(need(), [full, free], CITY, as_of=AS_OF)
    assert [s.offer_id for s in res] == ["o-free", "o-full"]
    assert any("受け入れ枠が埋まっている" in w for w in res[1].weaknesses)


def test_commercial_pitch_component():
    assert commercial_value(0) == commercial_value(1) == 1.0
    assert commercial_value(4) == 0.0
    pitch = offer(
        id="o-pitch",
        title="見守りセンサーの販売",
        description="独居のお年寄り向けの見守り商品を取り扱っています。レンタルも承ります。",
    )
    s = score(need(), pitch)
    assert any(w.startswith("商品・サービスの売り込み") for w in s.weaknesses)


@pytest.mark.parametrize(
    "title, description",
    [
        ("見守りセンサーの販売", "見守り商品を取り扱っています。レンタルも承ります。"),
        ("商品の販売", "お見積りは無料です。"),
        ("子ども食堂の運営", "地域の子どもたちに夕食を届けています。"),
        ("", ""),
    ],
)
def test_the_index_counts_sales_cues_as_the_reasons_list_them(title, description):
    """The index counts cues by their first word (fast); the reasons list every cue the
    text holds: both must agree, or the component and its reason would disagree."""
    text = analyze_post(title, description)
    assert count_commercial_cues(text) == len(commercial_cues(text))


# ------------------------------------------------------------------- fairness


def test_fairness_penalises_exposed_organizations_and_can_be_off():
    n = need()
    a = offer(id="o-a", organization_id="org-busy")
    b = offer(id="o-b", organization_id="org-quiet")
    plain = MatchingProfile(weights=Weights(fairness=0.0))
    off = rank_offers(n, [a, b], CITY, as_of=AS_OF, profile=plain, exposure={"org-busy": 50})
    assert off[0].score == pytest.approx(off[1].score)  # λ = 0: off
    on = MatchingProfile(weights=Weights(fairness=0.5))
    res = rank_offers(n, [a, b], CITY, as_of=AS_OF, profile=on, exposure={"org-busy": 50})
    assert [s.offer_id for s in res] == ["o-b", "o-a"]
    assert res[1].breakdown()["fairness"] == pytest.approx(-0.5 * res[0].score)
    assert any(w.startswith("提案の偏りを抑える調整") for w in res[1].weaknesses)


def test_fairness_within_a_list_spreads_organizations():
    n = need()
    same = [offer(id=f"o-same-{i}", organization_id="org-big") for i in range(3)]
    # Slightly weaker (another ward), from another organization.
    other = offer(id="o-other", organization_id="org-small", areas=["minami"])
    off = MatchingProfile(weights=Weights(fairness=0.0))
    plain = rank_offers(n, [*same, other], CITY, as_of=AS_OF, profile=off)
    assert plain[-1].offer_id == "o-other"
    prof = MatchingProfile(weights=Weights(fairness=0.9), fairness_saturation=1)
    res = rank_offers(n, [*same, other], CITY, as_of=AS_OF, profile=prof)
    assert res[0].offer_id == "o-same-0"  # first pick: no exposure yet, tie broken by id
    assert res[1].offer_id == "o-other"  # the second pick of org-big is penalised


def test_values_are_arrays_too():
    out = form_value(np.array([1, 2]), np.array([1, 1]))
    assert out.tolist() == [1.0, 0.0]
