"""Full re-score benchmark through Celery: 2,000 open needs × 100,000 open offers.

Target (issue): a full re-score of 2,000 needs × 100,000 offers in ≤ 2 minutes on the 2-core
machine with two worker processes, and the curve from one worker process to two.

Needs PostgreSQL and Redis (not the embedded SQLite/filesystem setup):

    .venv/bin/python bench/rescore_bench.py                 # 2,000 × 100,000; 1 then 2 workers
    .venv/bin/python bench/rescore_bench.py --scale 0.1     # quick run (200 × 10,000)
    .venv/bin/python bench/rescore_bench.py --chunk-sizes 50,100,250 --workers 2
    .venv/bin/python bench/rescore_bench.py --profile             # + in-process breakdown

Options: ``--pg postgres://postgres@127.0.0.1:5432`` (server; the script creates the database
``--db tsunagu_bench``), ``--broker redis://127.0.0.1:6379/5``.

Steps:
  1. create the database if needed and ``manage.py migrate`` it;
  2. load synthetic posts from ``bench/synth.py`` with ``bulk_create`` (organizations, a city
     with 10 wards × 6 districts, the needs, the offers, their field/area/form rows and their
     ``PostAnalysis`` rows) — skipped when the database already holds the same seed/scale.
     Text analyses are cached in ``bench/out/`` (git-ignored), so a reload is fast;
  3. for each worker count: start N ``celery worker -c 1`` processes on a private queue,
     call ``matching.services.start_full_rescore(chunk_size=…)`` and poll ``RescoreRun``;
  4. report wall time, time to the first finished chunk, per-worker first-chunk time (index
     build included) vs later chunks, suggestions written, peak RSS per worker process.

Synthetic dates are shifted so that the posts' periods start on the day the data is loaded
(the engine evaluates periods as of today).
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import io
import os
import pickle
import pstats
import re
import signal
import statistics
import subprocess
import sys
import time
import uuid
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "out"
SYNTH_BASE = date(2025, 4, 1)  # bench/synth.py's base date


# --------------------------------------------------------------------------- setup


def bench_db_name(scale: float) -> str:
    """One database per scale, so a quick run does not reload the full data set."""
    return "tsunagu_bench" if scale == 1 else f"tsunagu_bench_s{scale:g}".replace(".", "_")


def configure(args: argparse.Namespace, queue: str) -> None:
    os.environ.update(
        DATABASE_URL=f"{args.pg.rstrip('/')}/{args.db}",
        CELERY_BROKER_URL=args.broker,
        CELERY_TASK_DEFAULT_QUEUE=queue,
        DJANGO_SETTINGS_MODULE="tsunagu.settings",
        TSUNAGU_VAR_DIR=str(OUT / "var"),
        LOG_LEVEL="INFO",
    )


def create_database(args: argparse.Namespace) -> None:
    import psycopg

    with psycopg.connect(f"{args.pg.rstrip('/')}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [args.db]).fetchone()
        if exists and args.fresh:
            conn.execute(f'DROP DATABASE "{args.db}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{args.db}"')
            print(f"created database {args.db}")
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=os.environ.copy(),
        check=True,
    )
    print(f"migrate: {time.perf_counter() - t0:.1f} s")


# --------------------------------------------------------------------------- loading

_LEXICON = None  # set before forking the analysis pool


def _analyse(item: tuple[str, str]) -> tuple[dict, str]:
    from lib.japanese import search_document
    from matching.engine import analyze_post

    title, description = item
    return analyze_post(title, description, lexicon=_LEXICON).to_json(), search_document(
        title, description
    )


def analysed(posts, label: str, version: str, jobs: int) -> list[tuple[dict, str]]:
    """(PostText JSON, search_text) per post, cached on disk by label and lexicon version."""
    global _LEXICON
    digest = hashlib.sha256(version.encode()).hexdigest()[:12]
    path = OUT / f"analysis-{label}-{digest}.pkl"
    if path.exists():
        out = pickle.loads(path.read_bytes())
        print(f"  {label}: analyses loaded from {path.relative_to(ROOT)}")
        return out
    from django.db import connections

    from matching.scoring import adapter

    _LEXICON = adapter.current_lexicon()
    connections.close_all()  # no open connection may cross the fork
    items = [(p.title, p.description) for p in posts]
    t0 = time.perf_counter()
    if jobs > 1:
        import multiprocessing

        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            out = pool.map(_analyse, items, chunksize=500)
    else:
        out = [_analyse(i) for i in items]
    print(f"  {label}: analysed {len(out):,} texts in {time.perf_counter() - t0:.1f} s")
    OUT.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(out, protocol=5))
    return out


def _need_kind(org_kind: str) -> str:
    if org_kind == "city_department":
        return "administrative"
    if org_kind in ("neighborhood_association", "community_council"):
        return "community"
    return "citizen"


def load(args: argparse.Namespace, n_needs: int, n_offers: int) -> None:
    from django.db import connection, transaction

    from bench.synth import make_city, make_needs, make_offers
    from matching.models import PostAnalysis
    from matching.scoring import adapter, generation
    from organizations.models import Area, Field, Organization
    from proposals.models import CollaborationForm, Need, Offer, Status

    version = adapter.current_lexicon().analysis_version
    key = f"seed={args.seed} needs={n_needs} offers={n_offers} analysis={version} verified"
    with connection.cursor() as cur:
        cur.execute("CREATE TABLE IF NOT EXISTS bench_meta (key text PRIMARY KEY, value text)")
        cur.execute("SELECT value FROM bench_meta WHERE key = 'dataset'")
        row = cur.fetchone()
    if row and row[0] == key and not args.reload:
        print(f"data already loaded ({key})")
        return
    print(f"loading {n_needs:,} needs and {n_offers:,} offers (seed {args.seed})")
    t_all = time.perf_counter()
    city = make_city()
    needs = make_needs(n_needs, city, args.seed)
    offers = make_offers(n_offers, city, args.seed)
    need_text = analysed(needs, f"needs-{n_needs}-s{args.seed}", version, args.jobs)
    offer_text = analysed(offers, f"offers-{n_offers}-s{args.seed}", version, args.jobs)
    shift = date.today() - SYNTH_BASE

    def moved(d: date | None) -> date | None:
        return d + shift if d else None

    t0 = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            "TRUNCATE proposals_need, proposals_offer, organizations_organization, "
            "organizations_area, matching_postanalysis, matching_rescorerun "
            "RESTART IDENTITY CASCADE"
        )
        field_pk = dict(Field.objects.values_list("code", "pk"))
        form_pk = dict(CollaborationForm.objects.values_list("code", "pk"))
        root = Area.objects.create(code="bench-city", name="ベンチ市", level=Area.Level.CITY)
        area_pk: dict[str, int] = {}
        for ward in city.wards:
            a = Area.objects.create(
                code=ward, name=city.hierarchy.name(ward), level=Area.Level.WARD, parent=root
            )
            area_pk[ward] = a.pk
            for d in Area.objects.bulk_create(
                Area(code=c, name=city.hierarchy.name(c), level=Area.Level.DISTRICT, parent=a)
                for c in city.districts[ward]
            ):
                area_pk[d.code] = d.pk
        kinds: dict[str, str] = {}
        for p in [*needs, *offers]:
            kinds.setdefault(p.organization_id, p.organization_kind)
        orgs = Organization.objects.bulk_create(
            [
                # Verified: an unverified organization's posts are not open, and a run over
                # them writes nothing (the benchmark would time index builds only).
                Organization(
                    name=f"団体{oid}", kind=kind, external_id=oid, source="bench", is_verified=True
                )
                for oid, kind in sorted(kinds.items())
            ],
            batch_size=5000,
        )
        org_pk = {o.external_id: o.pk for o in orgs}
        for model, posts, texts, kind in (
            (Need, needs, need_text, PostAnalysis.Kind.NEED),
            (Offer, offers, offer_text, PostAnalysis.Kind.OFFER),
        ):
            extra = (
                (lambda p: {"kind": _need_kind(p.organization_kind)})
                if model is Need
                else (lambda p: {"capacity": p.capacity})
            )
            rows = model.objects.bulk_create(
                [
                    model(
                        organization_id=org_pk[p.organization_id],
                        title=p.title,
                        description=p.description,
                        status=Status.OPEN,
                        starts_on=moved(p.starts_on if model is Need else p.available_from),
                        ends_on=moved(p.ends_on if model is Need else p.available_until),
                        source="bench",
                        external_id=p.id,
                        search_text=search_text,
                        **extra(p),
                    )
                    for p, (_, search_text) in zip(posts, texts, strict=True)
                ],
                batch_size=5000,
            )
            links = (
                ("fields", "field_id", field_pk),
                ("areas", "area_id", area_pk),
                ("forms", "collaborationform_id", form_pk),
            )
            for attr, column, pks in links:
                through = getattr(model, attr).through
                owner = f"{model.__name__.lower()}_id"
                through.objects.bulk_create(
                    [
                        through(**{owner: row.pk, column: pks[code]})
                        for row, p in zip(rows, posts, strict=True)
                        for code in sorted(getattr(p, attr))
                        if code in pks
                    ],
                    batch_size=10000,
                )
            PostAnalysis.objects.bulk_create(
                [
                    PostAnalysis(
                        kind=kind,
                        post_id=row.pk,
                        version=version,
                        text_hash=adapter._text_hash(row.title, row.description),
                        data=data,
                    )
                    for row, (data, _) in zip(rows, texts, strict=True)
                ],
                batch_size=2000,
            )
        # Bulk inserts send no signal: tell every process's index cache (workers too).
        generation.bump()
        cur.execute(
            "INSERT INTO bench_meta VALUES ('dataset', %s) "
            "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            [key],
        )
    print(f"  inserted rows in {time.perf_counter() - t0:.1f} s")
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    print(f"load total {time.perf_counter() - t_all:.1f} s")


# --------------------------------------------------------------------------- workers


def proc_status(pid: int) -> dict[str, int]:
    out = {}
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    out[line.split(":")[0]] = int(line.split()[1]) // 1024
    except OSError:
        pass
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, in seconds."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return 0.0


def machine_busy() -> float:
    """Busy (non-idle) CPU seconds of the whole machine since boot, all cores, /proc/stat."""
    with open("/proc/stat") as fh:
        values = [int(x) for x in fh.readline().split()[1:]]
    return (sum(values[:8]) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")


def postgres_cpu(db: str, seen: dict[int, float]) -> float:
    """CPU seconds of the PostgreSQL backends serving ``db`` (this host's server only), summed
    over every backend ``seen`` so far: Celery closes the connection after each task, so
    backends come and go and are sampled repeatedly."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                cmd = fh.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if cmd.startswith("postgres: ") and f" {db} " in cmd:
            seen[int(entry)] = max(seen.get(int(entry), 0.0), cpu_seconds(int(entry)))
    return sum(seen.values())


def children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            return [int(x) for x in fh.read().split()]
    except OSError:
        return []


class Worker:
    """One ``celery worker -c 1`` (a main process and one prefork child that runs tasks)."""

    def __init__(self, index: int, queue: str, tag: str):
        self.name = f"bench{index}-{tag}@bench"
        self.log_path = OUT / f"worker-{tag}-{index}.log"
        self.queue = queue
        self.proc: subprocess.Popen | None = None
        self.child_hwm = 0
        self.child_rss = 0
        self.main_hwm = 0
        self.child_cpu = 0.0

    def start(self) -> None:
        cmd = [
            sys.executable, "-m", "celery", "-A", "tsunagu.celery", "worker",
            "--loglevel=INFO", "-P", "prefork", "-c", "1", "-Q", self.queue,
            "--without-mingle", "--without-gossip", "--without-heartbeat", "-n", self.name,
        ]  # fmt: skip
        env = os.environ.copy()
        env["PYTHONUNBUFFERED"] = "1"
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )

    def sample(self) -> None:
        if self.proc is None:
            return
        self.main_hwm = max(self.main_hwm, proc_status(self.proc.pid).get("VmHWM", 0))
        for child in children(self.proc.pid):
            st = proc_status(child)
            self.child_hwm = max(self.child_hwm, st.get("VmHWM", 0))
            self.child_rss = max(self.child_rss, st.get("VmRSS", 0))
            self.child_cpu = max(self.child_cpu, cpu_seconds(child))

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)
        self.log.close()

    def chunk_times(self) -> list[tuple[datetime, float]]:
        """(finished at, runtime in s) of each rescore_chunk task, from the worker's log."""
        pat = re.compile(
            r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) .*Task matching\.rescore_chunk\[[^\]]+\] "
            r"succeeded in ([\d.]+)s"
        )
        out = []
        for line in self.log_path.read_text(errors="replace").splitlines():
            m = pat.search(line)
            if m:
                at = datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S,%f")
                out.append((at, float(m.group(2))))
        return out


