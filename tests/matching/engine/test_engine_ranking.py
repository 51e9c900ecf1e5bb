"""Ranking: hard filters, breakdowns that add up, determinism, reasons, bad input, indexes."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from engine_helpers import AS_OF, CITY, need, offer

from matching.engine import (
    DEFAULT_PROFILE,
    ENGINE_VERSION,
    EVALUATION_PROFILE,
    NeedIndex,
    OfferIndex,
    rank_offers,
    score_batch,
)


def ids(suggestions):
    return [s.offer_id for s in suggestions]


def test_closed_expired_and_same_organization_never_appear():
    n = need()
    offers = [
        offer(id="ok"),
        offer(id="closed", is_open=False),
        offer(id="expired", available_until=date(2025, 3, 31)),
        offer(id="post-expired", expires_on=date(2025, 1, 1)),
        offer(id="own", organization_id=n.organization_id),
    ]
    assert ids(rank_offers(n, offers, CITY, as_of=AS_OF)) == ["ok"]


def test_expired_or_closed_need_gets_no_suggestions():
    assert rank_offers(need(ends_on=date(2025, 3, 1)), [offer()], CITY, as_of=AS_OF) == []
    assert rank_offers(need(is_open=False), [offer()], CITY, as_of=AS_OF) == []


def test_as_of_decides_expiry_not_the_clock():
    o = offer(available_until=date(2025, 5, 1))
    n = need(starts_on=None, ends_on=None)
    assert ids(rank_offers(n, [o], CITY, as_of=date(2025, 4, 1))) == ["offer-1"]
    assert rank_offers(n, [o], CITY, as_of=date(2025, 6, 1)) == []


def test_form_filter_is_on_by_default_and_off_for_evaluation():
    n = need(forms=["commission"])
    o = offer(forms=["cooperation"])
    assert rank_offers(n, [o], CITY, as_of=AS_OF) == []
    assert ids(rank_offers(n, [o], CITY, as_of=AS_OF, profile=EVALUATION_PROFILE)) == ["offer-1"]


def test_breakdown_adds_up_to_the_score_and_names_every_component():
    n = need()
    res = rank_offers(n, [offer(id="a"), offer(id="b", areas=["minami"])], CITY, as_of=AS_OF)
    for s in res:
        assert sum(s.breakdown().values()) == pytest.approx(s.score, abs=1e-12)
        assert 0.0 <= s.score <= 1.0
        assert s.engine_version == ENGINE_VERSION
        assert {c.name for c in s.components} >= {"text", "area", "form", "period", "fairness"}
        assert s.to_json()["score"] == s.score


def test_reasons_read_like_a_coordinator_note():
    n = need(
        title="野良猫の不妊去勢と地域猫活動",
        description="野良猫の不妊去勢手術を進めます。",
        fields=["environment"],
    )
    o = offer(
        title="地域猫の不妊去勢の支援",
        description="野良猫の不妊去勢の手術費用の助成と捕獲に協力します。",
        fields=["environment"],
    )
    s = rank_offers(n, [o], CITY, as_of=AS_OF)[0]
    keywords = next(r for r in s.reasons if r.startswith("共通するキーワード: "))
    assert "不妊" in keywords or "去勢" in keywords
    assert "分野が一致: 環境" in s.reasons
    assert "活動地域: 北区（テーマと同じ）" in s.reasons
    assert "協働形態が合う: 事業協力" in s.reasons


def test_ranking_is_deterministic_and_ties_break_by_id():
    n = need()
    clones = [offer(id=f"o-{i}", organization_id=f"org-{i}") for i in (3, 1, 2)]
    first = rank_offers(n, clones, CITY, as_of=AS_OF)
    assert ids(first) == ["o-1", "o-2", "o-3"]
    again = rank_offers(n, list(reversed(clones)), CITY, as_of=AS_OF)
    assert [(s.offer_id, s.score, s.reasons) for s in first] == [
        (s.offer_id, s.score, s.reasons) for s in again
    ]


@pytest.mark.parametrize(
    ("title", "description"),
    [
        ("", ""),
        ("😀🎉🙏", "✨✨✨"),
        ("！？＃＄％", "・・・――"),
        ("Community café カフェ 地域の居場所", "English and 日本語 mixed テキスト 123"),
        ("高齢者の見守り", "見守り活動です。" * 2500),  # 20,000 characters
    ],
)
def test_bad_input_is_scored_without_errors(title, description):
    n = need(title=title, description=description, fields=[], areas=[], forms=[])
    res = rank_offers(n, [offer(), offer(id="o-2", organization_id="org-2")], CITY, as_of=AS_OF)
    assert len(res) == 2
    for s in res:
        assert 0.0 <= s.score <= 1.0
        assert sum(s.breakdown().values()) == pytest.approx(s.score)
    if not title.strip("😀🎉🙏！？＃＄％ ") and not description.strip("✨・―"):
        assert any("手がかりとなる語を読み取れない" in w for w in res[0].weaknesses)
        assert "分野の記載なし" in res[0].weaknesses


def test_offer_index_top_k_matches_full_ranking():
    offers = [
        offer(id="o-visit"),
        offer(
            id="o-river",
            title="河川の清掃",
            description="川のごみ拾いをしています。",
            fields=["environment"],
        ),
        offer(
            id="o-kids",
            title="子ども食堂",
            description="子どもの居場所を運営しています。",
            fields=["children"],
        ),
        offer(id="o-salon", title="高齢者サロン", description="お年寄りの居場所を開いています。"),
    ]
    index = OfferIndex.build(offers, CITY)
    full = index.top_offers(need(), as_of=AS_OF, top_k=None)
    top2 = index.top_offers(need(), as_of=AS_OF, top_k=2)
    assert ids(top2) == ids(full)[:2]
    assert ids(full)[0] == "o-visit"


def test_need_index_ranks_needs_for_a_new_offer():
    needs = [
        need(id="n-watch"),
        need(
            id="n-river",
            title="河川敷の清掃",
            description="川のごみを拾う団体を募集します。",
            fields=["environment"],
        ),
        need(id="n-old", ends_on=date(2025, 1, 1)),  # expired
    ]
    index = NeedIndex.build(needs, CITY)
    res = index.top_needs(offer(), as_of=AS_OF, top_k=5)
    assert [s.need_id for s in res] == ["n-watch", "n-river"]
    assert all(s.offer_id == "offer-1" for s in res)


def test_score_batch_ranks_a_chunk_of_needs_with_one_index():
    index = OfferIndex.build([offer(id="a"), offer(id="b", organization_id="org-b")], CITY)
    needs = [need(id="n2"), need(id="n1", title="子育てひろば", description="")]
    out = score_batch(index, needs, as_of=AS_OF, top_k=1)
    assert sorted(out) == ["n1", "n2"]
    assert all(len(v) == 1 for v in out.values())


def test_pre_analysed_text_gives_the_same_result():
    from matching.engine import PostText, analyze_post

    o = offer()
    stored = PostText.from_json(analyze_post(o.title, o.description).to_json())
    a = rank_offers(need(), [o], CITY, as_of=AS_OF)[0]
    b = rank_offers(need(), [replace(o, text=stored)], CITY, as_of=AS_OF)[0]
    assert a.score == b.score and a.reasons == b.reasons


def test_duplicate_ids_are_rejected():
    with pytest.raises(ValueError, match="duplicate"):
        OfferIndex.build([offer(), offer()], CITY)


def test_default_profile_requires_form_overlap():
    assert DEFAULT_PROFILE.require_form_overlap
    assert not EVALUATION_PROFILE.require_form_overlap
