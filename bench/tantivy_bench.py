"""An existing engine against the hand-written index: tantivy (Rust, Lucene-style segments,
deletes and merges) through its Python bindings, on the same corpus and the same terms.

    .venv/bin/pip install -e '.[bench]'     # tantivy, scikit-learn
    .venv/bin/python bench/tantivy_bench.py --offers 100000 [--json]

Both are given the engine's own analysis (``PostText`` terms, synonym concepts and topics),
so only the index differs. Reported, interleaved in one process:

* build: tantivy (add every document, commit) vs ``OfferIndex.build`` + ``segment.save``;
* a text query, top-20 by each engine's own text score: tantivy BM25 over the need's terms
  (one OR query) vs the engine's whole ranking (every component, eligibility, reasons) and
  vs the engine's text stage alone (the same sparse product it ranks with);
* a new offer visible: tantivy add + commit + reader reload vs a delta segment + a ranking;
* recall: how many of the engine's top-20 (what users are shown) are among tantivy's top
  200 — what a "tantivy finds candidates, we re-score them" design would keep.

Exits 1 when a result list is empty or the new offer is not found (no work, no figures).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from bench.engine_bench import analysed, pct  # noqa: E402
from bench.synth import make_city, make_needs, make_offers  # noqa: E402
from matching.engine import OfferIndex, segment  # noqa: E402
from matching.engine.index import post_text  # noqa: E402
from matching.engine.ranking import Layered  # noqa: E402
from matching.engine.text import load_lexicon  # noqa: E402

AS_OF = date(2025, 4, 1)
TOP = 20


def words(text) -> str:
    """A post's analysed terms as whitespace-separated tokens, each repeated by its term
    frequency (rounded up), so BM25 sees the same terms and frequencies as the engine."""
    out = []
    for term, tf in zip(text.keys, text.tfs, strict=True):
        out += [term.replace(" ", "_")] * max(1, int(np.ceil(tf)))
    return " ".join(out)


def main() -> int:
    import tantivy

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--offers", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=100)
    ap.add_argument("--cache-dir", default="/tmp/tsunagu-bench-cache")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    cache = Path(args.cache_dir)
    city = make_city()
    offers = analysed(make_offers(args.offers, city, 1), f"offers-{args.offers}-s1", cache, 2)
    needs = analysed(make_needs(args.queries, city, 101), f"queries-{args.queries}-s1", cache, 2)
    lexicon = load_lexicon()
    work = Path(tempfile.mkdtemp(prefix="tsunagu-tantivy-bench-"))

    t = time.perf_counter()
    built = OfferIndex.build(offers, city.hierarchy, lexicon=lexicon)
    segment.save(built, work / "segment")
    index = segment.load(work / "segment", city.hierarchy, lexicon)
    engine_build_s = time.perf_counter() - t

    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("row", stored=True, fast=True, indexed=True)
    builder.add_text_field("terms", tokenizer_name="whitespace", index_option="freq")
    schema = builder.build()
    t = time.perf_counter()
    (work / "tantivy").mkdir()
    tindex = tantivy.Index(schema, path=str(work / "tantivy"))
    writer = tindex.writer(heap_size=200_000_000, num_threads=2)
    for row, offer in enumerate(offers):
        writer.add_document(tantivy.Document(row=row, terms=words(offer.text)))
    writer.commit()
    writer.wait_merging_threads()
    tindex.reload()
    tantivy_build_s = time.perf_counter() - t
    searcher = tindex.searcher()

    def tantivy_top(need, k: int = TOP) -> list[int]:
        terms = sorted({term.replace(" ", "_") for term in need.text.keys})
        query = tantivy.Query.boolean_query(
            [(tantivy.Occur.Should, tantivy.Query.term_query(schema, "terms", t)) for t in terms]
        )
        hits = searcher.search(query, limit=k).hits
        return [searcher.doc(address)["row"][0] for _, address in hits]

    def text_stage(need) -> np.ndarray:
        q = index.text_query(post_text(need, lexicon))
        cand, dot, _, _ = index._text_stats(q)
        cosine = dot / np.maximum(index.l2[cand] * q.l2, 1e-12)
        return cand[np.argpartition(-cosine, TOP - 1)[:TOP]] if len(cand) > TOP else cand

    times: dict[str, list[float]] = {"tantivy": [], "engine": [], "engine_text": []}
    recall, empty = [], 0
    for _ in range(2):
        for need in needs:
            t = time.perf_counter()
            found_t = tantivy_top(need)
            times["tantivy"].append(time.perf_counter() - t)
            t = time.perf_counter()
            found_e = index.top_offers(need, as_of=AS_OF, top_k=TOP)
            times["engine"].append(time.perf_counter() - t)
            t = time.perf_counter()
            text_stage(need)
            times["engine_text"].append(time.perf_counter() - t)
            empty += not found_t or not found_e
    for need in needs:
        wide = {offers[row].id for row in tantivy_top(need, 200)}
        shown = [s.offer_id for s in index.top_offers(need, as_of=AS_OF, top_k=TOP)]
        recall.append(sum(o in wide for o in shown) / max(len(shown), 1))

    need = needs[0]
    newcomer = replace(
        offers[0],
        id="offer-new",
        title=need.title,
        description=need.description,
        text=need.text,
        fields=need.fields,
        areas=need.areas,
        forms=need.forms,
        available_from=None,
        available_until=None,
        active_matches=0,
    )
    t = time.perf_counter()
    writer = tindex.writer(heap_size=50_000_000, num_threads=1)
    writer.add_document(tantivy.Document(row=len(offers), terms=words(newcomer.text)))
    writer.commit()
    tindex.reload()
    searcher = tindex.searcher()
    seen_t = len(offers) in tantivy_top(needs[0])
    tantivy_visible_s = time.perf_counter() - t
    t = time.perf_counter()
    delta = OfferIndex.build([newcomer], city.hierarchy, lexicon=lexicon, stats=index.stats)
    layered = Layered(index, delta, np.zeros(len(index), dtype=bool))
    seen_e = "offer-new" in {s.offer_id for s in layered.top_offers(needs[0], as_of=AS_OF)}
    engine_visible_s = time.perf_counter() - t

    def p(name: str, q: float) -> float:
        return round(pct(times[name], q) * 1000, 2)

    result = {
        "offers": args.offers,
        "tantivy_build_s": round(tantivy_build_s, 1),
        "engine_build_s": round(engine_build_s, 1),
        "tantivy_p50_ms": p("tantivy", 0.5),
        "tantivy_p95_ms": p("tantivy", 0.95),
        "engine_p50_ms": p("engine", 0.5),
        "engine_p95_ms": p("engine", 0.95),
        "engine_text_p50_ms": p("engine_text", 0.5),
        "tantivy_visible_s": round(tantivy_visible_s, 3),
        "engine_visible_s": round(engine_visible_s, 3),
        "engine_top20_in_tantivy_top200": round(float(np.mean(recall)), 3),
    }
    lines = "\n".join(f"{key:>32}: {value}" for key, value in result.items())
    print(json.dumps(result) if args.json else lines)
    if empty or not seen_t or not seen_e:
        print(f"FAILED: {empty} empty results; new offer found: {seen_t} {seen_e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
