"""What the semantic component (issue 15) costs a query and an index build.

    .venv/bin/python bench/semantic_bench.py --offers 100000 [--json]

On N synthetic offers (``bench/synth.py``; analysed texts cached like ``index_bench.py``),
the index saved as a segment and opened memory-mapped (as every process opens it), the same
100 needs ranked in turn (interleaved, so machine load hits all alike) by:

* ``engine``: the default weights (learned), fairness off;
* ``no_semantic``: the same with the semantic weight at 0 (its value is still shown, so
  the difference is the pruning and bound work the weight causes);
* ``floor``: one sparse product over the need's terms and the top 20 (``index_bench.py``).

Also: the time the index build spends on the posts' vectors, and how many candidates per
query get an exact semantic value. Exits 1 when a ranking came back empty.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.engine_bench import analysed, pct  # noqa: E402
from bench.index_bench import floor_top  # noqa: E402
from bench.synth import make_city, make_needs, make_offers  # noqa: E402
from matching.engine import MatchingProfile, OfferIndex, Weights, segment  # noqa: E402
from matching.engine.index import _PostIndex, _TextQuery, post_text  # noqa: E402
from matching.engine.text import load_lexicon  # noqa: E402

AS_OF = date(2025, 4, 1)
TOP = 20


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--offers", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=100)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--cache-dir", default="/tmp/tsunagu-bench-cache")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    lexicon = load_lexicon()
    version = lexicon.analysis_version.replace(":", "-")
    city = make_city()
    cache = Path(args.cache_dir)
    offers = analysed(
        make_offers(args.offers, city, args.seed),
        f"offers-{args.offers}-s{args.seed}-{version}",
        cache,
        args.jobs,
    )
    needs = analysed(
        make_needs(args.queries, city, args.seed + 100),
        f"queries-{args.queries}-s{args.seed}-{version}",
        cache,
        args.jobs,
    )

    spent = {"vectors": 0.0}
    build_semantic = _PostIndex._build_semantic

    def timed(self):
        t = time.perf_counter()
        build_semantic(self)
        spent["vectors"] += time.perf_counter() - t

    _PostIndex._build_semantic = timed
    t = time.perf_counter()
    built = OfferIndex.build(offers, city.hierarchy, lexicon=lexicon)
    build_s = time.perf_counter() - t
    _PostIndex._build_semantic = build_semantic
    work = Path(tempfile.mkdtemp(prefix="tsunagu-semantic-bench-"))
    segment.save(built, work / "segment")
    index = segment.load(work / "segment", city.hierarchy, lexicon)

    profiles = {
        "engine": MatchingProfile(name="engine"),
        "no_semantic": MatchingProfile(name="no-semantic", weights=Weights(semantic=0.0)),
    }
    exact_rows: list[int] = []
    values = index.semantic_values

    def counting(rows, q):
        exact_rows.append(len(rows))
        return values(rows, q)

    times: dict[str, list[float]] = {name: [] for name in [*profiles, "floor"]}
    empty = 0
    for rep in range(2):  # the first pass warms caches; both count
        for need in needs:
            for name, profile in profiles.items():
                index.semantic_values = counting if name == "engine" and rep else values
                t = time.perf_counter()
                found = index.top_offers(need, as_of=AS_OF, top_k=TOP, profile=profile)
                times[name].append(time.perf_counter() - t)
                empty += not found
            q = _TextQuery(index, post_text(need, lexicon))
            t = time.perf_counter()
            floor_top(index, q)
            times["floor"].append(time.perf_counter() - t)
    index.semantic_values = values

    result = {
        "offers": args.offers,
        "build_s": round(build_s, 2),
        "build_vectors_s": round(spent["vectors"], 2),
        **{f"{name}_p50_ms": round(pct(v, 0.5) * 1000, 2) for name, v in times.items()},
        **{f"{name}_p95_ms": round(pct(v, 0.95) * 1000, 2) for name, v in times.items()},
        "exact_semantic_rows_per_query": round(sum(exact_rows) / max(len(needs), 1)),
        "segment_semantic_mib": round(
            sum(
                (work / "segment" / f"{name}.npy").stat().st_size
                for name in ("semantic_docs", "semantic_norm", "semantic_on_axes", "semantic_rest")
            )
            / 2**20,
            1,
        ),
        "empty_rankings": empty,
    }
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>32}: {value}")
    return 1 if empty else 0


if __name__ == "__main__":
    sys.exit(main())