def wait_ready(workers: list[Worker], timeout: float = 90.0) -> None:
    from tsunagu.celery import app

    names = {w.name for w in workers}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        replies = app.control.ping(destination=sorted(names), timeout=1.0)
        if names <= {k for r in replies for k in r}:
            return
        for w in workers:
            if w.proc and w.proc.poll() is not None:
                raise RuntimeError(f"worker exited; see {w.log_path}")
    raise RuntimeError(f"workers not ready after {timeout}s")


# --------------------------------------------------------------------------- one run


def run_once(n_workers: int, chunk_size: int, queue: str, timeout: float, db: str) -> dict:
    from celery.signals import after_task_publish
    from django.db import connection

    from matching.models import RescoreRun
    from matching.scoring.services import start_full_rescore

    with connection.cursor() as cur:  # the same starting point for every run: no suggestion
        cur.execute("TRUNCATE matching_suggestion, matching_rescorerun RESTART IDENTITY")
    tag = uuid.uuid4().hex[:6]
    workers = [Worker(i, queue, tag) for i in range(n_workers)]
    published: list[float] = []

    def on_publish(sender=None, **_):
        if sender == "matching.plan_full_rescore":
            published.append(time.monotonic())

    after_task_publish.connect(on_publish, weak=False)
    try:
        for w in workers:
            w.start()
        t_boot = time.monotonic()
        wait_ready(workers)
        print(f"  {n_workers} worker(s) ready in {time.monotonic() - t_boot:.1f} s")
        assert not connection.in_atomic_block
        pg_seen: dict[int, float] = {}
        busy0, pg0 = machine_busy(), postgres_cpu(db, pg_seen)
        t0 = time.monotonic()
        run = start_full_rescore(chunk_size=chunk_size)
        t_returned = time.monotonic()
        sent_immediately = bool(published) and published[0] <= t_returned
        print(
            f"  start_full_rescore: plan task published before it returned: {sent_immediately} "
            "(no transaction open → on_commit runs at once)"
        )
        first_chunk = None
        last_pct = -1
        while True:
            for w in workers:
                w.sample()
            postgres_cpu(db, pg_seen)
            run.refresh_from_db()
            now = time.monotonic()
            if first_chunk is None and run.done_chunks >= 1:
                first_chunk = now - t0
            if run.percent_done != last_pct:
                last_pct = run.percent_done
                print(
                    f"    {now - t0:6.1f} s  {run.percent_done:3d} %  "
                    f"{run.done_chunks}/{run.total_chunks} chunks  "
                    f"{run.suggestions_written:,} suggestions",
                    flush=True,
                )
            if run.status in (RescoreRun.Status.DONE, RescoreRun.Status.FAILED):
                break
            if now - t0 > timeout:
                raise RuntimeError(f"run not done after {timeout}s")
            time.sleep(0.25)
        wall = time.monotonic() - t0
        busy1, pg1 = machine_busy(), postgres_cpu(db, pg_seen)
        for w in workers:
            w.sample()
    finally:
        after_task_publish.disconnect(on_publish)
        for w in workers:
            w.stop()
    if run.status == RescoreRun.Status.FAILED:
        raise RuntimeError(f"run failed: {run.error}")
    db_wall = (run.finished_at - run.created_at).total_seconds()
    per_worker = []
    for w in workers:
        times = w.chunk_times()
        rest = [t for _, t in times[1:]]
        per_worker.append(
            {
                "name": w.name,
                "chunks": len(times),
                "first_chunk_s": times[0][1] if times else float("nan"),
                "later_chunk_median_s": statistics.median(rest) if rest else float("nan"),
                "busy_s": sum(t for _, t in times),
                "child_peak_rss_mib": w.child_hwm,
                "child_cpu_s": w.child_cpu,
                "main_peak_rss_mib": w.main_hwm,
                "log": str(w.log_path.relative_to(ROOT)),
            }
        )
    from matching.models import Suggestion

    return {
        "workers": n_workers,
        "chunk_size": chunk_size,
        "chunks": run.total_chunks,
        "needs": run.needs_total,
        "wall_s": wall,
        "db_wall_s": db_wall,
        "first_chunk_s": first_chunk,
        "suggestions_written": run.suggestions_written,
        "suggestion_rows": Suggestion.objects.count(),
        "sent_immediately": sent_immediately,
        "machine_busy_cores": (busy1 - busy0) / wall,
        "workers_cpu_s": sum(w.child_cpu for w in workers),
        "postgres_cpu_s": pg1 - pg0,
        "loadavg_end": open("/proc/loadavg").read().split()[0],
        "per_worker": per_worker,
    }


