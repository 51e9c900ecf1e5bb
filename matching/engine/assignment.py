"""A match round's global assignment: which offer goes to which need, all at once.

Per-need lists rank partners for one need at a time, so two needs can both be given the one
group that has room for one. A *round* assigns every open need at once (マッチングラウンド):
each need seeks ``wanted`` partners (募集数), each offer has ``capacity`` places left, and
the pairs chosen maximise the total score minus a fairness price for an organization's
further pairs. No Django: the caller gives the candidate pairs (the engine's top-50 per need,
above the score floor), the places and the organizations.

The problem is a min-cost flow::

    source ─(wanted)→ need ─(1, −score)→ offer ─(capacity)→ organization ─(1, price₁)→ sink
                                                                       ╰(1, priceₜ)→ sink  t ≥ 2

with the fairness price of an organization's t-th pair in the round increasing in t (convex),
so the flow takes an organization's cheaper units first. Solved as a linear programme by
HiGHS (``scipy.optimize.linprog``): the constraint rows are needs, offers and organizations —
two laminar families of edge sets — so the matrix is totally unimodular and the simplex's
vertex solution is integral (checked; ``milp`` with integrality is the fallback). The same
network can be given to networkx's network simplex or OR-Tools' min-cost flow
(``method=``): ``bench/round_bench.py`` measures them, the choice is in docs/decisions.md.

Everything here is deterministic: pairs are put in (need, offer) order before the solve.
"""

from __future__ import annotations

import itertools
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

# Flow solvers want integer costs: scores (in [0, 1]) are counted in millionths.
COST_SCALE = 1_000_000
_INTEGRAL_TOL = 1e-6


@dataclass(frozen=True)
class Pair:
    """A candidate pair of a round: the engine's score without fairness, and the offer's
    place in the need's own list (1 = the need's best)."""

    need_id: str
    offer_id: str
    score: float
    rank: int = 0


@dataclass(frozen=True)
class RoundFairness:
    """The price of an organization's further pairs, in score units.

    An organization with ``existing`` open matches pays, for its t-th pair of the round
    (t = 1, 2, …), ``strength · min(1, (existing + t − 1) / saturation)``: nothing for a
    first pair when it has no match yet, then more with each pair up to ``strength``. A
    pair worth less than its price is not made; between two near-equal pairs the less busy
    organization wins. ``strength = 0`` switches fairness off.
    """

    strength: float = 0.0
    saturation: int = 10

    def __post_init__(self) -> None:
        if not np.isfinite(self.strength) or self.strength < 0:
            raise ValueError("fairness strength must be a finite number ≥ 0")
        if self.saturation < 1:
            raise ValueError("fairness saturation must be ≥ 1")

    def price(self, existing: int, t: int) -> float:
        return self.strength * min(1.0, (max(existing, 0) + t - 1) / self.saturation)


@dataclass(frozen=True)
class Problem:
    pairs: tuple[Pair, ...]
    wanted: Mapping[str, int]  # need id → partners still sought (募集数 minus open matches)
    capacity: Mapping[str, int]  # offer id → places left
    organization: Mapping[str, str]  # offer id → its organization
    exposure: Mapping[str, int] = field(default_factory=dict)  # organization → open matches
    fairness: RoundFairness = field(default_factory=RoundFairness)

    def usable(self) -> list[Pair]:
        """The pairs the round may choose: one per (need, offer), both with a place left,
        in (need, offer) order."""
        best: dict[tuple[str, str], Pair] = {}
        for p in self.pairs:
            key = (p.need_id, p.offer_id)
            if self.wanted.get(p.need_id, 0) <= 0 or self.capacity.get(p.offer_id, 0) <= 0:
                continue
            if key not in best or p.score > best[key].score:
                best[key] = p
        return [best[k] for k in sorted(best)]


@dataclass(frozen=True)
class Solution:
    pairs: tuple[Pair, ...]  # chosen, in (need, offer) order
    total_score: float  # Σ score of the chosen pairs
    objective: float  # total score − the fairness prices paid
    solver: str
    seconds: float  # the solver's own time (building the model not counted)


