"""Exposure fairness as the platform ranks (the Django adapter): on by default in the
deployment's profile, and an organization already suggested for many other themes yields
its place to a near-equal one. (The engine's side: tests/matching/engine/
test_fairness_default.py; the figures: bench/fairness_bench.py.)"""

from __future__ import annotations

import pytest
from conftest import make_need, make_offer
from workflow_support import suggest

from matching.scoring import adapter

pytestmark = pytest.mark.django_db


def test_the_profile_in_use_has_fairness_on(db):
    profile = adapter.active_profile()
    assert profile.fairness == pytest.approx(0.5)
    assert profile.fairness_saturation == 20
    assert adapter.engine_profile(profile).weights.fairness == pytest.approx(0.5)


def test_an_organization_suggested_for_many_other_themes_yields(people):
    text = {
        "title": "ひとり暮らしの高齢者の見守り訪問",
        "description": "ひとり暮らしの高齢者を定期的に訪問し、安否確認をします。",
        "fields": ["welfare"], "forms": ["cooperation"],
    }  # fmt: skip
    busy = make_offer(people["npo"], areas=["t-kita"], **text)
    quiet = make_offer(people["group"], areas=["t-kita-1"], **text)  # a little less central
    need = make_need(people["department"], areas=["t-kita"], **text)
    others = [make_need(people["department"], **{**text, "title": f"見守り{i}"}) for i in range(25)]

    def first(fairness: float) -> int:
        profile = adapter.active_profile()
        profile.fairness = fairness
        profile.save()
        adapter.clear_caches()
        return int(adapter.rank_for_need(need)[0].offer_id)

    assert first(0.5) == busy.pk  # nothing suggested yet: the better one
    for other in others:
        suggest(other, busy, 0.8)  # busy's group now fills 25 other themes' lists
    assert first(0.0) == busy.pk
    assert first(0.5) == quiet.pk
    ranked = adapter.rank_for_need(need)
    penalised = next(s for s in ranked if int(s.offer_id) == busy.pk)
    assert penalised.breakdown()["fairness"] < 0
    assert any("偏り" in w for w in penalised.weaknesses)
