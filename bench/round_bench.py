"""Match rounds against per-need greedy choices, and the solvers against each other.

    .venv/bin/python bench/round_bench.py                      # all three parts
    .venv/bin/python bench/round_bench.py --skip-demo --needs 2000 --offers 100000
    PYTHONPATH=/path/with/networkx-and-ortools .venv/bin/python bench/round_bench.py --compare

1. **Exactness** (always): 200 small random rounds, the solver's objective equal to brute
   force over every subset, capacities and 募集数 respected.
2. **The 10× demo city** (``--skip-demo`` to leave out): a throwaway SQLite database in a
   temporary folder (``migrate``, ``load_demo --scale 10``), then a round exactly as the
   worker runs it (``matching.rounds.services``: the engine's top-50 per need, the capacity
   left, the fairness price) beside per-need greedy top-1.
3. **Synthetic, 2,000 needs × 100,000 offers** (``bench/synth.py``; texts analysed once and
   cached in ``--cache-dir``): top-50 candidates per need from the engine, remaining
   capacity ``capacity − active matches``, 募集数 1 (2 for every tenth need); the round
   (HiGHS) beside greedy top-1 and greedy in turn; solver time and total time apart. With
   ``--compare`` the same problem is solved by every method importable here (scipy's
   ``milp``, networkx's network simplex, OR-Tools' min-cost flow), each checked to reach
   the same optimum.

Exits 1 when a check fails (an objective differing from brute force or another solver, a
capacity exceeded, an empty round) or the 100k solve takes over ``--max-solve`` seconds:
a benchmark that did not do the work it timed reports nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.engine_bench import analysed  # noqa: E402
from bench.synth import make_city, make_needs, make_offers  # noqa: E402
from matching.engine import ANALYSIS_VERSION, DEFAULT_PROFILE, OfferIndex  # noqa: E402
from matching.engine.assignment import (  # noqa: E402
    Pair,
    Problem,
    RoundFairness,
    brute_force,
    capacity_violations,
    exposure_summary,
    greedy_in_turn,
    greedy_top1,
    objective,
    solve,
)

AS_OF = date(2025, 4, 1)
CANDIDATES = 50
FAILURES: list[str] = []


def check(ok: bool, what: str) -> None:
    if not ok:
        FAILURES.append(what)
        print(f"  CHECK FAILED: {what}", flush=True)


def figures(problem: Problem, pairs) -> dict:
    per_org: dict[str, int] = {}
    for p in pairs:
        org = problem.organization[p.offer_id]
        per_org[org] = per_org.get(org, 0) + 1
    return {
        "pairs": len(pairs),
        "total_score": round(sum(p.score for p in pairs), 3),
        "needs_served": len({p.need_id for p in pairs}),
        "capacity_violations": capacity_violations(problem, pairs),
        "exposure": {
            k: round(v, 4) if isinstance(v, float) else v
            for k, v in exposure_summary(per_org, set(problem.organization.values())).items()
        },
    }


def table(rows: dict[str, dict]) -> None:
    print(
        f"  {'':28} {'pairs':>7} {'served':>7} {'total':>9} {'over':>5} {'top10%':>7} {'gini':>6}"
    )
    for name, f in rows.items():
        e = f["exposure"]
        print(
            f"  {name:28} {f['pairs']:7d} {f['needs_served']:7d} {f['total_score']:9.2f}"
            f" {f['capacity_violations']:5d} {e['top10_share']:7.3f} {e['gini']:6.3f}"
        )


# --------------------------------------------------------------------------- 1. exactness


def exactness(instances: int = 200) -> dict:
    rng = random.Random(2025)
    worst = 0.0
    for _ in range(instances):
        needs, offers = rng.randint(1, 5), rng.randint(1, 6)
        pairs = [
            Pair(f"n{i}", f"o{j}", round(rng.uniform(0.2, 0.95), 3), r)
            for i in range(needs)
            for r, j in enumerate(rng.sample(range(offers), rng.randint(0, min(offers, 4))), 1)
        ][:14]
        problem = Problem(
            pairs=tuple(pairs),
            wanted={f"n{i}": rng.randint(0, 3) for i in range(needs)},
            capacity={f"o{j}": rng.randint(0, 2) for j in range(offers)},
            organization={f"o{j}": f"g{rng.randint(0, 2)}" for j in range(offers)},
            exposure={"g0": rng.randint(0, 4)},
            fairness=RoundFairness(rng.choice([0.0, 0.05, 0.3]), rng.choice([1, 2, 10])),
        )
        best = brute_force(problem)
        found = solve(problem)
        worst = max(worst, abs(found.objective - best.objective))
        check(capacity_violations(problem, found.pairs) == 0, "small round over capacity")
    check(worst < 1e-6, f"solver differs from brute force by {worst}")
    print(f"1. exactness: {instances} random rounds, |solver − brute force| ≤ {worst:.1e}")
    return {"instances": instances, "max_difference": worst}


# --------------------------------------------------------------------------- 2. demo city

DEMO_SCRIPT = """
import json, time
from django.db import transaction
from matching.engine import assignment
from matching.models import MatchRound
from matching.rounds import services
t0 = time.perf_counter()
with transaction.atomic():
    round_ = MatchRound.objects.create(min_score=services.adapter.active_profile().min_score,
                                       fairness=services.adapter.active_profile().fairness)
