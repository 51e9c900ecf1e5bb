"""The round's solver (``matching.engine.assignment``): exact against brute force, never
over a capacity or a 募集数, partners for a need seeking several, and fairness deciding
between near-equal pairs."""

from __future__ import annotations

import random

import pytest

from matching.engine.assignment import (
    Pair,
    Problem,
    RoundFairness,
    brute_force,
    capacity_violations,
    exposure_summary,
    gini,
    greedy_in_turn,
    greedy_top1,
    objective,
    solve,
    top_share,
)


def random_problem(rng: random.Random, max_pairs: int = 14) -> Problem:
    needs, offers = rng.randint(1, 5), rng.randint(1, 6)
    pairs = []
    for i in range(needs):
        for rank, j in enumerate(rng.sample(range(offers), rng.randint(0, min(offers, 4))), 1):
            pairs.append(Pair(f"n{i}", f"o{j}", round(rng.uniform(0.2, 0.95), 3), rank))
    return Problem(
        pairs=tuple(pairs[:max_pairs]),
        wanted={f"n{i}": rng.randint(0, 3) for i in range(needs)},
        capacity={f"o{j}": rng.randint(0, 2) for j in range(offers)},
        organization={f"o{j}": f"g{rng.randint(0, 2)}" for j in range(offers)},
        exposure={"g0": rng.randint(0, 4)},
        fairness=RoundFairness(rng.choice([0.0, 0.05, 0.3]), rng.choice([1, 2, 10])),
    )


@pytest.mark.parametrize("method", ["highs", "milp"])
def test_the_solver_finds_the_best_assignment_brute_force_finds(method):
    rng = random.Random(15)
    for _ in range(150):
        problem = random_problem(rng)
        best = brute_force(problem)
        found = solve(problem, method)
        assert capacity_violations(problem, found.pairs) == 0
        assert found.objective == pytest.approx(best.objective, abs=1e-6)
        assert found.objective == pytest.approx(objective(problem, found.pairs), abs=1e-9)


def test_a_large_round_respects_every_capacity_and_beats_greedy():
    rng = random.Random(7)
    pairs = []
    for i in range(300):
        for rank, j in enumerate(rng.sample(range(400), 20), start=1):
            pairs.append(Pair(f"n{i:03d}", f"o{j:03d}", rng.uniform(0.3, 0.9), rank))
    problem = Problem(
        pairs=tuple(pairs),
        wanted={f"n{i:03d}": rng.choice([1, 1, 2]) for i in range(300)},
        capacity={f"o{j:03d}": rng.choice([0, 1, 1, 2]) for j in range(400)},
        organization={f"o{j:03d}": f"g{j % 150}" for j in range(400)},
        fairness=RoundFairness(0.1, 5),
    )
    found = solve(problem)
    assert capacity_violations(problem, found.pairs) == 0
    in_turn = greedy_in_turn(problem)
    assert capacity_violations(problem, in_turn) == 0
    assert found.objective >= objective(problem, in_turn) - 1e-9
    # each need's own best, ignoring the others, over-books the popular offers
    assert capacity_violations(problem, greedy_top1(problem)) > 0


def test_two_needs_do_not_both_get_the_group_that_has_room_for_one():
    problem = Problem(
        pairs=(
            Pair("a", "popular", 0.90, 1),
            Pair("b", "popular", 0.80, 1),
            Pair("a", "other", 0.85, 2),
            Pair("b", "weak", 0.40, 2),
        ),
        wanted={"a": 1, "b": 1},
        capacity={"popular": 1, "other": 1, "weak": 1},
        organization={"popular": "g1", "other": "g2", "weak": "g3"},
    )
    assert capacity_violations(problem, greedy_top1(problem)) == 1
    found = solve(problem)
    # a → other, b → popular (0.85 + 0.80) beats a → popular, b → weak (0.90 + 0.40)
    assert {(p.need_id, p.offer_id) for p in found.pairs} == {("a", "other"), ("b", "popular")}
    assert found.total_score == pytest.approx(1.65)


def test_a_need_seeking_two_partners_gets_two_different_ones():
    problem = Problem(
        pairs=(
            Pair("need", "o1", 0.9, 1),
            Pair("need", "o2", 0.8, 2),
            Pair("need", "o3", 0.7, 3),
            Pair("other", "o1", 0.6, 1),
        ),
        wanted={"need": 2, "other": 1},
        capacity={"o1": 5, "o2": 1, "o3": 1},
        organization={"o1": "g1", "o2": "g2", "o3": "g3"},
    )
    found = solve(problem)
    assert sorted(p.offer_id for p in found.pairs if p.need_id == "need") == ["o1", "o2"]
    assert [p.offer_id for p in found.pairs if p.need_id == "other"] == ["o1"]


def test_fairness_gives_the_tie_to_the_organization_without_pairs_yet():
    """Two needs, a busy organization with two near-best offers and a newcomer close
    behind: without fairness the busy one takes both; with it the second goes to the
    newcomer."""
    problem = Problem(
        pairs=(
            Pair("n1", "busy-a", 0.80, 1),
            Pair("n2", "busy-b", 0.80, 1),
            Pair("n2", "newcomer", 0.78, 2),
        ),
        wanted={"n1": 1, "n2": 1},
        capacity={"busy-a": 1, "busy-b": 1, "newcomer": 1},
        organization={"busy-a": "busy", "busy-b": "busy", "newcomer": "new"},
        exposure={"busy": 2},
    )
    plain = solve(Problem(**{**problem.__dict__, "fairness": RoundFairness(0.0)}))
    assert {p.offer_id for p in plain.pairs} == {"busy-a", "busy-b"}
    fair = solve(Problem(**{**problem.__dict__, "fairness": RoundFairness(0.2, 10)}))
    assert {p.offer_id for p in fair.pairs} == {"busy-a", "newcomer"}
    assert fair.total_score < plain.total_score  # fairness costs a little score


def test_a_pair_worth_less_than_its_fairness_price_is_not_made():
    problem = Problem(
        pairs=(Pair("n", "o", 0.05, 1),),
        wanted={"n": 1},
        capacity={"o": 1},
        organization={"o": "g"},
        exposure={"g": 10},
        fairness=RoundFairness(0.2, 10),
    )
    assert solve(problem).pairs == ()


def test_no_capacity_no_pairs_and_an_unknown_method_is_refused():
    problem = Problem(
        pairs=(Pair("n", "o", 0.9, 1),), wanted={"n": 1}, capacity={"o": 0}, organization={}
    )
    assert solve(problem).pairs == ()
    with pytest.raises(ValueError):
        solve(Problem((Pair("n", "o", 0.9),), {"n": 1}, {"o": 1}, {}), method="simplex?")
    with pytest.raises(ValueError):
        RoundFairness(-1)


def test_exposure_figures():
    assert gini([1, 1, 1, 1]) == pytest.approx(0.0)
    assert gini([0, 0, 0, 8]) == pytest.approx(0.75)
    assert top_share([10, 0, 0, 0, 0, 0, 0, 0, 0, 0], 0.1) == pytest.approx(1.0)
    summary = exposure_summary({"a": 3, "b": 1}, ["a", "b", "c", "d"])
    assert summary["organizations"] == 4
    assert summary["max_share"] == pytest.approx(0.75)
