"""Helpers of the match round tests: a small city whose themes compete for one popular group
with room for a single collaboration (the test modules' ``round_city`` fixture)."""

from __future__ import annotations

from conftest import make_need, make_offer, make_org


def build_round_city(people) -> dict:
    """Two elderly-care themes that both want the same popular group (room for one), a
    second group close behind, and a theme about fish farming that no offer fits."""
    dept = people["department"]
    popular = make_offer(
        people["npo"],
        title="ひとり暮らしの高齢者の見守り訪問と安否確認",
        description="民生委員と連携し、ひとり暮らしの高齢者を定期的に訪問して見守ります。",
        fields=["welfare"], areas=["t-kita"], forms=["cooperation"], capacity=1,
    )  # fmt: skip
    second = make_offer(
        people["group"],
        title="高齢者の見守り訪問と傾聴ボランティア",
        description="高齢者のお宅を訪問し、見守りと話し相手をします。",
        fields=["welfare"], areas=["t-kita"], forms=["cooperation"], capacity=1,
    )  # fmt: skip
    need_a = make_need(
        dept, title="ひとり暮らしの高齢者の見守り訪問",
        description="ひとり暮らしの高齢者を定期的に訪問し、安否確認と見守りをしてくれる団体を探しています。",
        fields=["welfare"], areas=["t-kita"], forms=["cooperation"],
    )  # fmt: skip
    need_b = make_need(
        dept, title="ひとり暮らしの高齢者の見守りと安否確認",
        description="ひとり暮らしの高齢者を定期的に訪問し、安否確認をしてくれる団体を募集します。",
        fields=["welfare"], areas=["t-kita"], forms=["cooperation"],
    )  # fmt: skip
    lonely = make_need(
        make_org("テスト市 水産課", "city_department"), title="養殖いけすの網の補修",
        description="漁港の養殖いけすの網を補修する技術者を探しています。",
        fields=["economy"], areas=["t-minami"], forms=["commission"],
    )  # fmt: skip
    return {
        "popular": popular,
        "second": second,
        "need_a": need_a,
        "need_b": need_b,
        "lonely": lonely,
    }
