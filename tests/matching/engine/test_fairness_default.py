"""Exposure fairness is on by default: one organization's near-copies do not fill a list,
an organization suggested for many other themes (or in many matches) yields its place to a
near-equal one, and the breakdown still adds up to the score. The evaluation profile keeps
it off (every offer judged on its own)."""

from __future__ import annotations

import pytest
from engine_helpers import AS_OF, CITY, need, offer

from matching.engine import (
    DEFAULT_PROFILE,
    EVALUATION_PROFILE,
    MatchingProfile,
    OfferIndex,
    Weights,
    rank_offers,
)
from matching.engine.ranking import LIST_CAP, LIST_SATURATION

OFF = MatchingProfile(weights=Weights(fairness=0.0))


def test_fairness_is_on_by_default_and_off_for_evaluation():
    assert DEFAULT_PROFILE.weights.fairness == pytest.approx(0.5)
    assert DEFAULT_PROFILE.fairness_saturation == 20
    assert DEFAULT_PROFILE.fairness_within_batch
    assert EVALUATION_PROFILE.weights.fairness == 0.0
    assert LIST_SATURATION == 2


def test_near_copies_of_one_organization_do_not_fill_the_list():
    """Six copies of one group's offer (as the demo's scale-up makes them) and three other
    groups a little behind: without fairness the copies take the top six; by default the
    other groups come before the group's third offer."""
    n = need()
    copies = [offer(id=f"o-big-{i}", organization_id="org-big") for i in range(6)]
    others = [
        offer(id=f"o-small-{i}", organization_id=f"org-small-{i}", areas=["minami"])
        for i in range(3)
    ]
    plain = [s.offer_id for s in rank_offers(n, copies + others, CITY, as_of=AS_OF, profile=OFF)]
    assert plain[:6] == [f"o-big-{i}" for i in range(6)]
    fair = [s.offer_id for s in rank_offers(n, copies + others, CITY, as_of=AS_OF, top_k=20)]
    assert fair[0] == "o-big-0"
    assert set(fair[1:4]) == {"o-small-0", "o-small-1", "o-small-2"}
    assert fair.index("o-big-1") > fair.index("o-small-2")
    # a shortlist shows at most three offers of one organization
    assert sum(1 for o in fair if o.startswith("o-big")) == LIST_CAP == 3


def test_an_organization_suggested_elsewhere_yields_to_a_near_equal_one():
    n = need()
    busy = offer(id="o-a", organization_id="org-busy")
    quiet = offer(id="o-b", organization_id="org-quiet", areas=["minami"])  # a bit weaker
    assert [s.offer_id for s in rank_offers(n, [busy, quiet], CITY, as_of=AS_OF, profile=OFF)] == [
        "o-a",
        "o-b",
    ]
    # 20 suggestions for other themes: the full penalty λ = 0.5
    res = rank_offers(n, [busy, quiet], CITY, as_of=AS_OF, exposure={"org-busy": 20})
    assert [s.offer_id for s in res] == ["o-b", "o-a"]
    penalised = res[1]
    assert penalised.breakdown()["fairness"] == pytest.approx(-0.5 * sum(
        v for k, v in penalised.breakdown().items() if k != "fairness"
    ))  # fmt: skip
    assert sum(penalised.breakdown().values()) == pytest.approx(penalised.score)
    # half way (10 of 20): half the penalty
    half = rank_offers(n, [busy], CITY, as_of=AS_OF, exposure={"org-busy": 10})[0]
    fairness = next(c for c in half.components if c.name == "fairness")
    assert fairness.value == pytest.approx(0.5) and fairness.weight == pytest.approx(0.5)


def test_exposure_from_elsewhere_and_in_the_list_add_up_to_the_cap():
    n = need()
    offers = [offer(id=f"o-{i}", organization_id="org") for i in range(3)]
    res = rank_offers(n, offers, CITY, as_of=AS_OF, exposure={"org": 10})
    values = [next(c.value for c in s.components if c.name == "fairness") for s in res]
    assert values == pytest.approx([0.5, 1.0, 1.0])  # 10/20, then + 1/2 for the earlier pick


def test_a_batch_counts_each_need_s_list_for_the_needs_after_it():
    index = OfferIndex.build(
        [offer(id="o-a", organization_id="org-a"), offer(id="o-b", organization_id="org-b",
                                                         areas=["minami"])],
        CITY,
    )  # fmt: skip
    needs = [need(id=f"n-{i}") for i in range(30)]
    lists = index.rank_needs_chunk(needs, as_of=AS_OF, top_k=1)
    firsts = [lists[n.id][0].offer_id for n in needs]
    # the better offer first, then, as its organization fills up, the other one too
    assert firsts[0] == "o-a" and "o-b" in firsts