# --------------------------------------------------------------------------- the network


@dataclass
class _Network:
    pairs: list[Pair]
    need_of: np.ndarray  # per pair: need code
    offer_of: np.ndarray  # per pair: offer code
    org_of: np.ndarray  # per pair: organization code
    wanted: np.ndarray  # per need code
    capacity: np.ndarray  # per offer code
    first_price: np.ndarray  # per organization code: the price of its first pair
    extra: list[tuple[int, float]]  # (organization code, price above the first) per unit t ≥ 2
    offer_org: np.ndarray  # per offer code: organization code


def _network(problem: Problem) -> _Network:
    pairs = problem.usable()
    needs = sorted({p.need_id for p in pairs})
    offers = sorted({p.offer_id for p in pairs})
    orgs = sorted({problem.organization.get(o, f"offer:{o}") for o in offers})
    need_code = {n: i for i, n in enumerate(needs)}
    offer_code = {o: i for i, o in enumerate(offers)}
    org_code = {o: i for i, o in enumerate(orgs)}
    offer_org = np.asarray(
        [org_code[problem.organization.get(o, f"offer:{o}")] for o in offers], dtype=np.int64
    )
    need_of = np.asarray([need_code[p.need_id] for p in pairs], dtype=np.int64)
    offer_of = np.asarray([offer_code[p.offer_id] for p in pairs], dtype=np.int64)
    org_of = offer_org[offer_of] if len(pairs) else np.zeros(0, dtype=np.int64)
    wanted = np.asarray([problem.wanted[n] for n in needs], dtype=np.int64)
    capacity = np.asarray([problem.capacity[o] for o in offers], dtype=np.int64)
    fair = problem.fairness
    first = np.asarray([fair.price(problem.exposure.get(o, 0), 1) for o in orgs], dtype=np.float64)
    extra: list[tuple[int, float]] = []
    if fair.strength > 0:
        degree = np.bincount(org_of, minlength=len(orgs))
        room = np.bincount(offer_org, weights=capacity, minlength=len(orgs))
        # An organization can take at most min(its candidate pairs, its places) pairs.
        for code, org in enumerate(orgs):
            units = int(min(degree[code], room[code]))
            existing = problem.exposure.get(org, 0)
            for t in range(2, units + 1):
                extra.append((code, fair.price(existing, t) - first[code]))
    return _Network(pairs, need_of, offer_of, org_of, wanted, capacity, first, extra, offer_org)


def _result(problem: Problem, net: _Network, chosen: np.ndarray, solver: str, seconds: float):
    picked = tuple(p for p, on in zip(net.pairs, chosen, strict=True) if on)
    return Solution(
        pairs=picked,
        total_score=float(sum(p.score for p in picked)),
        objective=objective(problem, picked),
        solver=solver,
        seconds=seconds,
    )


def objective(problem: Problem, pairs: Iterable[Pair]) -> float:
    """Total score of ``pairs`` minus the fairness prices their organizations pay."""
    per_org: dict[str, int] = defaultdict(int)
    total = 0.0
    for p in pairs:
        org = problem.organization.get(p.offer_id, f"offer:{p.offer_id}")
        per_org[org] += 1
        total += p.score
    fair = problem.fairness
    for org, n in per_org.items():
        existing = problem.exposure.get(org, 0)
        total -= sum(fair.price(existing, t) for t in range(1, n + 1))
    return float(total)


# --------------------------------------------------------------------------- solvers


def solve(problem: Problem, method: str = "highs") -> Solution:
    """The assignment with the highest total score minus fairness prices (exact).

    ``method``: ``"highs"`` (default; scipy's HiGHS simplex on the LP), ``"milp"`` (HiGHS
    branch and bound with integrality), ``"networkx"`` (network simplex), ``"ortools"``
    (OR-Tools' min-cost flow). The last two need their library installed (benchmarks).
    """
    net = _network(problem)
    if not net.pairs:
        return Solution((), 0.0, 0.0, method, 0.0)
    solver = {
        "highs": _solve_lp,
        "milp": _solve_milp,
        "networkx": _solve_networkx,
        "ortools": _solve_ortools,
    }.get(method)
    if solver is None:
        raise ValueError(f"unknown method {method!r}")
    chosen, seconds = solver(net, problem.fairness.strength > 0)
    return _result(problem, net, chosen, method, seconds)


