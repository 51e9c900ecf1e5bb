"""Exposure fairness, measured: how concentrated the suggestions are with and without it,
and what it costs in ranking quality.

    .venv/bin/python bench/fairness_bench.py                       # the three parts
    .venv/bin/python bench/fairness_bench.py --offers 100000 --needs 20000 --skip-demo

* **Concentration**: the share of all suggestions taken by the top 1 % and the top 10 % of
  organizations (those with an open offer, zeros included), the largest single share and
  the Gini coefficient of the suggestion counts per organization; targets: no organization
  above 2 %, the top 10 % below 30 %.
  - **the 10× demo city** (``--skip-demo`` to leave out): a throwaway SQLite database in a
    temporary folder (``migrate``, ``load_demo``, ``load_demo --scale 10``, which stores the
    suggestions of every open need with the real adapter); then full re-scores as the
    worker runs them (``demo.scale.score_demo``: chunks of 200 needs, each organization's
    exposure its open matches plus its current suggestions for the other needs), the
    stored suggestions measured after each; then fairness off (the profile's λ = 0) and
    one more re-score, measured.
  - **the synthetic corpus** (``bench/synth.py``; default 20,000 offers × 4,000 needs, the
    shape of the 100,000 × 20,000 one: five offers per need, three per organization): the
    same procedure on the engine alone (chunks of 100 needs; a need's exposure is the
    other needs' current lists), two passes with fairness, one without.
* **Cost**: nDCG@10 on the dev set (``tests/data/dev.json``), cross-validated (leave one
  need out: weights fitted without the need, ``matching.engine.fitting``), without
  fairness and with it (each need's exposure from the other needs' lists, as above).
* **Speed**: a warm query with fairness on and off (synthetic corpus, p50 / p95).

Exits 1 when a part did not do its work (a need left unranked, no suggestion at all).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import replace
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from bench.round_bench import synthetic_corpus  # noqa: E402
from matching.engine import DEFAULT_PROFILE, OfferIndex, fitting, ranking  # noqa: E402
from matching.engine.assignment import exposure_summary  # noqa: E402
from matching.engine.evaluate import analysed, evaluate_rankings, load_dataset_features  # noqa: E402
from matching.engine.scoring import COMPONENTS  # noqa: E402

AS_OF = date(2025, 4, 1)
TOP_K = 20
FAILURES: list[str] = []
OFF = replace(DEFAULT_PROFILE, weights=replace(DEFAULT_PROFILE.weights, fairness=0.0))


def check(ok: bool, what: str) -> None:
    if not ok:
        FAILURES.append(what)
        print(f"  CHECK FAILED: {what}", flush=True)


def line(name: str, s: dict) -> None:
    met = s["max_share"] <= 0.02 and s["top10_share"] < 0.30
    print(
        f"  {name:34} max {100 * s['max_share']:5.2f} %  top 1 % {100 * s['top1_share']:5.1f} %"
        f"  top 10 % {100 * s['top10_share']:5.1f} %  Gini {s['gini']:.3f}"
        f"  {'(targets met)' if met else ''}",
        flush=True,
    )


# --------------------------------------------------------------------------- dev: the cost


def dev_cost(path: Path, profile=DEFAULT_PROFILE, passes: int = 3) -> dict:
    """Cross-validated nDCG@10 without and with fairness on the labelled dataset."""
    ds = analysed(load_dataset_features(path))
    values = fitting.pair_values(ds)
    cv = fitting.cross_validate(values, ds.judgments)
    org_of = {o.id: o.organization_id for o in ds.offers}
    codes = {o: i for i, o in enumerate(sorted(set(org_of.values())))}
    needs = sorted(values)
    lists: dict[str, list[str]] = {n: [] for n in needs}
    for _ in range(passes):  # until each need's exposure matches the others' lists
        for n in needs:
            pv = values[n]
            w = cv.folds.get(n) or fitting.fit(values, ds.judgments)
            shares = np.asarray([w[c] for c in COMPONENTS], dtype=np.float64)
            scores = pv.values @ (shares / shares.sum())
            counts = Counter(org_of[o] for m in needs if m != n for o in lists[m][:TOP_K])
            exposure = np.asarray([counts.get(org_of[o], 0) for o in pv.ids], dtype=np.float64)
            orgs = np.asarray([codes[org_of[o]] for o in pv.ids], dtype=np.int64)
            id_rank = np.argsort(np.argsort(np.asarray(pv.ids)))
            order = ranking.select(
                scores, exposure, orgs, lambda p, r=id_rank: r[p], profile, len(pv.ids), None
            )
            # a shortlist shows at most LIST_CAP per organization; the rest follow by score
            shown = [pv.ids[i] for i, _e in order]
            left = set(range(len(pv.ids))) - {i for i, _e in order}
            rest = [pv.ids[i] for i in sorted(left, key=lambda i, s=scores: (-s[i], pv.ids[i]))]
            lists[n] = shown + rest + list(pv.excluded)
    plain = evaluate_rankings(cv.rankings, ds.judgments)
    fair = evaluate_rankings(lists, ds.judgments)
    out = {"without": plain, "with": fair, "cost": plain["ndcg@10"] - fair["ndcg@10"]}
    print(f"dev set ({len(ds.needs)} needs × {len(ds.offers)} offers), cross-validated:")
    for name in ("without", "with"):
        m = out[name]
        print(f"  {name + ' fairness':20} nDCG@10 {m['ndcg@10']:.4f}  MRR {m['mrr']:.3f}"
              f"  P@5 {m['p@5']:.3f}")  # fmt: skip
    print(f"  nDCG@10 cost of fairness: {out['cost']:+.4f} (target ≤ 0.01)")
    check(len(lists) == len(values), "dev: a need was not ranked")
    return out


# --------------------------------------------------------------------------- demo city

DEMO_SCRIPT = """
import json
from collections import Counter
from demo.scale import score_demo
from matching.engine.assignment import exposure_summary
from matching.models import Suggestion
from matching.scoring import adapter
from proposals.models import Need, Offer, Status

