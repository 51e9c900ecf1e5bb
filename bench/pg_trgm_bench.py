"""PostgreSQL pg_trgm similarity ranking (GIN trigram index) vs the engine's in-memory top-20.

Needs PostgreSQL (and the bench database loaded by ``bench/rescore_bench.py``; this script
loads it if missing — no Redis needed):

    .venv/bin/python bench/pg_trgm_bench.py                 # 100,000 offers, 200 needs
    .venv/bin/python bench/pg_trgm_bench.py --scale 0.1     # quick run
    .venv/bin/python bench/pg_trgm_bench.py --dev tests/data/dev.json

Side by side in one run, for the same sample of needs:
  * pg_trgm, GIN index on ``title || ' ' || description``:
    (a) ``WHERE text % need ORDER BY similarity(text, need) DESC LIMIT 20`` (the index
        answers the ``%`` filter, threshold ``pg_trgm.similarity_threshold``);
    (b) ``ORDER BY similarity(text, need) DESC LIMIT 20`` with no filter: the exact
        top-20, which no trigram index can serve (sequential scan);
  * the engine: ``OfferIndex.top_offers`` (index built by the adapter from the same rows);
  * a naive per-pair Python loop (rapidfuzz WRatio + set overlaps), on a sample, extrapolated;
  * overlap of the pg_trgm and engine top-20 lists;
  * quality on a judged dataset (``--dev``): nDCG@10 / MRR / P@5 of pg_trgm similarity
    rankings (raw text, and the stored normalized ``search_text``) vs the engine, the dataset
    loaded with ``manage.py load_dataset`` into a separate small database.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.rescore_bench import bench_db_name, configure, create_database, load  # noqa: E402

TEXT = "(title || ' ' || description)"


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def summary(ms: list[float]) -> str:
    return f"p50 {pct(ms, 0.5):8.1f} ms   p95 {pct(ms, 0.95):8.1f} ms   max {max(ms):8.1f} ms"


def trgm_latency(needs, thresholds: list[float], exact_sample: int, limit: int = 20):
    """(a) % + similarity with the GIN index, per threshold; (b) the exact top-k."""
    from django.db import connection

    out: dict[str, tuple[list[float], list[list[int]]]] = {}  # latencies (ms), ids per need
    sql_gin = (
        f"SELECT id FROM proposals_offer WHERE status = 'open' AND {TEXT} %% %s "
        f"ORDER BY similarity({TEXT}, %s) DESC, id LIMIT {limit}"
    )
    sql_exact = (
        f"SELECT id FROM proposals_offer WHERE status = 'open' "
        f"ORDER BY similarity({TEXT}, %s) DESC, id LIMIT {limit}"
    )
    plan = ""
    with connection.cursor() as cur:
        for threshold in thresholds:
            cur.execute(
                "SELECT set_config('pg_trgm.similarity_threshold', %s, false)", [str(threshold)]
            )
            q0 = f"{needs[0].title} {needs[0].description}"
            cur.execute("EXPLAIN " + sql_gin, [q0, q0])
            plan = plan or "\n".join(r[0] for r in cur.fetchall())
            ms, ids = [], []
            for need in needs:
                q = f"{need.title} {need.description}"
                t0 = time.perf_counter()
                cur.execute(sql_gin, [q, q])
                ids.append([r[0] for r in cur.fetchall()])
                ms.append((time.perf_counter() - t0) * 1000)
            out[f"gin {threshold:g}"] = (ms, ids)
        ms, ids = [], []
        for need in needs[:exact_sample]:
            q = f"{need.title} {need.description}"
            t0 = time.perf_counter()
            cur.execute(sql_exact, [q])
            ids.append([r[0] for r in cur.fetchall()])
            ms.append((time.perf_counter() - t0) * 1000)
        out["exact"] = (ms, ids)
    return out, plan


def engine_latency(needs):
    from matching.scoring import adapter
    from matching.scoring import indexes as live
    from proposals.models import Offer

    lexicon = adapter.current_lexicon()
    t0 = time.perf_counter()
    indexes = live.offers.get(Offer, lexicon)
    build_s = time.perf_counter() - t0
    profile = adapter.active_profile()
    eprofile = adapter.engine_profile(profile)
    as_of = adapter.today()
    features = adapter.need_features(needs, lexicon)
    geo = adapter.geography()
    ms, ids = [], []
    for need, feature in zip(needs, features, strict=True):
        index = indexes[adapter.city_of_post(geo, need)]
        t0 = time.perf_counter()
        top = index.top_offers(feature, as_of=as_of, top_k=20, profile=eprofile)
        ms.append((time.perf_counter() - t0) * 1000)
        ids.append([int(s.offer_id) for s in top])
    return ms, ids, build_s


def naive_loop(n_offers: int, pairs: int) -> float:
    """ms per need for the naive per-pair loop over ``n_offers`` offers (extrapolated)."""
    from bench.engine_bench import naive_pair_score
    from bench.synth import make_city, make_needs, make_offers

    city = make_city()
    needs = make_needs(1, city, seed=7)
    offers = make_offers(pairs, city, seed=7)
    t0 = time.perf_counter()
    for o in offers:
        naive_pair_score(needs[0], o)
    per_pair = (time.perf_counter() - t0) / pairs
    return per_pair * n_offers * 1000


# --------------------------------------------------------------------------- quality


def dev_quality(args: argparse.Namespace) -> None:
    import psycopg

    from matching.engine.evaluate import (
        analysed,
        evaluate_rankings,
        load_dataset_features,
        rank_all,
        tfidf_baseline_rankings,
    )

    dev_db = f"{args.db}_dev"
    server = args.pg.rstrip("/")
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{dev_db}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{dev_db}"')
    # Loading posts queues re-score tasks; send them nowhere (no worker serves this DB).
    env = {**os.environ, "DATABASE_URL": f"{server}/{dev_db}", "CELERY_BROKER_URL": "memory://"}
    for cmd in (["migrate", "--noinput", "-v", "0"], ["load_dataset", args.dev]):
        done = subprocess.run(
            [sys.executable, "manage.py", *cmd], cwd=ROOT, env=env, capture_output=True, text=True
        )
        if done.returncode:
            raise RuntimeError(f"manage.py {cmd[0]} failed:\n{done.stderr[-3000:]}")
    ds = analysed(load_dataset_features(args.dev))
    rankings: dict[str, dict[str, list[str]]] = {"pg_trgm similarity (title+description)": {}}
    rankings["pg_trgm similarity (search_text)"] = {}
    rankings["pg_trgm word_similarity (need in offer)"] = {}
    with psycopg.connect(f"{server}/{dev_db}", autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        needs = conn.execute(
            "SELECT external_id, title || ' ' || description, search_text FROM proposals_need"
        ).fetchall()
        for ext, text, search_text in needs:
            for name, expr, arg in (
                ("pg_trgm similarity (title+description)", f"similarity({TEXT}, %s)", text),
                ("pg_trgm similarity (search_text)", "similarity(search_text, %s)", search_text),
                (
                    "pg_trgm word_similarity (need in offer)",
                    f"word_similarity(%s, {TEXT})",
                    text,
                ),
            ):
                rows = conn.execute(
                    f"SELECT external_id FROM proposals_offer ORDER BY {expr} DESC, external_id",
                    [arg],
                ).fetchall()
                rankings[name][ext] = [r[0] for r in rows]
    rows = {"engine (EVALUATION_PROFILE)": evaluate_rankings(rank_all(ds), ds.judgments)}
    for name, ranking in rankings.items():
        rows[name] = evaluate_rankings(ranking, ds.judgments)
    rows["TF-IDF char 2–3-gram (engine baseline)"] = evaluate_rankings(
        tfidf_baseline_rankings(ds), ds.judgments
    )
    print(f"\n== quality on {args.dev} ({len(ds.needs)} needs × {len(ds.offers)} offers)")
    print("| ranking | nDCG@10 | MRR | P@5 |\n|---|---:|---:|---:|")
    for name, m in rows.items():
        print(f"| {name} | {m['ndcg@10']:.3f} | {m['mrr']:.3f} | {m['p@5']:.3f} |")
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{dev_db}" WITH (FORCE)')


# --------------------------------------------------------------------------- main


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--scale", type=float, default=1.0, help="1.0 = 2,000 needs × 100,000 offers")
    ap.add_argument("--sample", type=int, default=200, help="needs to time")
    ap.add_argument("--exact-sample", type=int, default=50, help="needs to time for (b)")
    ap.add_argument(
        "--thresholds", default="0.3,0.2,0.1", help="pg_trgm.similarity_threshold values"
    )
    ap.add_argument("--naive-pairs", type=int, default=2000)
    ap.add_argument(
        "--dev",
        default=str(Path(__file__).resolve().parents[1] / "tests" / "data" / "dev.json"),
        help="'' to skip",
    )
    ap.add_argument("--dev-only", action="store_true", help="only the quality comparison")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    ap.add_argument("--db", help="default: tsunagu_bench (scale 1), tsunagu_bench_s<scale>")
    ap.add_argument("--broker", default="redis://127.0.0.1:6379/5")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    args.fresh = args.reload = False

    n_needs, n_offers = int(2_000 * args.scale), int(100_000 * args.scale)
    args.db = args.db or bench_db_name(args.scale)
    if args.dev_only:
        dev_quality(args)
        return 0
    configure(args, queue="tsunagu-bench-unused")
    create_database(args)
    import django

    django.setup()
    from django.db import connection

    from matching.scoring import adapter
    from proposals.models import Need

    load(args, n_needs, n_offers)
    print(f"== pg_trgm vs engine: {n_offers:,} offers, {args.sample} needs")
    with connection.cursor() as cur:
        cur.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        t0 = time.perf_counter()
        cur.execute(
            "DROP INDEX IF EXISTS bench_offer_text_trgm; "
            "CREATE INDEX bench_offer_text_trgm ON proposals_offer "
            f"USING gin ({TEXT} gin_trgm_ops)"
        )
        cur.execute("ANALYZE proposals_offer")
        cur.execute("SELECT pg_relation_size('bench_offer_text_trgm')")
        size = cur.fetchone()[0]
    print(f"GIN trigram index: ready in {time.perf_counter() - t0:.1f} s, {size / 2**20:.0f} MiB")
    needs = list(adapter._with_codes(Need.objects.order_by("pk"))[: args.sample])

    trgm, plan = trgm_latency(
        needs, [float(x) for x in args.thresholds.split(",")], args.exact_sample
    )
    print("plan of (a):\n  " + "\n  ".join(plan.splitlines()[:6]))
    eng_ms, eng_ids, build_s = engine_latency(needs)
    naive_ms = naive_loop(n_offers, args.naive_pairs)

    def overlap(a: list[list[int]], b: list[list[int]]) -> float:
        return statistics.mean(len(set(x) & set(y)) / 20 for x, y in zip(a, b, strict=False))

    print(f"\n== top-20 latency over {n_offers:,} offers, {len(needs)} needs (one query each)")
    for name, (ms, ids) in trgm.items():
        if name == "exact":
            continue
        full = sum(len(x) == 20 for x in ids)
        mean = statistics.mean(len(x) for x in ids)
        print(
            f"(a) pg_trgm GIN, % (threshold {name[4:]}) + similarity: {summary(ms)}; "
            f"full lists {full}/{len(ids)}, mean {mean:.1f} results; overlap with (b) "
            f"{overlap(ids, trgm['exact'][1]):.2f}"
        )
    exact = summary(trgm["exact"][0])
    print(f"(b) pg_trgm exact ORDER BY similarity (seq scan), {args.exact_sample} needs: {exact}")
    print(f"engine OfferIndex.top_offers (index built in {build_s:.1f} s): {summary(eng_ms)}")
    print(f"naive per-pair loop (rapidfuzz), extrapolated:        {naive_ms:8.0f} ms per need")
    print(f"overlap of the top-20 lists, engine vs (b): {overlap(eng_ids, trgm['exact'][1]):.2f}")
    if args.dev:
        dev_quality(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
