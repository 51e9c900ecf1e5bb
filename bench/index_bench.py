"""The offer index against its floor and its alternatives, in one process, interleaved.

    .venv/bin/pip install -e '.[bench]'    # scikit-learn, for the TF-IDF baseline
    .venv/bin/python bench/index_bench.py --offers 100000
    .venv/bin/python bench/index_bench.py --offers 20000 --json

For N synthetic offers (``bench/synth.py``; analysed texts cached in ``--cache-dir``):

* engine warm query p50/p95 (top-20 offers for a need) on the index as processes use it:
  saved as a segment and opened memory-mapped (``matching/engine/segment.py``);
* the floor on the same matrix: one sparse mat-vec over the need's terms + top-20;
* the naive per-pair loop (rapidfuzz on the raw texts + set overlaps), µs per pair, and its
  time for all N offers ÷ the engine's;
* character 2–3-gram TF-IDF cosine (scikit-learn's ``TfidfVectorizer``, one sparse
  mat-vec per query) ÷ the engine;
* cold open of the saved index in a fresh process, to its first ranking (s), and that
  process's peak memory (MiB) after 100 queries, and how much of it is private (not the
  shared, memory-mapped index files);
* time until a newly saved offer is ranked: a delta segment over the saved main segment
  (``update_visible_s``), beside what a new main segment would cost (``rebuild_s``);
* whether the top-20 equals brute force (every eligible offer scored, no pruning) on every
  query.

Exits 1 when the results are empty or differ from brute force: a benchmark that did not do
the work it timed reports nothing.
"""

from __future__ import annotations

import argparse
import json
import pickle
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from bench.engine_bench import analysed, naive_pair_score, pct  # noqa: E402
from bench.synth import make_city, make_needs, make_offers  # noqa: E402
from matching.engine import DEFAULT_PROFILE, OfferIndex, ranking, segment  # noqa: E402
from matching.engine.index import _TextQuery, post_text  # noqa: E402
from matching.engine.ranking import Layered  # noqa: E402
from matching.engine.scoring import COMPONENTS  # noqa: E402
from matching.engine.text import load_lexicon  # noqa: E402

AS_OF = date(2025, 4, 1)
TOP = 20

COLD_OPEN = """
import json, sys, time
t0 = time.perf_counter()
sys.path.insert(0, {root!r})
import pickle
from datetime import date
from matching.engine import segment
from matching.engine.text import load_lexicon
needs, hierarchy = pickle.load(open({needs!r}, "rb"))
lexicon = load_lexicon()
index = segment.load({segment!r}, hierarchy, lexicon)
first = index.top_offers(needs[0], as_of=date(2025, 4, 1), top_k=20)
opened = time.perf_counter() - t0
for need in needs[:100]:
    index.top_offers(need, as_of=date(2025, 4, 1), top_k=20)
status = {{}}
for line in open("/proc/self/status"):
    key, _, value = line.partition(":")
    if key in ("VmHWM", "RssAnon"):
        status[key] = int(value.split()[0]) / 1024
print(json.dumps({{"cold_open_s": opened, "peak_rss_mib": status["VmHWM"],
                  "private_rss_mib": status["RssAnon"], "first": len(first)}}))
"""


class CharTfidf:
    """Character 2–3-gram TF-IDF, cosine (scikit-learn): the text baseline of
    docs/matching.md, one sparse mat-vec per query."""

    def __init__(self, texts: list[str]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(2, 3), sublinear_tf=True)
        # Rows L2-normalised; by column, so a query reads only its own n-grams' postings.
        self.matrix = self.vectorizer.fit_transform(texts).tocsc()

    def top(self, text: str, k: int = TOP) -> np.ndarray:
        query = self.vectorizer.transform([text])
        if query.nnz == 0:
            return np.empty(0, dtype=np.int64)
        scores = self.matrix[:, query.indices] @ query.data
        k = min(k, len(scores))
        return np.argpartition(-scores, k - 1)[:k]


