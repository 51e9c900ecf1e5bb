"""An anonymous visitor's journey (issue 6): search the 協働メニュー in Japanese (全角/半角
and kana variants find the same posts), open a post, the directory, the case book, the
how-to page, and switch to English and back."""

from __future__ import annotations

import pytest
from conftest import make_need, make_offer
from playwright.sync_api import expect

from tests.browser.conftest import number_in, shot

pytestmark = pytest.mark.browser


@pytest.fixture
def posts(people):
    return {
        "kodomo": make_need(
            people["department"],
            title="子ども食堂の運営協力",
            description="放課後の子どもに温かい食事を。ＰＴＡや地域の方と一緒に運営します。",
            fields=["children"],
            areas=["t-kita"],
            forms=["cooperation"],
        ),
        "elderly": make_need(people["department"], fields=["welfare"], areas=["t-minami"]),
        "offer": make_offer(people["npo"], fields=["welfare"], areas=["t-kita-1"]),
    }


def search(page, words: str) -> int:
    box = page.get_by_role("searchbox", name="キーワード")
    box.fill(words)
    page.get_by_role("button", name="検索", exact=True).click()
    expect(box).to_have_value(words)  # the page came back and kept the words
    return number_in(page.get_by_role("status").inner_text())


def test_anonymous_visitor_searches_reads_and_switches_language(page, posts):
    page.goto("/menu/")
    expect(page).to_have_title("協働メニュー | つなぐ")
    expect(page.get_by_role("heading", name="協働メニュー", level=1)).to_be_visible()
    expect(page.get_by_role("navigation", name="メインメニュー")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    everything = number_in(page.get_by_role("status").inner_text())
    assert everything == 2  # the two open needs; offers are on the other tab
    shot(page, "public-menu")

    # 子ども / こども / 子供 are one word; ＰＴＡ (全角) finds "PTA" typed 半角 and back.
    for words in ("子ども", "こども", "子供", "PTA", "ＰＴＡ", "ｐｔａ", "子ども　ＰＴＡ"):
        assert search(page, words) == 1, words
        expect(page.get_by_role("link", name="子ども食堂の運営協力")).to_be_visible()
    assert search(page, "宇宙開発") == 0
    expect(page.get_by_text("条件に合うものは見つかりませんでした")).to_be_visible()

    # The offers tab, then a filter by field from the select box.
    page.get_by_role("link", name="条件をクリア").click()
    page.get_by_role("link", name="できること（団体の提供）").click()
    expect(page.get_by_role("link", name="できること（団体の提供）")).to_have_attribute(
        "aria-current", "page"
    )
    expect(page.get_by_role("link", name=posts["offer"].title)).to_be_visible()

    # A post page.
    page.get_by_role("link", name="協働テーマ（一緒に取り組みたいこと）").click()
    page.get_by_role("link", name="子ども食堂の運営協力").click()
    expect(page.get_by_role("heading", name="子ども食堂の運営協力", level=1)).to_be_visible()
    expect(page.get_by_text("放課後の子どもに温かい食事を。")).to_be_visible()
    expect(page.get_by_text(posts["kodomo"].organization.name).first).to_be_visible()
    shot(page, "public-post")

    # The directory, the case book, the how-to page, from the main menu.
    nav = page.get_by_role("navigation", name="メインメニュー")
    nav.get_by_role("link", name="団体一覧").click()
    expect(page.get_by_role("heading", name="団体一覧", level=1)).to_be_visible()
    expect(page.get_by_text("NPO法人みどりの手").first).to_be_visible()
    assert "npo-0@" not in page.content()  # private contact details stay private
    shot(page, "public-organizations")
    nav.get_by_role("link", name="事例集").click()
    expect(page.get_by_role("heading", name="事例集", level=1)).to_be_visible()
    nav.get_by_role("link", name="協働の進め方").click()
    expect(page.get_by_role("heading", name="協働の進め方", level=1)).to_be_visible()
    expect(nav.get_by_role("link", name="協働の進め方")).to_have_attribute("aria-current", "page")
    shot(page, "public-about")

    # English and back: the switcher keeps the visitor on the same page.
    page.get_by_label("言語").select_option("en")
    page.get_by_role("button", name="切り替え").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert page.url.endswith("/about/")
    english_nav = page.get_by_role("navigation", name="Main menu")
    expect(english_nav.get_by_role("link", name="Collaboration menu")).to_be_visible()
    page.get_by_label("Language").select_option("ja")
    page.get_by_role("button", name="Change").click()
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(nav.get_by_role("link", name="協働メニュー")).to_be_visible()