def _lp(net: _Network):
    """c, A_ub, b_ub of the LP (minimise c·z, z = pair variables then extra units)."""
    from scipy import sparse

    m = len(net.pairs)
    k = len(net.extra)
    scores = np.asarray([p.score for p in net.pairs], dtype=np.float64)
    c = np.concatenate([-(scores - net.first_price[net.org_of]), [u[1] for u in net.extra]])
    rows, cols, vals, bounds = [], [], [], []
    row = 0

    def add(members: np.ndarray, groups: np.ndarray, limit: np.ndarray, binding: np.ndarray):
        nonlocal row
        # one row per group whose members could exceed its limit (the others never bind)
        codes = np.flatnonzero(binding)
        index = np.full(len(binding), -1, dtype=np.int64)
        index[codes] = row + np.arange(len(codes))
        keep = index[groups] >= 0
        rows.append(index[groups][keep])
        cols.append(members[keep])
        vals.append(np.ones(int(keep.sum())))
        bounds.append(limit[codes].astype(np.float64))
        row += len(codes)

    pair_ids = np.arange(m)
    need_deg = np.bincount(net.need_of, minlength=len(net.wanted))
    add(pair_ids, net.need_of, net.wanted, need_deg > net.wanted)
    offer_deg = np.bincount(net.offer_of, minlength=len(net.capacity))
    add(pair_ids, net.offer_of, net.capacity, offer_deg > net.capacity)
    if k:
        orgs_with_units = np.zeros(len(net.first_price), dtype=bool)
        unit_org = np.asarray([u[0] for u in net.extra], dtype=np.int64)
        orgs_with_units[unit_org] = True
        org_row = np.full(len(net.first_price), -1, dtype=np.int64)
        codes = np.flatnonzero(orgs_with_units)
        org_row[codes] = row + np.arange(len(codes))
        # Σ pairs of the organization − Σ its extra units ≤ 1
        keep = org_row[net.org_of] >= 0
        rows += [org_row[net.org_of][keep], org_row[unit_org]]
        cols += [pair_ids[keep], m + np.arange(k)]
        vals += [np.ones(int(keep.sum())), -np.ones(k)]
        bounds.append(np.ones(len(codes)))
        row += len(codes)
    a = sparse.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(row, m + k)
    )
    return c, a, np.concatenate(bounds) if bounds else np.zeros(0)


def _solve_lp(net: _Network, priced: bool) -> tuple[np.ndarray, float]:
    from scipy.optimize import linprog

    c, a, b = _lp(net)
    t0 = time.perf_counter()
    res = linprog(c, A_ub=a if a.shape[0] else None, b_ub=b if a.shape[0] else None,
                  bounds=(0, 1), method="highs-ds")  # fmt: skip
    seconds = time.perf_counter() - t0
    if res.status != 0:
        raise RuntimeError(f"HiGHS did not solve the round: {res.message}")
    x = res.x[: len(net.pairs)]
    if np.any(np.abs(x - np.round(x)) > _INTEGRAL_TOL):
        chosen, more = _solve_milp(net, priced)  # not expected (the matrix is unimodular)
        return chosen, seconds + more
    return np.round(x) > 0.5, seconds


def _solve_milp(net: _Network, priced: bool) -> tuple[np.ndarray, float]:
    from scipy.optimize import Bounds, LinearConstraint, milp

    c, a, b = _lp(net)
    t0 = time.perf_counter()
    constraints = [LinearConstraint(a, -np.inf, b)] if a.shape[0] else []
    res = milp(c, constraints=constraints, integrality=np.ones(len(c)), bounds=Bounds(0, 1))
    seconds = time.perf_counter() - t0
    if res.status != 0:
        raise RuntimeError(f"HiGHS did not solve the round: {res.message}")
    return np.round(res.x[: len(net.pairs)]) > 0.5, seconds