def measure():
    rows = list(Suggestion.objects.values_list("need_id", "offer__organization_id"))
    counts = Counter(str(org) for _n, org in rows)
    population = {str(o) for o in Offer.objects.filter(status=Status.OPEN)
                  .values_list("organization_id", flat=True)}
    return {"suggestions": len(rows), "needs_with_suggestions": len({n for n, _o in rows}),
            **exposure_summary(counts, population)}

out = {"open_needs": Need.objects.filter(status=Status.OPEN).count()}
out["load"] = measure()  # load_demo --scale: the first full re-score, fairness on
profile = adapter.active_profile()
out["fairness"] = {"lambda": profile.fairness, "saturation": profile.fairness_saturation}
out["ranked"] = []
for _ in range(PASSES):
    out["ranked"].append(score_demo())
    out.setdefault("with", []).append(measure())
profile.fairness = 0.0
profile.save()
out["ranked"].append(score_demo())
out["without"] = measure()
print("FAIRNESS-JSON " + json.dumps(out))
"""


def demo_city(scale: int, passes: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="tsunagu-fairness-bench-") as tmp:
        env = os.environ.copy()
        env.update(
            DATABASE_URL=f"sqlite:///{Path(tmp) / 'demo.sqlite3'}",
            TSUNAGU_VAR_DIR=tmp,
            MATCHING_INDEX_DIR=str(Path(tmp) / "index"),
            CELERY_BROKER_URL="filesystem://localhost//",
            CELERY_BROKER_FOLDER=str(Path(tmp) / "broker"),
        )
        manage = [sys.executable, str(ROOT / "manage.py")]
        for args in (
            ["migrate", "-v0"],
            ["load_demo", "--quiet"],
            ["load_demo", "--scale", str(scale)],
        ):
            subprocess.run([*manage, *args], env=env, check=True, capture_output=True)
        script = DEMO_SCRIPT.replace("PASSES", str(passes))
        out = subprocess.run(
            [*manage, "shell", "-c", script], env=env, check=True, capture_output=True, text=True
        ).stdout
    found = next(x for x in out.splitlines() if x.startswith("FAIRNESS-JSON "))
    result = json.loads(found[len("FAIRNESS-JSON ") :])
    w = result["with"][-1]
    print(f"the demo city ×{scale}: {result['open_needs']} open needs, "
          f"{w['suggestions']:,} suggestions over {w['organizations']} organizations "
          f"with an open offer (λ = {result['fairness']['lambda']}, "
          f"full at {result['fairness']['saturation']})")  # fmt: skip
    line("without fairness", result["without"])
    line("with, as loaded (1st re-score)", result["load"])
    for i, m in enumerate(result["with"], start=2):
        line(f"with, re-score {i}", m)
    check(all(m["suggestions"] > 0 for m in [result["without"], *result["with"]]), "demo: empty")
    check(min(result["ranked"]) > 0, "demo: a re-score stored nothing")
    return result


# --------------------------------------------------------------------------- synthetic


def full_rescore(index, needs, profile, lists: dict, org_of: dict, chunk: int = 100) -> None:
    """One full re-score as the platform runs it (``adapter._rank_needs``): chunks of
    needs; each organization's exposure is its suggestions in the other needs' current
    lists, updated need by need."""
    counts: Counter = Counter(org_of[s] for lst in lists.values() for s in lst)
    fair = profile.weights.fairness > 0
    for start in range(0, len(needs), chunk):
        for need in needs[start : start + chunk]:
            own = Counter(org_of[s] for s in lists.get(need.id, []))
            counts.subtract(own)
            exposure = {o: c for o, c in counts.items() if c > 0} if fair else None
            found = index.top_offers(
                need, as_of=AS_OF, top_k=TOP_K, profile=profile, exposure=exposure
            )
            lists[need.id] = [s.offer_id for s in found]
            counts.update(org_of[s] for s in lists[need.id])


def synthetic(args) -> dict:
    city, offers, needs = synthetic_corpus(
        args.offers, args.needs, args.seed, Path(args.cache_dir), args.jobs
    )
    index = OfferIndex.build(offers, city.hierarchy)
    org_of = {o.id: o.organization_id for o in offers}
    population = {o.organization_id for o in offers if o.is_open}

    def measure(lists: dict) -> dict:
        counts = Counter(org_of[s] for lst in lists.values() for s in lst)
        return {
            "suggestions": sum(counts.values()),
            "needs_ranked": len(lists),
            "needs_with_suggestions": sum(1 for lst in lists.values() if lst),
            **exposure_summary(counts, population),
        }

    print(f"synthetic: {len(needs):,} needs × {len(offers):,} offers, "
          f"{len(population):,} organizations with an open offer", flush=True)  # fmt: skip
    t0 = time.perf_counter()
    plain: dict = {}
    full_rescore(index, needs, OFF, plain, org_of)
    t_plain = time.perf_counter() - t0
    without = measure(plain)
    line("without fairness", without)
    fair: dict = {}
    passes = []
    t0 = time.perf_counter()
    for i in range(args.passes):
        full_rescore(index, needs, DEFAULT_PROFILE, fair, org_of)
        passes.append(measure(fair))
        line(f"with, full re-score {i + 1}", passes[-1])
    t_fair = (time.perf_counter() - t0) / args.passes
    print(f"  a full re-score: {t_plain:.0f} s without fairness, {t_fair:.0f} s with")
    for m in [without, *passes]:
        check(m["needs_ranked"] == len(needs), "synthetic: a need was not ranked")
        check(m["suggestions"] > 0, "synthetic: no suggestion at all")
    # a warm query, with the exposure of the last pass
    counts = Counter(org_of[s] for lst in fair.values() for s in lst)
    sample = needs[: args.queries]
    timing = {}
    for name, profile, exposure in (("off", OFF, None), ("on", DEFAULT_PROFILE, dict(counts))):
        seconds = []
        for need in sample:
            t0 = time.perf_counter()
            index.top_offers(need, as_of=AS_OF, top_k=TOP_K, profile=profile, exposure=exposure)
            seconds.append(time.perf_counter() - t0)
        seconds.sort()
        timing[name] = {
            "p50_ms": 1000 * seconds[len(seconds) // 2],
            "p95_ms": 1000 * seconds[int(0.95 * (len(seconds) - 1))],
        }
    print(f"  a warm query: fairness off p50 {timing['off']['p50_ms']:.1f} / p95 "
          f"{timing['off']['p95_ms']:.1f} ms; on p50 {timing['on']['p50_ms']:.1f} / p95 "
          f"{timing['on']['p95_ms']:.1f} ms")  # fmt: skip
    return {"without": without, "with": passes, "rescore_s": [t_plain, t_fair], "query": timing}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--offers", type=int, default=20_000)
    ap.add_argument("--needs", type=int, default=4_000)
    ap.add_argument("--passes", type=int, default=2, help="full re-scores with fairness")
    ap.add_argument("--queries", type=int, default=200, help="warm queries timed")
    ap.add_argument("--scale", type=int, default=10, help="the demo city's scale")
    ap.add_argument("--dataset", type=Path, default=ROOT / "tests" / "data" / "dev.json")
    ap.add_argument("--skip-demo", action="store_true")
    ap.add_argument("--skip-synthetic", action="store_true")
    ap.add_argument("--jobs", type=int, default=2, help="processes for text analysis (cache)")
    ap.add_argument("--cache-dir", default="/tmp/tsunagu-bench-cache")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()
    print(f"fairness: λ = {DEFAULT_PROFILE.weights.fairness}, full at "
          f"{DEFAULT_PROFILE.fairness_saturation} suggestions elsewhere or at the "
          f"{int(ranking.LIST_SATURATION) + 1}rd offer of one organization in a list")  # fmt: skip
    out: dict = {"dev": dev_cost(args.dataset)}
    if not args.skip_demo:
        out["demo"] = demo_city(args.scale, args.passes)
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
