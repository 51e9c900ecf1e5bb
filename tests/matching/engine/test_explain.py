"""Reasons a coordinator can check against the two texts: they name what overlaps (and
what is missing), never a bare percentage such as 「内容の17%が重なる」."""

from __future__ import annotations

from engine_helpers import AS_OF, CITY, need, offer

from matching.engine import rank_offers

BROAD = (
    "一人暮らしの高齢者の見守り、買い物の付き添い、配食サービス、災害時の避難支援、"
    "防災訓練の運営、認知症カフェの開催"
)


def test_two_way_reason_names_the_shared_words():
    s = rank_offers(need(), [offer()], CITY, as_of=AS_OF)[0]
    two_way = next(r for r in s.reasons if r.startswith("双方向に合う: "))
    assert "%" not in two_way
    # the synonym pair both texts use, as each side writes it, and a shared word
    assert "高齢者／シニア" in two_way and "訪問" in two_way


def test_one_way_weakness_names_what_the_offer_lacks():
    n = need(
        title="高齢者の見守りと買い物支援と配食と防災訓練", description=BROAD + "を募集します。"
    )
    o = offer(title="高齢者の見守り", description="高齢者の見守り")
    s = rank_offers(n, [o], CITY, as_of=AS_OF)[0]
    weakness = next(w for w in s.weaknesses if w.startswith("一方向の一致: "))
    assert weakness.startswith("一方向の一致: テーマの「")
    assert "配食" in weakness and "防災訓練" in weakness and "見守り" not in weakness


def test_one_way_weakness_names_what_the_need_does_not_ask_for():
    n = need(title="見守り", description="高齢者の見守り")
    o = offer(title="高齢者の見守りと買い物支援と配食と防災訓練", description=BROAD + "をします。")
    s = rank_offers(n, [o], CITY, as_of=AS_OF)[0]
    weakness = next(w for w in s.weaknesses if w.startswith("一方向の一致: "))
    assert weakness.startswith("一方向の一致: 提案の「") and "はテーマに出てこない" in weakness
    assert "配食" in weakness


def test_no_reason_is_a_bare_share_of_the_content():
    for n, o in [(need(), offer()), (need(title="見守り", description="高齢者の見守り"), offer())]:
        s = rank_offers(n, [o], CITY, as_of=AS_OF)[0]
        assert not [r for r in s.reasons + s.weaknesses if "内容の" in r and "%" in r]