def _flow_arcs(net: _Network, priced: bool):
    """The min-cost flow network as arcs (tail, head, capacity, integer cost) and the
    supply; nodes ("n", i), ("o", j), ("g", org), ("u", unit), "source", "sink". Pair arcs
    first, in pair order. An organization's t-th unit to the sink costs its t-th price;
    parallel arcs go through a node of their own (networkx's DiGraph has no multi-arcs)."""
    arcs: list[tuple[object, object, int, int]] = [
        (("n", int(i)), ("o", int(j)), 1, -round(p.score * COST_SCALE))
        for p, i, j in zip(net.pairs, net.need_of, net.offer_of, strict=True)
    ]
    supply = int(net.wanted.sum())
    for i, w in enumerate(net.wanted):
        arcs.append(("source", ("n", i), int(w), 0))
    for j, cap in enumerate(net.capacity):
        arcs.append((("o", j), ("g", int(net.offer_org[j])), int(cap), 0))
    for g, price in enumerate(net.first_price):
        # without fairness an organization takes as many pairs as its offers have places
        arcs.append((("g", g), "sink", 1 if priced else supply, round(price * COST_SCALE)))
    for n, (g, extra) in enumerate(net.extra):
        arcs.append((("g", g), ("u", n), 1, round((net.first_price[g] + extra) * COST_SCALE)))
        arcs.append((("u", n), "sink", 1, 0))
    arcs.append(("source", "sink", supply, 0))  # needs may stay unserved
    return arcs, supply


def _solve_networkx(net: _Network, priced: bool) -> tuple[np.ndarray, float]:
    import networkx as nx

    arcs, supply = _flow_arcs(net, priced)
    graph = nx.DiGraph()
    graph.add_node("source", demand=-supply)
    graph.add_node("sink", demand=supply)
    for tail, head, cap, cost in arcs:
        graph.add_edge(tail, head, capacity=cap, weight=cost)
    t0 = time.perf_counter()
    _cost, flow = nx.network_simplex(graph)
    seconds = time.perf_counter() - t0
    chosen = np.asarray(
        [
            flow[("n", int(i))][("o", int(j))] > 0
            for i, j in zip(net.need_of, net.offer_of, strict=True)
        ],
        dtype=bool,
    )
    return chosen, seconds


def _solve_ortools(net: _Network, priced: bool) -> tuple[np.ndarray, float]:
    from ortools.graph.python import min_cost_flow

    arcs, supply = _flow_arcs(net, priced)
    names: dict[object, int] = {}
    for tail, head, _cap, _cost in arcs:
        names.setdefault(tail, len(names))
        names.setdefault(head, len(names))
    mcf = min_cost_flow.SimpleMinCostFlow()
    tails = np.asarray([names[a[0]] for a in arcs], dtype=np.int32)
    heads = np.asarray([names[a[1]] for a in arcs], dtype=np.int32)
    caps = np.asarray([a[2] for a in arcs], dtype=np.int64)
    costs = np.asarray([a[3] for a in arcs], dtype=np.int64)
    ids = mcf.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    supplies = np.zeros(len(names), dtype=np.int64)
    supplies[names["source"]] = supply
    supplies[names["sink"]] = -supply
    mcf.set_nodes_supplies(np.arange(len(names)), supplies)
    t0 = time.perf_counter()
    status = mcf.solve()
    seconds = time.perf_counter() - t0
    if status != mcf.OPTIMAL:
        raise RuntimeError(f"OR-Tools did not solve the round (status {status})")
    flows = mcf.flows(ids[: len(net.pairs)])
    return np.asarray(flows) > 0, seconds


