"""The public web pages (issue 6): layout, 協働メニュー, posts, 団体一覧, 事例集, 協働の進め方.

Rendered with Django's test client as an anonymous visitor."""

from __future__ import annotations

import re

import pytest
from conftest import make_need, make_offer, make_org
from outcomes_support import make_match

PAGES = ["/", "/menu/", "/menu/?type=offers", "/organizations/", "/cases/", "/about/"]


@pytest.fixture
def posts(people):
    return {
        "children": make_need(
            people["department"],
            title="子ども食堂の運営協力",
            description="放課後の子どもに食事を。",
            fields=["children"],
            areas=["t-kita"],
            forms=["cooperation"],
        ),
        "elderly": make_need(
            people["department"], fields=["welfare"], areas=["t-minami"], forms=["commission"]
        ),
        "draft": make_need(people["department"], title="下書きのテーマ", status="draft"),
        "offer": make_offer(people["npo"], fields=["welfare"], areas=["t-kita-1"]),
        "closed_offer": make_offer(people["npo"], title="終了した提供", status="closed"),
    }


@pytest.mark.parametrize("url", PAGES)
def test_every_public_page_renders_for_anonymous(client, people, posts, url):
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="ja">' in html
    assert 'href="#content"' in html and 'id="content"' in html  # skip link
    assert "協働メニュー" in html and "団体一覧" in html and "事例集" in html
    assert "ログイン" in html
    assert 'action="/i18n/setlang/"' in html and "csrfmiddlewaretoken" in html


def test_detail_pages_render(client, people, posts):
    for url in (
        f"/needs/{posts['children'].pk}/",
        f"/offers/{posts['offer'].pk}/",
        f"/organizations/{people['npo'].pk}/",
    ):
        assert client.get(url).status_code == 200, url
    html = client.get(f"/needs/{posts['children'].pk}/").content.decode()
    assert "子ども食堂の運営協力" in html and people["department"].name in html
    assert "放課後の子どもに食事を。" in html


def test_no_external_scripts_or_styles(client, people, posts):
    for url in [*PAGES, f"/needs/{posts['children'].pk}/", "/accounts/login/"]:
        html = client.get(url).content.decode()
        assert not re.search(r"<script[^>]+src=[\"']?(https?:)?//", html), url
        assert not re.search(r"<link[^>]+href=[\"']?(https?:)?//", html), url
        assert "/static/web/site.css" in html


def test_css_is_served_by_the_platform(client, db):
    from django.contrib.staticfiles import finders

    assert finders.find("web/site.css")


def test_home_lists_open_posts_with_organizations(client, people, posts):
    html = client.get("/").content.decode()
    assert "協働テーマ" in html
    assert "子ども食堂の運営協力" in html and people["department"].name in html
    assert "下書きのテーマ" not in html


# --- 協働メニュー ---------------------------------------------------------------------------
def test_menu_search_is_japanese_normalized_and_keeps_the_words(client, people, posts):
    response = client.get("/menu/", {"q": "こども"})
    html = response.content.decode()
    assert "子ども食堂の運営協力" in html
    assert "高齢者の見守り活動の担い手募集" not in html
    assert 'value="こども"' in html


def test_menu_filters_by_field_area_and_form(client, people, posts):
    html = client.get("/menu/", {"field": "welfare"}).content.decode()
    assert "高齢者の見守り" in html and "子ども食堂" not in html
    assert re.search(r'name="field" value="welfare" checked', html)
    # A ward includes the citywide level and its own posts, not the other ward's.
    html = client.get("/menu/", {"area": "t-kita"}).content.decode()
    assert "子ども食堂" in html and "高齢者の見守り" not in html
    assert re.search(r'name="area" value="t-kita" checked', html)
    html = client.get("/menu/", {"form": "commission"}).content.decode()
    assert "高齢者の見守り" in html and "子ども食堂" not in html


