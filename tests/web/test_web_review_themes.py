"""The coordinators' review queue as a person works through it: grouped by theme (the
need), the first N suggestions of each theme shown and the rest folded, scores in words
with the number on hover, and the bulk form still taking pairs from every theme."""

from __future__ import annotations

import re

import pytest
from conftest import make_need, make_offer, make_org
from workflow_support import pair, suggest

from matching.models import Match

pytestmark = pytest.mark.django_db

URL = "/coord/review/"


@pytest.fixture
def coord(client, people):
    client.force_login(people["coordinator"])
    return client


@pytest.fixture
def themes(people):
    """A department's theme with seven suggested offers (0.90 … 0.30), and a group's theme
    with one (0.95)."""
    need, first = pair(people)
    offers = [first] + [
        make_offer(make_org(f"団体{i}"), title=f"シーズ{i}の活動", forms=["cooperation"])
        for i in range(2, 8)
    ]
    for offer, score in zip(offers, (0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3), strict=True):
        suggest(need, offer, score)
    other = make_need(people["group"], title="子育てサロンの講師", forms=["cooperation"])
    suggest(other, first, 0.95)
    return {"need": need, "offers": offers, "other": other}


def _theme(html: str, title: str) -> str:
    """The theme's section of the page."""
    start = html.index(f">{title}</h2>")
    end = html.find('<section class="card coord-theme"', start)
    return html[start : end if end != -1 else len(html)]


def _shown_and_folded(section: str) -> tuple[str, str]:
    cut = section.find('<details class="coord-more">')
    return (section, "") if cut == -1 else (section[:cut], section[cut:])


def test_queue_is_grouped_by_theme_best_theme_first(coord, themes):
    html = coord.get(URL).content.decode()
    titles = re.findall(r'<h2 id="theme-\d+" class="coord-theme-title">([^<]+)</h2>', html)
    assert titles == [themes["other"].title, themes["need"].title]
    assert "2 テーマ・8 件の組合せ" in html


def test_top_five_per_theme_are_shown_and_the_rest_folded(coord, themes):
    html = coord.get(URL).content.decode()
    shown, folded = _shown_and_folded(_theme(html, themes["need"].title))
    for offer in themes["offers"][:5]:
        assert offer.title in shown
    for offer in themes["offers"][5:]:
        assert offer.title not in shown and offer.title in folded
    assert "残りの 2 件を表示" in folded
    assert "組合せ 7 件（上位 5 件を表示）" in shown
    # a theme with fewer suggestions than N folds nothing
    assert '<details class="coord-more">' not in _theme(html, themes["other"].title)


def test_the_number_per_theme_can_be_set(coord, themes):
    html = coord.get(URL, {"per_theme": "2"}).content.decode()
    shown, folded = _shown_and_folded(_theme(html, themes["need"].title))
    assert themes["offers"][1].title in shown and themes["offers"][2].title in folded
    assert "残りの 5 件を表示" in folded and 'value="2"' in html
    # nonsense falls back to the default rather than failing
    response = coord.get(URL, {"per_theme": "abc"})
    assert response.status_code == 200
    shown, _folded = _shown_and_folded(_theme(response.content.decode(), themes["need"].title))
    assert themes["offers"][4].title in shown


def test_scores_read_as_words_with_the_number_on_hover(coord, themes):
    html = coord.get(URL).content.decode()
    assert re.search(r'title="点数 0\.90">合う度合い: 高い', html)
    assert re.search(r'title="点数 0\.50">合う度合い: 中程度', html)
    assert re.search(r'title="点数 0\.40">合う度合い: 低い', html)
    assert re.search(r'title="点数 0\.30">合う度合い: 低い', html)
    # no bare decimal as the pair's label
    assert "選択（点数" not in html


def test_bulk_decision_takes_pairs_from_several_themes_and_folded_ones(coord, themes):
    html = coord.get(URL).content.decode()
    folded_key = f"{themes['need'].pk}:{themes['offers'][6].pk}"
    other_key = f"{themes['other'].pk}:{themes['offers'][0].pk}"
    for key in (folded_key, other_key):
        assert f'name="selected" value="{key}" form="bulk-form"' in html
    response = coord.post(
        "/coord/review/decide/",
        {"selected": [folded_key, other_key], "decision": "approved"},
        follow=True,
    )
    assert "2件の組合せを「承認」にしました。" in response.content.decode()
    assert Match.objects.count() == 2
