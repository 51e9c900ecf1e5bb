"""Benchmark of the scoring engine on synthetic posts (``bench/synth.py``).

    .venv/bin/python bench/engine_bench.py              # 100,000 offers, 20,000 needs
    .venv/bin/python bench/engine_bench.py --scale 0.1  # quick run

Reports, side by side in one run:
  * text analysis (Sudachi) throughput, index build time and resident memory (RSS delta);
  * top-20 offers for a new need among all offers: p50 / p95 / max latency on one core;
  * top-20 needs for a new offer among all needs;
  * a naive per-pair Python loop with rapidfuzz on a sample, extrapolated to all offers;
  * ``OfferIndex.rank_needs_chunk`` for 2,000 needs × all offers, single process.

Text analysis is cached (``--cache-dir``) because the Django side stores analysed text too.
"""

from __future__ import annotations

import argparse
import gc
import os
import pickle
import sys
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rapidfuzz import fuzz

from bench.synth import make_city, make_needs, make_offers
from matching.engine import (
    DEFAULT_PROFILE,
    NeedIndex,
    OfferIndex,
    PostText,
    analyze_post,
)

AS_OF = date(2025, 4, 1)


def rss_mib() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def _analyze(item: tuple[str, str]):
    return analyze_post(*item)


def analysed(posts, label: str, cache_dir: Path, jobs: int):
    """Attach analysed text to posts; cached by label."""
    path = cache_dir / f"{label}.pkl"
    if path.exists():
        # Stored as JSON-able values, as the Django side stores them; from_json interns.
        texts = [PostText.from_json(d) for d in pickle.loads(path.read_bytes())]
        print(f"  {label}: analysed text loaded from cache ({len(texts):,})")
    else:
        t0 = time.perf_counter()
        items = [(p.title, p.description) for p in posts]
        if jobs > 1:
            from multiprocessing import Pool

            with Pool(jobs) as pool:
                texts = pool.map(_analyze, items, chunksize=500)
        else:
            texts = [_analyze(i) for i in items]
        dt = time.perf_counter() - t0
        print(
            f"  {label}: analysed {len(texts):,} texts in {dt:.1f} s with {jobs} process(es) "
            f"({dt / len(texts) * 1000 * jobs:.2f} ms/text/core)"
        )
        cache_dir.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pickle.dumps([t.to_json() for t in texts], protocol=5))
        texts = [PostText.from_json(t.to_json()) for t in texts]
    return [replace(p, text=t) for p, t in zip(posts, texts, strict=True)]