# --------------------------------------------------------------------------- profile


def profile_chunk(chunk_size: int, args_old_path: bool = False) -> None:
    """The first chunk of a run, in-process, phase by phase, then under cProfile."""
    from django.db import connection

    from matching.models import PostAnalysis
    from matching.scoring import adapter
    from matching.scoring import indexes as live
    from proposals.models import Need, Offer, Status

    adapter.clear_caches()
    need_ids = list(
        Need.objects.filter(status=Status.OPEN).order_by("pk").values_list("pk", flat=True)
    )[:chunk_size]
    lexicon = adapter.current_lexicon()
    print(f"\n== in-process breakdown of the first chunk ({len(need_ids)} needs)")
    phases: list[tuple[str, float]] = []

    def step(label: str, t0: float) -> float:
        t1 = time.perf_counter()
        phases.append((label, t1 - t0))
        rss = proc_status(os.getpid())
        print(
            f"  {label:<62} {t1 - t0:7.2f} s   RSS {rss.get('VmRSS', 0):5d} MiB "
            f"(peak {rss.get('VmHWM', 0)})",
            flush=True,
        )
        return t1

    t = time.perf_counter()
    geo = adapter.geography()
    t = step("geography()", t)
    queryset = Offer.objects.filter(status=Status.OPEN, organization__is_active=True)
    posts = list(queryset.select_related("organization"))
    t = step("load the open offers (select_related organization)", t)
    if args_old_path:
        from django.db.models import prefetch_related_objects

        prefetch_related_objects(posts, "fields", "areas", "forms")
        t = step("(before) prefetch_related fields/areas/forms", t)
    codes = adapter._codes(Offer, queryset)
    t = step("field/area/form codes (adapter._codes, values_list)", t)
    rows = list(
        PostAnalysis.objects.filter(kind="offer", post_id__in=[p.pk for p in posts]).values_list(
            "post_id", "data"
        )
    )
    t = step("fetch PostAnalysis JSON (psycopg + json decoding)", t)
    from matching.engine import PostText

    for _, data in rows:
        PostText.from_json(data)
    t = step("PostText.from_json", t)
    del rows
    features = adapter.offer_features(posts, lexicon, codes)
    t = step("offer_features() (PostAnalysis fetch + from_json + records)", t)
    from collections import defaultdict

    by_city: dict[str, list] = defaultdict(list)
    for post, feature in zip(posts, features, strict=True):
        by_city[geo.city_of(codes[post.pk].area_ids)].append(feature)
    t = step("group by city", t)
    from matching import engine

    for city, feats in by_city.items():
        engine.OfferIndex.build(feats, adapter.hierarchy_for(geo, city), lexicon=lexicon)
    t = step("OfferIndex.build", t)
    del posts, features, by_city, codes
    adapter.clear_caches()
    t = time.perf_counter()
    live.offers.get(Offer, adapter.current_lexicon())
    t = step("=> adapter index build as the worker does it (all of the above)", t)
    profile = adapter.active_profile()
    needs = list(adapter._with_codes(Need.objects.filter(pk__in=need_ids).order_by("pk")))
    t = step("load the chunk's needs", t)
    ranked = adapter._rank_needs(
        needs,
        top_k=profile.top_k,
        profile=adapter.engine_profile(profile),
        as_of=adapter.today(),
        lexicon=lexicon,
    )
    t = step(f"rank {len(needs)} needs (top-{profile.top_k})", t)
    n = sum(adapter.store_for_need(pk, found, profile) for pk, found in ranked.items())
    t = step(f"store_for_need × {len(ranked)} ({n} rows, one transaction per need)", t)
    t = time.perf_counter()
    live.offers.get(Offer, lexicon)
    t = step("index cache check per chunk (one aggregate over recent changes)", t)

    adapter.clear_caches()
    with connection.cursor() as cur:
        cur.execute("TRUNCATE matching_suggestion")
    prof = cProfile.Profile()
    prof.enable()
    adapter.rank_needs_chunk(need_ids)
    prof.disable()
    buf = io.StringIO()
    stats = pstats.Stats(prof, stream=buf).sort_stats("cumulative")
    stats.print_stats(40)
    path = OUT / "rescore-chunk-profile.txt"
    path.write_text(buf.getvalue())
    prof.dump_stats(str(OUT / "rescore-chunk.prof"))
    print(f"  cProfile of adapter.rank_needs_chunk (cold cache): {path.relative_to(ROOT)}")