def floor_top(index: OfferIndex, q: _TextQuery, k: int = TOP) -> np.ndarray:
    """One sparse mat-vec over the query's terms, then the k best rows."""
    if len(q.cols) == 0:
        return np.empty(0, dtype=np.int64)
    scores = index.matrix[:, q.cols] @ q.values
    k = min(k, len(scores))
    return np.argpartition(-scores, k - 1)[:k]


def brute_top(index: OfferIndex, need, lexicon, k: int = TOP) -> list[str]:
    """Every eligible offer scored from the full matrix (no posting lists, no pruning),
    then the engine's own selection: the ids of the best k, in order."""
    profile = DEFAULT_PROFILE
    index._profile = profile
    text = post_text(need, lexicon)
    q = _TextQuery(index, text)
    rows = np.arange(len(index))
    rows = rows[index._eligible(rows, need, AS_OF)]
    sub = index.matrix[:, q.cols].tocsr()[rows] if len(q.cols) else None
    if sub is None:
        zeros = np.zeros(len(rows))
        stats = (zeros, zeros, zeros)
    else:
        stats = (
            sub @ q.values,
            (sub != 0).astype(np.float64) @ q.values,
            np.asarray(sub.astype(np.float64).sum(axis=1)).ravel(),
        )
    comps = index._components(need, rows, stats, q, text, AS_OF)
    w = profile.weights.normalized()
    scores = sum(w[c] * comps[c] for c in COMPONENTS)
    order = ranking.select(
        scores,
        index._exposure(rows, None),
        index.orgs[rows],
        lambda positions: index.id_rank[rows[positions]],
        profile,
        k,
        None,
    )
    chosen = [(i, e) for i, e in order]
    out = []
    for i, e in chosen:
        lam = profile.weights.fairness
        if float(scores[i]) * (1 - lam * e) >= profile.min_score:
            out.append(index.posts[int(rows[i])].id)
    return out