def naive_pair_score(need, offer) -> float:
    """What a straightforward implementation does: rapidfuzz on raw text + set overlaps.

    (WRatio, rapidfuzz's default scorer; Japanese has no spaces, so token-set scorers would
    compare one giant token.)"""
    text = fuzz.WRatio(need.title + need.description, offer.title + offer.description)
    fields = len(need.fields & offer.fields) / max(len(need.fields | offer.fields), 1)
    areas = 1.0 if need.areas & offer.areas else 0.0
    forms = 1.0 if need.forms & offer.forms else 0.0
    return 0.6 * text / 100 + 0.1 * fields + 0.15 * areas + 0.15 * forms


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--scale", type=float, default=1.0, help="1.0 = 100k offers, 20k needs")
    ap.add_argument("--queries", type=int, default=200, help="new needs/offers to time")
    ap.add_argument("--chunk-needs", type=int, default=2000, help="needs for rank_needs_chunk")
    ap.add_argument("--naive-sample", type=int, default=2000, help="pairs for the naive loop")
    ap.add_argument("--jobs", type=int, default=2, help="processes for text analysis (cache)")
    ap.add_argument("--cache-dir", default="/tmp/tsunagu-bench-cache")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    n_offers = int(100_000 * args.scale)
    n_needs = int(20_000 * args.scale)
    cache = Path(args.cache_dir)
    city = make_city()
    print(f"== engine bench: {n_offers:,} offers, {n_needs:,} needs, seed {args.seed}")
    print(f"python {sys.version.split()[0]}, pid {os.getpid()}, cpus {os.cpu_count()}")

    analyze_post("準備")  # load Sudachi and the dictionary before measuring memory
    gc.collect()
    rss_base = rss_mib()
    t0 = time.perf_counter()
    offers = make_offers(n_offers, city, args.seed)
    print(f"generated {n_offers:,} offers in {time.perf_counter() - t0:.1f} s")
    gc.collect()
    rss_posts = rss_mib()

    # Sudachi throughput on one core, measured apart from the (cached) bulk analysis.
    sample = offers[:500]
    t0 = time.perf_counter()
    for p in sample:
        analyze_post(p.title, p.description)
    per_text = (time.perf_counter() - t0) / len(sample)
    print(
        f"text analysis: {per_text * 1000:.2f} ms/text on one core "
        f"(→ {per_text * n_offers:.0f} s for {n_offers:,} offers uncached)"
    )

    tag = f"s{args.seed}"
    offers = analysed(offers, f"offers-{n_offers}-{tag}", cache, args.jobs)
    gc.collect()
    rss_text = rss_mib()
    t0 = time.perf_counter()
    offer_index = OfferIndex.build(offers, city.hierarchy)
    build_s = time.perf_counter() - t0
    gc.collect()
    rss_index = rss_mib()
    nnz = offer_index.matrix.nnz
    print(
        f"\nOfferIndex build: {build_s:.1f} s; {len(offer_index.vocab):,} terms, {nnz:,} postings"
    )
    print(
        f"RSS: offer records {rss_posts - rss_base:.0f} MiB + analysed text "
        f"{rss_text - rss_posts:.0f} MiB + index structures {rss_index - rss_text:.0f} MiB "
        f"= {rss_index - rss_base:.0f} MiB for {n_offers:,} offers (process {rss_index:.0f} MiB)"
    )

    needs = make_needs(n_needs, city, args.seed)
    new_needs = make_needs(max(args.queries, args.chunk_needs), city, args.seed + 1000, "qneed")
    new_offers = make_offers(args.queries, city, args.seed + 1000, "qoffer")
    needs = analysed(needs, f"needs-{n_needs}-{tag}", cache, args.jobs)
    new_needs = analysed(new_needs, f"qneeds-{len(new_needs)}-{tag}", cache, args.jobs)
    new_offers = analysed(new_offers, f"qoffers-{len(new_offers)}-{tag}", cache, args.jobs)

    lat = []
    for need in new_needs[: args.queries]:
        t0 = time.perf_counter()
        res = offer_index.top_offers(need, as_of=AS_OF, top_k=20, profile=DEFAULT_PROFILE)
        lat.append((time.perf_counter() - t0) * 1000)
        assert len(res) <= 20
    print(
        f"top-20 offers for a new need among {n_offers:,}: p50 {pct(lat, 0.5):.1f} ms, "
        f"p95 {pct(lat, 0.95):.1f} ms, max {max(lat):.1f} ms ({len(lat)} queries)"
    )

    t0 = time.perf_counter()
    need_index = NeedIndex.build(needs, city.hierarchy)
    print(f"NeedIndex build: {time.perf_counter() - t0:.1f} s")
    lat_n = []
    for offer in new_offers[: args.queries]:
        t0 = time.perf_counter()
        need_index.top_needs(offer, as_of=AS_OF, top_k=20)
        lat_n.append((time.perf_counter() - t0) * 1000)
    print(
        f"top-20 needs for a new offer among {n_needs:,}: p50 {pct(lat_n, 0.5):.1f} ms, "
        f"p95 {pct(lat_n, 0.95):.1f} ms, max {max(lat_n):.1f} ms ({len(lat_n)} queries)"
    )

    need = new_needs[0]
    sample_offers = offers[: args.naive_sample]
    t0 = time.perf_counter()
    for o in sample_offers:
        naive_pair_score(need, o)
    per_pair = (time.perf_counter() - t0) / len(sample_offers)
    print(
        f"naive per-pair loop (rapidfuzz WRatio + sets): {per_pair * 1e6:.0f} µs/pair "
        f"→ {per_pair * n_offers * 1000:.0f} ms per need over {n_offers:,} offers "
        f"(extrapolated from {len(sample_offers):,} pairs); "
        f"2,000 needs → {per_pair * n_offers * 2000 / 60:.0f} min"
    )

    chunk = new_needs[: args.chunk_needs]
    t0 = time.perf_counter()
    out = offer_index.rank_needs_chunk(chunk, as_of=AS_OF, top_k=20)
    dt = time.perf_counter() - t0
    print(
        f"rank_needs_chunk: {len(chunk):,} needs × {n_offers:,} offers in {dt:.1f} s "
        f"single process ({dt / len(chunk) * 1000:.1f} ms/need), "
        f"{sum(len(v) for v in out.values()):,} suggestions"
    )
    print(f"final process RSS {rss_mib():.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
