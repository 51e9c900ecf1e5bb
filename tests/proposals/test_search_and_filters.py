"""Filtering and Japanese-normalized search on needs, offers and organizations."""

from __future__ import annotations

import pytest
from conftest import make_need, make_offer, make_org

pytestmark = pytest.mark.django_db


@pytest.fixture
def posts(people):
    npo, dept = people["npo"], people["department"]
    return {
        "kodomo": make_offer(
            npo,
            title="子ども食堂の運営ボランティア",
            description="毎週土曜に開いています。",
            fields=["children"],
            areas=["t-kita-1"],
            forms=["cooperation"],
        ),
        "senior": make_offer(
            npo,
            title="シニアのスマホ教室",
            description="ＮＰＯ法人として２０回開催しました。",
            fields=["information_society"],
            areas=["t-minami"],
            forms=["commission"],
        ),
        "citywide": make_offer(
            npo,
            title="防災ワークショップ（ＨＵＧ）",
            description="避難所運営ゲームを行います。",
            fields=["disaster"],
            areas=["t-city"],
            forms=["co_host"],
        ),
        "theme": make_need(
            dept,
            title="お囃子の担い手づくり",
            description="祭りの囃子を子供たちに伝えたい。",
            fields=["culture_arts_sports"],
            areas=["t-kita"],
            forms=["co_host"],
        ),
    }


def titles(response):
    assert response.status_code == 200, response.json()
    return {row["title"] for row in response.json()["results"]}


@pytest.mark.parametrize(
    "q, expected",
    [
        ("こども食堂", {"子ども食堂の運営ボランティア"}),  # 子ども / こども
        ("子供", {"子ども食堂の運営ボランティア"}),  # 子ども / 子供
        ("ボランティア", {"子ども食堂の運営ボランティア"}),
        ("ぼらんてぃあ", {"子ども食堂の運営ボランティア"}),  # hiragana finds katakana
        ("ｼﾆｱ", {"シニアのスマホ教室"}),  # half-width katakana
        ("NPO法人", {"シニアのスマホ教室"}),  # half-width finds full-width
        ("20回", {"シニアのスマホ教室"}),
        ("hug", {"防災ワークショップ（ＨＵＧ）"}),  # case and width
        ("防災　ワークショップ", {"防災ワークショップ（ＨＵＧ）"}),  # 全角 space: AND
        ("防災 食堂", set()),
        ("存在しない言葉", set()),
    ],
)
def test_offer_search_normalizes_japanese(api, posts, q, expected):
    assert titles(api.get("/api/v1/offers/", {"q": q})) == expected


def test_need_search_finds_kana_reading_of_kanji(api, posts):
    assert titles(api.get("/api/v1/needs/", {"q": "おはやし"})) == {"お囃子の担い手づくり"}
    assert titles(api.get("/api/v1/needs/", {"q": "こども"})) == {"お囃子の担い手づくり"}


def test_filter_by_field_and_form(api, posts):
    assert titles(api.get("/api/v1/offers/", {"field": "children"})) == {
        "子ども食堂の運営ボランティア"
    }
    both = api.get("/api/v1/offers/", {"field": ["children", "disaster"]})
    assert len(titles(both)) == 2
    assert titles(api.get("/api/v1/offers/", {"form": "commission"})) == {"シニアのスマホ教室"}


def test_area_filter_includes_districts_and_citywide(api, posts):
    # 北区: its district's offer and the citywide one, not 南区's
    assert titles(api.get("/api/v1/offers/", {"area": "t-kita"})) == {
        "子ども食堂の運営ボランティア",
        "防災ワークショップ（ＨＵＧ）",
    }
    assert titles(api.get("/api/v1/offers/", {"area": "t-minami-1"})) == {
        "シニアのスマホ教室",
        "防災ワークショップ（ＨＵＧ）",
    }


def test_unknown_filter_codes_are_400_with_the_field_named(api, posts):
    for params, field in [
        ({"field": "nope"}, "field"),
        ({"area": "atlantis"}, "area"),
        ({"form": "x"}, "form"),
        ({"status": "flying"}, "status"),
        ({"kind": "x"}, "kind"),
        ({"active_on": "昨日"}, "active_on"),
    ]:
        response = api.get("/api/v1/needs/", params)
        assert response.status_code == 400, params
        assert field in response.json()


def test_status_and_kind_filters(api, people, posts):
    make_need(people["npo"], title="市民提案のテーマ")
    api.force_authenticate(people["coordinator"])
    make_need(people["department"], title="締め切ったテーマ", status="closed")
    assert titles(api.get("/api/v1/needs/", {"status": "closed"})) == {"締め切ったテーマ"}
    assert titles(api.get("/api/v1/needs/", {"kind": "citizen"})) == {"市民提案のテーマ"}


def test_active_on_filter(api, people, posts):
    import datetime as dt

    make_offer(people["npo"], title="来年度から", starts_on=dt.date(2027, 4, 1), ends_on=None)
    assert "来年度から" not in titles(api.get("/api/v1/offers/", {"active_on": "2026-05-01"}))
    assert "来年度から" in titles(api.get("/api/v1/offers/", {"active_on": "2027-05-01"}))


def test_organization_search_and_filters(api, people):
    make_org("ＮＰＯ法人 かながわ子育てネット", "npo_corporation", description="子育て支援")
    names = {r["name"] for r in api.get("/api/v1/organizations/", {"q": "npo"}).json()["results"]}
    assert "ＮＰＯ法人 かながわ子育てネット" in names
    kinds = api.get("/api/v1/organizations/", {"kind": "city_department"}).json()["results"]
    assert [r["name"] for r in kinds] == ["テスト市 高齢福祉課"]


def test_pagination(api, people):
    for i in range(25):
        make_offer(people["npo"], title=f"活動{i}")
    page = api.get("/api/v1/offers/").json()
    assert page["count"] == 25 and len(page["results"]) == 20 and page["next"]
    assert len(api.get("/api/v1/offers/", {"page": 2}).json()["results"]) == 5
    assert len(api.get("/api/v1/offers/", {"page_size": 5}).json()["results"]) == 5
    assert api.get("/api/v1/offers/", {"page": 99}).status_code == 404