def ms(seconds: list[float], q: float) -> float:
    return pct(seconds, q) * 1000


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--offers", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=100)
    ap.add_argument("--naive-sample", type=int, default=2000, help="pairs for the naive loop")
    ap.add_argument("--jobs", type=int, default=2, help="processes for text analysis (cache)")
    ap.add_argument("--cache-dir", default="/tmp/tsunagu-bench-cache")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args()

    def say(*parts: object) -> None:
        if not args.json:
            print(*parts, flush=True)

    cache = Path(args.cache_dir)
    city = make_city()
    lexicon = load_lexicon()
    # The dictionary's version in the label: a cache analysed with another one is not used.
    version = lexicon.analysis_version.replace(":", "-")
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
    t0 = time.perf_counter()
    built = OfferIndex.build(offers, city.hierarchy, lexicon=lexicon)
    build_s = time.perf_counter() - t0
    say(f"index of {args.offers:,} offers built in {build_s:.1f} s")

    work = Path(tempfile.mkdtemp(prefix="tsunagu-index-bench-"))
    t0 = time.perf_counter()
    segment.save(built, work / "segment")
    save_s = time.perf_counter() - t0
    index = segment.load(work / "segment", city.hierarchy, lexicon)
    say(f"saved in {save_s:.1f} s")

    # Brute force first: every eligible offer scored (no candidate pruning), best 20.
    identical = 0
    nonempty = 0
    for need in needs:
        fast = index.top_offers(need, as_of=AS_OF, top_k=TOP)
        nonempty += bool(fast)
        identical += [s.offer_id for s in fast] == brute_top(index, need, lexicon)
    say(f"top-{TOP} identical to brute force: {identical}/{len(needs)} ({nonempty} non-empty)")

    # Warm queries, interleaved: engine, floor, TF-IDF on the same need, in turn.
    tfidf = CharTfidf([o.title + o.description for o in offers])
    engine_t, floor_t, tfidf_t = [], [], []
    for _ in range(2):  # the first pass warms caches; both passes count
        for need in needs:
            t = time.perf_counter()
            index.top_offers(need, as_of=AS_OF, top_k=TOP)
            engine_t.append(time.perf_counter() - t)
            q = _TextQuery(index, post_text(need, lexicon))
            t = time.perf_counter()
            floor_top(index, q)
            floor_t.append(time.perf_counter() - t)
            t = time.perf_counter()
            tfidf.top(need.title + need.description)
            tfidf_t.append(time.perf_counter() - t)

    sample = min(args.naive_sample, len(offers))
    t = time.perf_counter()
    for i in range(sample):
        naive_pair_score(needs[i % len(needs)], offers[i])
    naive_pair_us = (time.perf_counter() - t) / sample * 1e6

    # A fresh process opens the saved index and ranks (what a new worker pays).
    queries_path = work / "queries.pkl"
    queries_path.write_bytes(pickle.dumps((needs, city.hierarchy)))
    code = COLD_OPEN.format(root=str(ROOT), needs=str(queries_path), segment=str(work / "segment"))
    cold = json.loads(
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout
    )

    # A new offer, saved after the main segment: a delta built with the main segment's
    # statistics (and its old row, if any, tombstoned), then the need it was written for
    # ranks it — what a process does at its next ranking (matching/scoring/indexes.py).
    newcomer = replace(
        offers[0],
        id="offer-new",
        title=needs[0].title,
        description=needs[0].description,
        text=needs[0].text,
        fields=needs[0].fields,
        areas=needs[0].areas,
        forms=needs[0].forms,
        available_from=None,
        available_until=None,
        active_matches=0,
    )
    t = time.perf_counter()
    delta = OfferIndex.build([newcomer], city.hierarchy, lexicon=lexicon, stats=index.stats)
    dead = np.zeros(len(index), dtype=bool)
    dead[index.rows_of([newcomer.id])] = True
    layered = Layered(index, delta, dead)
    ranked = layered.top_offers(needs[0], as_of=AS_OF, top_k=TOP)
    update_visible_s = time.perf_counter() - t
    if "offer-new" not in {s.offer_id for s in ranked}:
        print("FAILED: the new offer is not ranked from the delta", file=sys.stderr)
        return 1
    # For comparison, what it cost before: a new main segment built, saved and opened.
    t = time.perf_counter()
    rebuilt = OfferIndex.build([*offers, newcomer], city.hierarchy, lexicon=lexicon)
    segment.save(rebuilt, work / "segment-next")
    segment.load(work / "segment-next", city.hierarchy, lexicon)
    rebuild_s = time.perf_counter() - t

    engine_p50 = ms(engine_t, 0.5)
    result = {
        "offers": args.offers,
        "engine_p50_ms": round(engine_p50, 2),
        "engine_p95_ms": round(ms(engine_t, 0.95), 2),
        "floor_p50_ms": round(ms(floor_t, 0.5), 2),
        "floor_p95_ms": round(ms(floor_t, 0.95), 2),
        "naive_pair_us": round(naive_pair_us, 2),
        "naive_ratio": round(naive_pair_us * args.offers / 1000 / engine_p50, 1),
        "tfidf_ratio": round(ms(tfidf_t, 0.5) / engine_p50, 2),
        "cold_open_s": round(cold["cold_open_s"], 2),
        "peak_rss_mib": round(cold["peak_rss_mib"], 1),
        # Of it, what the process does not share (anonymous memory: Python, the vocabulary,
        # the decoded rows); the index arrays are file pages shared by every process.
        "private_rss_mib": round(cold["private_rss_mib"], 1),
        "update_visible_s": round(update_visible_s, 3),
        "rebuild_s": round(rebuild_s, 2),
        "identical_top20": identical == len(needs),
    }
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>18}: {value}")
        print(f"(build {build_s:.1f} s, save {save_s:.1f} s; results in {work})")
    if nonempty == 0 or cold["first"] == 0 or identical != len(needs):
        print("FAILED: empty results or top-20 differs from brute force", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