needs = services._open_needs()
left = services._open_match_counts("need_id", [n.pk for n in needs])
wanted = {n.pk: n.partners_wanted - left.get(n.pk, 0) for n in needs}
needs = [n for n in needs if wanted[n.pk] > 0]
found = services.rank_candidates(needs, round_)
ranked = time.perf_counter() - t0
problem = services.build_problem(found, {str(k): v for k, v in wanted.items()}, round_)
solution = assignment.solve(problem)
summary = services.summarize(problem, solution)
summary["ranking_seconds"] = ranked
summary["total_seconds"] = time.perf_counter() - t0
summary["needs_open"] = len(needs)
summary["needs_with_candidates"] = sum(1 for v in found.values() if v)
print("ROUND-JSON " + json.dumps(summary))
"""


def demo_city(scale: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="tsunagu-round-bench-") as tmp:
        env = os.environ.copy()
        env.update(
            DATABASE_URL=f"sqlite:///{Path(tmp) / 'demo.sqlite3'}",
            TSUNAGU_VAR_DIR=tmp,
            MATCHING_INDEX_DIR=str(Path(tmp) / "index"),
            CELERY_BROKER_URL="filesystem://localhost//",
            CELERY_BROKER_FOLDER=str(Path(tmp) / "broker"),
        )
        manage = [sys.executable, str(ROOT / "manage.py")]
        t0 = time.perf_counter()
        for args in (
            ["migrate", "-v0"],
            ["load_demo", "--quiet"],
            ["load_demo", "--scale", str(scale)],
        ):
            subprocess.run([*manage, *args], env=env, check=True, capture_output=True)
        loaded = time.perf_counter() - t0
        out = subprocess.run(
            [*manage, "shell", "-c", DEMO_SCRIPT],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    line = next(x for x in out.splitlines() if x.startswith("ROUND-JSON "))
    summary = json.loads(line[len("ROUND-JSON ") :])
    print(f"2. the demo city ×{scale} (loaded in {loaded:.0f} s): {summary['needs_open']} needs, "
          f"{summary['candidates']:,} candidate pairs")  # fmt: skip
    table(
        {
            k: summary[k]
            for k in ("round", "round_without_fairness", "greedy_top1", "greedy_in_turn")
        }
    )
    print(f"  ranking {summary['ranking_seconds']:.1f} s, solver {summary['solver_seconds']:.2f} s,"
          f" total {summary['total_seconds']:.1f} s")  # fmt: skip
    check(summary["round"]["pairs"] > 0, "the demo round proposed nothing")
    check(summary["round"]["capacity_violations"] == 0, "the demo round exceeds a capacity")
    return summary


# --------------------------------------------------------------------------- 3. synthetic


def synthetic_corpus(n_offers: int, n_needs: int, seed: int, cache: Path, jobs: int):
    city = make_city()
    tag = ANALYSIS_VERSION.replace("/", "_")
    offers = analysed(
        make_offers(n_offers, city, seed), f"offers-{n_offers}-s{seed}-{tag}", cache, jobs
    )
    needs = analysed(
        make_needs(n_needs, city, seed + 500), f"needs-{n_needs}-s{seed + 500}-{tag}", cache, jobs
    )
    return city, offers, needs


def synthetic(args) -> dict:
    city, offers, needs = synthetic_corpus(
        args.offers, args.needs, args.seed, Path(args.cache_dir), args.jobs
    )
    t_start = time.perf_counter()
    index = OfferIndex.build(offers, city.hierarchy)
    built = time.perf_counter() - t_start
    plain = replace(DEFAULT_PROFILE, weights=replace(DEFAULT_PROFILE.weights, fairness=0.0))
    t0 = time.perf_counter()
    pairs: list[Pair] = []
    for need in needs:
        found = index.top_offers(need, as_of=AS_OF, top_k=CANDIDATES, profile=plain)
        pairs += [Pair(s.need_id, s.offer_id, s.score, r) for r, s in enumerate(found, 1)]
    ranking = time.perf_counter() - t0
    wanted = {n.id: 2 if i % 10 == 0 else 1 for i, n in enumerate(needs)}
    capacity = {o.id: max(0, o.capacity - o.active_matches) for o in offers}
    organization = {o.id: o.organization_id for o in offers}
    scores = sorted(p.score for p in pairs)
    strength = DEFAULT_PROFILE.weights.fairness * scores[len(scores) // 2] if scores else 0.0
    problem = Problem(tuple(pairs), wanted, capacity, organization, {}, RoundFairness(strength, 10))
    t0 = time.perf_counter()
    solution = solve(problem, "highs")
    total_solve = time.perf_counter() - t0  # the model built, solved and read back
    plain = replace(problem, fairness=RoundFairness(0.0))
    rows = {
        "round (HiGHS)": figures(problem, solution.pairs),
        "round, no fairness": figures(plain, solve(plain).pairs),
        "greedy top-1 (per need)": figures(problem, greedy_top1(problem)),
        "greedy in turn": figures(problem, greedy_in_turn(problem)),
    }
    print(f"3. synthetic: {len(needs):,} needs × {len(offers):,} offers, top-{CANDIDATES} each: "
          f"{len(pairs):,} candidate pairs")  # fmt: skip
    print(f"  index {built:.1f} s, ranking {ranking:.1f} s")
    table(rows)
    print(f"  HiGHS: solver {solution.seconds:.2f} s, model + solver {total_solve:.2f} s, "
          f"ranking + solving {ranking + total_solve:.1f} s")  # fmt: skip
    check(solution.pairs != (), "the synthetic round proposed nothing")
    check(
        rows["round (HiGHS)"]["capacity_violations"] == 0, "the synthetic round exceeds a capacity"
    )
    check(
        solution.seconds <= args.max_solve,
        f"solver took {solution.seconds:.1f} s > {args.max_solve} s",
    )
    methods = {
        "highs": {
            "solver_s": solution.seconds,
            "total_s": total_solve,
            "objective": solution.objective,
        }
    }
    if args.compare:
        for method in ("milp", "networkx", "ortools"):
            try:
                t0 = time.perf_counter()
                other = solve(problem, method)
            except ImportError:
                print(f"  {method}: not installed here")
                continue
            total = time.perf_counter() - t0
            same = abs(other.objective - solution.objective) < 1e-3 * max(1, len(pairs) / 1000)
            check(same, f"{method} reaches {other.objective} vs HiGHS {solution.objective}")
            check(capacity_violations(problem, other.pairs) == 0, f"{method} exceeds a capacity")
            methods[method] = {
                "solver_s": other.seconds,
                "total_s": total,
                "objective": other.objective,
            }
            print(f"  {method}: solver {other.seconds:.2f} s, model + solver {total:.2f} s, "
                  f"objective {other.objective:.4f} (HiGHS {solution.objective:.4f})")  # fmt: skip
    return {
        "needs": len(needs),
        "offers": len(offers),
        "candidates": len(pairs),
        "ranking_s": ranking,
        "index_s": built,
        "methods": methods,
        **{k: v for k, v in rows.items()},
        "objective_check": objective(problem, solution.pairs),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--needs", type=int, default=2000)
    ap.add_argument("--offers", type=int, default=100_000)
    ap.add_argument("--scale", type=int, default=10, help="the demo city's scale")
    ap.add_argument("--skip-demo", action="store_true")
    ap.add_argument("--skip-synthetic", action="store_true")
    ap.add_argument("--compare", action="store_true", help="every solver importable here")
    ap.add_argument("--max-solve", type=float, default=10.0, help="seconds allowed (100k)")
    ap.add_argument("--jobs", type=int, default=2, help="processes for text analysis (cache)")
    ap.add_argument("--cache-dir", default="/tmp/tsunagu-bench-cache")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()
    out: dict = {"exactness": exactness()}
    if not args.skip_demo:
        out["demo"] = demo_city(args.scale)
    if not args.skip_synthetic:
        out["synthetic"] = synthetic(args)
    if args.json:
        args.json.write_text(json.dumps(out, indent=1, ensure_ascii=False, default=str))
    if FAILURES:
        print(f"FAILED: {len(FAILURES)} check(s)")
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