def test_menu_filters_take_several_values_and_say_which_they_ignored(client, people, posts):
    # Two fields: either one matches (checkboxes send field=…&field=…).
    html = client.get("/menu/?field=welfare&field=children").content.decode()
    assert "高齢者の見守り" in html and "子ども食堂" in html
    assert re.search(r'name="field" value="welfare" checked', html)
    assert re.search(r'name="field" value="children" checked', html)
    assert "2件選択" in html
    # An unknown code (an old or mistyped link) is dropped, and the page says so.
    response = client.get("/menu/", {"field": "no-such-field", "q": "見守り"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "「活動分野」の「no-such-field」は見つからないため" in html
    assert "この条件を外して検索しました。" in html
    assert "高齢者の見守り" in html
    html = client.get("/organizations/", {"kind": "alien"}).content.decode()
    assert "「種別」の「alien」は見つからないため" in html


def test_menu_offers_tab_and_hidden_posts(client, people, posts):
    html = client.get("/menu/", {"type": "offers"}).content.decode()
    assert "シニアの孤立防止のための訪問活動" in html
    assert "終了した提供" not in html
    assert "子ども食堂" not in html
    assert people["npo"].name in html
    html = client.get("/menu/").content.decode()
    assert "下書きのテーマ" not in html


def test_menu_empty_result_says_so(client, people, posts):
    html = client.get("/menu/", {"q": "存在しないことば"}).content.decode()
    assert "見つかりませんでした" in html


def test_menu_paginates_by_20(client, people):
    for n in range(23):
        make_need(people["department"], title=f"テーマ{n:02d}")
    first = client.get("/menu/").content.decode()
    assert first.count('<li>\n  <h2><a href="/needs/') == 20
    assert "page=2" in first
    second = client.get("/menu/", {"page": 2}).content.decode()
    assert second.count('<li>\n  <h2><a href="/needs/') == 3


def test_draft_and_closed_posts_are_404(client, people, posts):
    assert client.get(f"/needs/{posts['draft'].pk}/").status_code == 404
    assert client.get(f"/offers/{posts['closed_offer'].pk}/").status_code == 404
    assert client.get("/needs/999999/").status_code == 404
    # Even for a member of the posting organization: the public page shows public posts.
    client.force_login(people["staff"])
    assert client.get(f"/needs/{posts['draft'].pk}/").status_code == 404


def test_user_text_is_escaped(client, people):
    need = make_need(people["department"], title="<script>alert(1)</script>")
    for url in ("/", "/menu/", f"/needs/{need.pk}/"):
        html = client.get(url).content.decode()
        assert "<script>alert(1)</script>" not in html, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, url


# --- 団体一覧 -----------------------------------------------------------------------------
def test_organization_pages_never_show_contacts(client, people, posts):
    from organizations.models import Organization

    pages = ["/organizations/"] + [f"/organizations/{o.pk}/" for o in Organization.objects.all()]
    html = "".join(client.get(url).content.decode() for url in pages)
    for org in Organization.objects.all():
        assert org.name in html
        for private in (org.contact_email, org.contact_phone, org.address, org.contact_name):
            assert private and private not in html, private


def test_organization_list_filters_and_inactive(client, people):
    make_org("休止中の会", "citizen_group", is_active=False)
    html = client.get("/organizations/").content.decode()
    assert "休止中の会" not in html and people["npo"].name in html
    html = client.get("/organizations/", {"kind": "citizen_group"}).content.decode()
    assert people["group"].name in html and people["npo"].name not in html
    assert re.search(r'name="kind" value="citizen_group" checked', html)
    html = client.get("/organizations/", {"q": "こそだて"}).content.decode()
    assert people["group"].name in html and people["npo"].name not in html
    inactive = make_org("解散した会", is_active=False)
    assert client.get(f"/organizations/{inactive.pk}/").status_code == 404


def test_organization_detail_lists_only_open_posts(client, people, posts):
    html = client.get(f"/organizations/{people['department'].pk}/").content.decode()
    assert "子ども食堂の運営協力" in html and "下書きのテーマ" not in html


# --- 事例集 -------------------------------------------------------------------------------
def _evaluate(people, match, consents):
    from matching.models import Evaluation

    for key, consent, grade, effects in zip(
        ("department", "npo"), consents, ("B", "A"), ("参加者が増えた", "新しい担い手"), strict=True
    ):
        Evaluation.objects.create(
            match=match, evaluator="party", organization=people[key], grade=grade,
            effects=effects, problems="内部の課題メモ", publish_consent=consent,
        )  # fmt: skip


def test_case_book_shows_only_consented_evaluated_matches(client, people):
    # Issue 13: every party consents (revocable) and a coordinator approves the text.
    from matching.outcomes import case_book

    published = make_match(people, title="公開される協働", state="evaluated", form="co_host")
    _evaluate(people, published, (True, True))
    refused = make_match(people, title="同意のない協働", state="evaluated")
    _evaluate(people, refused, (True, False))
    unapproved = make_match(people, title="評価中の協働", state="completed")
    _evaluate(people, unapproved, (True, True))
    for match, who in ((published, "department"), (published, "npo"), (refused, "department"),
                       (unapproved, "department"), (unapproved, "npo")):  # fmt: skip
        user = people["staff" if who == "department" else "member"]
        case_book.set_consent(match, user, people[who], True)
    for match in (published, refused):
        case_book.approve_text(match, people["coordinator"], "参加者が増えた協働の事例")
    html = client.get("/cases/").content.decode()
    assert "公開される協働" in html
    assert "同意のない協働" not in html and "評価中の協働" not in html
    assert people["department"].name in html and people["npo"].name in html
    assert "参加者が増えた" in html and "A: 目標を上回った" in html
    assert "共催" in html
    assert "内部の課題メモ" not in html
    assert people["npo"].contact_email not in html


def test_case_book_empty(client, db):
    assert "まだ掲載できる事例はありません" in client.get("/cases/").content.decode()


# --- Language -----------------------------------------------------------------------------
def test_language_switch_renders_english(client, people, posts):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/organizations/"})
    assert response.status_code == 302 and response["Location"] == "/organizations/"
    html = client.get("/organizations/").content.decode()
    assert '<html lang="en">' in html
    assert "Keyword" in html and "Field of activity" in html
    html = client.get("/").content.decode()
    assert "Registered organizations" in html
    client.post("/i18n/setlang/", {"language": "ja", "next": "/"})
    assert '<html lang="ja">' in client.get("/").content.decode()