def brute_force(problem: Problem) -> Solution:
    """Every feasible subset of the pairs tried: the exact answer on a small instance
    (tests and the round bench's self-check; 2^pairs work)."""
    pairs = problem.usable()
    if len(pairs) > 22:
        raise ValueError("brute force is for at most 22 pairs")
    t0 = time.perf_counter()
    best: tuple[float, tuple[Pair, ...]] = (0.0, ())
    for n in range(1, len(pairs) + 1):
        for subset in itertools.combinations(pairs, n):
            if capacity_violations(problem, subset):
                continue
            value = objective(problem, subset)
            if value > best[0] + 1e-12:
                best = (value, subset)
    picked = best[1]
    return Solution(
        picked, float(sum(p.score for p in picked)), best[0], "brute", time.perf_counter() - t0
    )


# --------------------------------------------------------------------------- baselines


def _by_need(pairs: Iterable[Pair]) -> dict[str, list[Pair]]:
    out: dict[str, list[Pair]] = defaultdict(list)
    for p in pairs:
        out[p.need_id].append(p)
    for lst in out.values():
        lst.sort(key=lambda p: (-p.score, p.rank, p.offer_id))
    return out


def greedy_top1(problem: Problem) -> tuple[Pair, ...]:
    """What per-need lists give: each need takes its own best ``wanted`` partners, as if
    nobody else asked for them (capacity ignored: see ``capacity_violations``)."""
    out: list[Pair] = []
    for need, lst in sorted(_by_need(problem.usable()).items()):
        out += lst[: problem.wanted.get(need, 0)]
    return tuple(out)


def greedy_in_turn(problem: Problem) -> tuple[Pair, ...]:
    """Needs in id order, each taking its best partners that still have a place."""
    left = dict(problem.capacity)
    out: list[Pair] = []
    for need, lst in sorted(_by_need(problem.usable()).items()):
        room = problem.wanted.get(need, 0)
        for p in lst:
            if room <= 0:
                break
            if left.get(p.offer_id, 0) > 0:
                left[p.offer_id] -= 1
                room -= 1
                out.append(p)
    return tuple(out)


def capacity_violations(problem: Problem, pairs: Iterable[Pair]) -> int:
    """Places given beyond an offer's capacity plus partners beyond a need's 募集数 (and
    the same pair twice)."""
    per_offer: dict[str, int] = defaultdict(int)
    per_need: dict[str, int] = defaultdict(int)
    seen: set[tuple[str, str]] = set()
    over = 0
    for p in pairs:
        if (p.need_id, p.offer_id) in seen:
            over += 1
        seen.add((p.need_id, p.offer_id))
        per_offer[p.offer_id] += 1
        per_need[p.need_id] += 1
    over += sum(max(0, n - problem.capacity.get(o, 0)) for o, n in per_offer.items())
    over += sum(max(0, n - problem.wanted.get(k, 0)) for k, n in per_need.items())
    return over


# --------------------------------------------------------------------------- exposure


def gini(counts: Sequence[float]) -> float:
    """Gini coefficient of exposure counts (0: everyone the same; →1: one takes all)."""
    x = np.sort(np.asarray(counts, dtype=np.float64))
    n = len(x)
    if n == 0 or x.sum() <= 0:
        return 0.0
    return float((2 * np.arange(1, n + 1) - n - 1).dot(x) / (n * x.sum()))


def top_share(counts: Sequence[float], fraction: float) -> float:
    """Share of the total held by the top ``fraction`` of the population (at least one)."""
    x = np.sort(np.asarray(counts, dtype=np.float64))[::-1]
    if len(x) == 0 or x.sum() <= 0:
        return 0.0
    k = max(1, int(np.ceil(fraction * len(x))))
    return float(x[:k].sum() / x.sum())


def exposure_summary(per_org: Mapping[str, int], population: Iterable[str]) -> dict[str, float]:
    """How concentrated ``per_org`` counts are over ``population`` (every organization that
    could have been chosen, zeros included): the largest share, the top 1 % and top 10 %
    shares, and the Gini coefficient."""
    counts = [float(per_org.get(o, 0)) for o in set(population) | set(per_org)]
    total = sum(counts)
    return {
        "organizations": len(counts),
        "max_share": max(counts) / total if total else 0.0,
        "top1_share": top_share(counts, 0.01),
        "top10_share": top_share(counts, 0.10),
        "gini": gini(counts),
    }