# --------------------------------------------------------------------------- main


def cleanup_redis(broker: str, before: set[bytes]) -> None:
    import redis

    r = redis.Redis.from_url(broker)
    new = [k for k in r.keys("*") if k not in before]
    if new:
        r.delete(*new)
    print(f"redis: removed {len(new)} key(s) this run created")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--scale", type=float, default=1.0, help="1.0 = 2,000 needs × 100,000 offers")
    ap.add_argument("--workers", default="1,2", help="worker process counts to run, e.g. 1,2")
    ap.add_argument("--chunk-sizes", default="100", help="needs per task, e.g. 50,100,250")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    ap.add_argument("--db", help="default: tsunagu_bench (scale 1), tsunagu_bench_s<scale>")
    ap.add_argument("--broker", default="redis://127.0.0.1:6379/5")
    ap.add_argument("--jobs", type=int, default=2, help="processes for text analysis (load)")
    ap.add_argument("--fresh", action="store_true", help="drop and recreate the database")
    ap.add_argument("--reload", action="store_true", help="reload the data even if present")
    ap.add_argument("--profile", action="store_true", help="in-process breakdown of one chunk")
    ap.add_argument(
        "--profile-prefetch", action="store_true", help="also time prefetch_related (before)"
    )
    ap.add_argument("--no-runs", action="store_true", help="load (and profile) only")
    ap.add_argument("--timeout", type=float, default=600, help="per run, seconds")
    args = ap.parse_args()

    n_needs, n_offers = int(2_000 * args.scale), int(100_000 * args.scale)
    args.db = args.db or bench_db_name(args.scale)
    queue = f"tsunagu-bench-{os.getpid()}"
    OUT.mkdir(parents=True, exist_ok=True)
    configure(args, queue)
    print(
        f"== full re-score bench: {n_needs:,} needs × {n_offers:,} offers, seed {args.seed}; "
        f"{os.cpu_count()} cpus; {datetime.now():%Y-%m-%d %H:%M}"
    )
    create_database(args)
    import django

    django.setup()
    import redis

    before = set(redis.Redis.from_url(args.broker).keys("*"))
    load(args, n_needs, n_offers)
    if args.profile:
        profile_chunk(int(args.chunk_sizes.split(",")[0]), args.profile_prefetch)
    results = []
    try:
        if not args.no_runs:
            for chunk_size in [int(x) for x in args.chunk_sizes.split(",")]:
                for n in [int(x) for x in args.workers.split(",")]:
                    print(f"\n== {n} worker process(es), chunk size {chunk_size}")
                    results.append(run_once(n, chunk_size, queue, args.timeout, args.db))
    finally:
        cleanup_redis(args.broker, before)
    if not results:
        return 0
    print("\n== results")
    print(
        "| workers | chunk | chunks | wall (s) | first chunk done (s) | suggestions | "
        "machine busy (cores) | workers' CPU (s) | PostgreSQL CPU (s) | "
        "per worker: chunks, first chunk (s), later chunks median (s), peak RSS (MiB) |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in results:
        pw = "; ".join(
            f"{w['chunks']}, {w['first_chunk_s']:.1f}, {w['later_chunk_median_s']:.2f}, "
            f"{w['child_peak_rss_mib']}"
            for w in r["per_worker"]
        )
        print(
            f"| {r['workers']} | {r['chunk_size']} | {r['chunks']} | {r['wall_s']:.1f} | "
            f"{r['first_chunk_s']:.1f} | {r['suggestions_written']:,} | "
            f"{r['machine_busy_cores']:.2f} | {r['workers_cpu_s']:.0f} | "
            f"{r['postgres_cpu_s']:.0f} | {pw} |"
        )
    base = {r["chunk_size"]: r["wall_s"] for r in results if r["workers"] == 1}
    for r in results:
        if r["workers"] > 1 and r["chunk_size"] in base:
            print(
                f"speed-up {r['workers']} vs 1 worker (chunk {r['chunk_size']}): "
                f"{base[r['chunk_size']] / r['wall_s']:.2f}×"
            )
    path = OUT / f"rescore-{datetime.now():%Y%m%d-%H%M%S}.txt"
    path.write_text(repr(results))
    print(f"raw results: {path.relative_to(ROOT)}")
    # A run that wrote nothing timed nothing worth reporting: fail loudly.
    empty = [r for r in results if r["suggestions_written"] <= 0]
    if empty:
        print(f"FAILED: {len(empty)} run(s) wrote no suggestions", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
