"""Load test (issue 7): gunicorn on this machine, the demo city at N×, a mixed workload.

    .venv/bin/python bench/load_test.py                        # 10×, steps 5,10,20,40 × 60 s
    .venv/bin/python bench/load_test.py --reuse --steps 40,80  # same database, other steps
    .venv/bin/python bench/load_test.py --host http://127.0.0.1:8000 --steps 5 --duration 10

What it does (without ``--host``): drops and creates the PostgreSQL database ``--db``
(default ``tsunagu_load`` on ``--pg``), migrates, loads the demo city at ``--scale``
(``load_demo --scale N``; at 1× the suggestions are computed with ``score_demo``), runs
``VACUUM ANALYZE`` (a bulk load leaves the planner without statistics until autovacuum
runs, and autovacuum may be off), collects static files and starts gunicorn with the
production settings of the Dockerfile (``DEBUG=false``, whitenoise, WEB_CONCURRENCY=3
processes × 4 threads, keep-alive 5, max-requests 1000±100, access log to a file).
Then it logs in one session per simulated member/coordinator (``bench/load_mix.py``), warms
the workers up, and runs ``bench/locustfile.py`` headless once per step (users with a think
time of 0.5–2 s). Per step it records requests/s, p50/p95/p99, failures (any answer but a
200, or a connection error), gunicorn's, PostgreSQL's, locust's and the whole machine's CPU,
and the load average. Prints a table and writes ``load_test.json`` / ``load_test.csv``
under ``--out`` (default ``$TSUNAGU_VAR_DIR`` or ``var/load``).

"Sustained" is the highest step with zero failures and p95 under ``--p95-limit`` ms.
With ``--host`` no server is set up: the steps run against that server as it is.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from load_mix import PROXY_HEADERS, prepare  # noqa: E402

PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv").exists() else sys.executable
BIN = Path(PYTHON).parent


def _run(cmd: list[str], env: dict[str, str]) -> str:
    result = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def _psql(pg: str, dbname: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{pg}/{dbname}", autocommit=True) as conn:
        conn.execute(sql)


COUNTS = """
import json
from matching.models import Match, Suggestion
from notifications.models import Notification
from organizations.models import Organization, User
from proposals.models import Need, Offer
print(json.dumps({
    "organizations": Organization.objects.count(), "users": User.objects.count(),
    "needs": Need.objects.count(), "offers": Offer.objects.count(),
    "suggestions": Suggestion.objects.count(), "matches": Match.objects.count(),
    "notifications": Notification.objects.count(),
}))
"""


def setup_database(args: argparse.Namespace, env: dict[str, str]) -> dict[str, int]:
    manage = [PYTHON, "manage.py"]
    if not args.reuse:
        t = time.perf_counter()
        _psql(args.pg, "postgres", f'DROP DATABASE IF EXISTS "{args.db}" WITH (FORCE)')
        _psql(args.pg, "postgres", f'CREATE DATABASE "{args.db}"')
        _run([*manage, "migrate", "--noinput", "-v0"], env)
        _run(
            [
                *manage,
                "load_demo",
                "--scale",
                str(args.scale),
                "--allow-insecure-passwords",
                "--quiet",
            ],
            env,
        )
        if args.scale == 1:  # --scale N computes suggestions; the 1× load leaves it to a worker
            code = "from tsunagu.demo.scale import score_demo; score_demo()"
            _run([*manage, "shell", "-c", code], env)
        _psql(args.pg, args.db, "VACUUM ANALYZE")
        print(f"database {args.db}: loaded ×{args.scale} in {time.perf_counter() - t:.0f} s")
    _run([*manage, "collectstatic", "--noinput", "-v0"], env)
    counts = json.loads(_run([*manage, "shell", "-c", COUNTS], env).strip().splitlines()[-1])
    print("data: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    return counts


def gunicorn_command(args: argparse.Namespace, logs: Path) -> list[str]:
    """The Dockerfile's CMD, bound to loopback, logs to files instead of stdout."""
    return [
        str(BIN / "gunicorn"),
        "tsunagu.wsgi",
        "--bind",
        f"127.0.0.1:{args.port}",
        "--workers",
        str(args.workers),
        "--threads",
        str(args.threads),
        "--timeout",
        "60",
        "--graceful-timeout",
        "30",
        "--keep-alive",
        "5",
        "--max-requests",
        "1000",
        "--max-requests-jitter",
        "100",
        "--worker-tmp-dir",
        "/dev/shm",
        "--access-logfile",
        str(logs / "gunicorn-access.log"),
        "--error-logfile",
        str(logs / "gunicorn-error.log"),
    ]


def wait_ready(base: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            request = urllib.request.Request(f"{base}/menu/", headers=PROXY_HEADERS)
            with urllib.request.urlopen(request, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"gunicorn did not answer at {base} within {timeout:.0f} s")


# --- CPU accounting -----------------------------------------------------------------------
def _tree_cpu(proc: psutil.Process | None) -> float:
    """CPU seconds of a gunicorn master, its live workers and the workers it reaped."""
    if proc is None:
        return 0.0
    try:
        t = proc.cpu_times()
        total = t.user + t.system + t.children_user + t.children_system
        for child in proc.children():
            try:
                c = child.cpu_times()
                total += c.user + c.system
            except psutil.NoSuchProcess:
                pass
        return total
    except psutil.NoSuchProcess:
        return 0.0


def _pg_cpu(dbname: str) -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend connected to ``dbname``."""
    out = {}
    for proc in psutil.process_iter(["name", "cmdline"]):
        try:
            cmd = " ".join(proc.info["cmdline"] or [])
            if cmd.startswith("postgres:") and f" {dbname} " in cmd:
                t = proc.cpu_times()
                out[proc.pid] = t.user + t.system
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return out


def _busy() -> tuple[float, float]:
    t = psutil.cpu_times()
    idle = t.idle + getattr(t, "iowait", 0.0)
    return sum(t) - idle, sum(t)


# --- one step -----------------------------------------------------------------------------
def run_step(
    args: argparse.Namespace,
    base: str,
    users: int,
    duration: int,
    prefix: Path,
    env: dict[str, str],
    server: psutil.Process | None,
    error_log: Path | None,
) -> dict[str, Any]:
    cmd = [
        str(BIN / "locust"),
        "-f",
        str(BENCH / "locustfile.py"),
        "--headless",
        "--host",
        base,
        "--users",
        str(users),
        "--spawn-rate",
        str(users),  # all at once; --reset-stats drops the spawn second
        "--run-time",
        f"{duration}s",
        "--reset-stats",
        "--only-summary",
        "--csv",
        str(prefix),
        "--loglevel",
        "WARNING",
        "--exit-code-on-error",
        "0",
    ]
    log_mark = error_log.stat().st_size if error_log and error_log.exists() else 0
    load_before = os.getloadavg()
    rusage = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_cpu, pg_cpu, (busy, total) = _tree_cpu(server), _pg_cpu(args.db), _busy()
    started = time.monotonic()
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    loads = []
    while proc.poll() is None:
        time.sleep(1)
        if time.monotonic() - started > 5:
            loads.append(os.getloadavg()[0])
    output = proc.stdout.read() if proc.stdout else ""
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    pg_after = _pg_cpu(args.db)
    busy2, total2 = _busy()
    if proc.returncode:
        raise SystemExit(f"locust failed ({proc.returncode}):\n{output[-3000:]}")

    rows = list(csv.DictReader(open(f"{prefix}_stats.csv", encoding="utf-8")))
    agg = next(r for r in rows if r["Name"] == "Aggregated")
    failures = list(csv.DictReader(open(f"{prefix}_failures.csv", encoding="utf-8")))
    server_errors = restarts = 0
    if error_log and error_log.exists():
        with open(error_log, encoding="utf-8", errors="replace") as fh:
            fh.seek(log_mark)
            text = fh.read()
        server_errors = text.count("WORKER TIMEOUT") + text.count("Error handling request")
        # --max-requests recycles a worker now and then, as in production: a pause.
        restarts = text.count("Booting worker")
    cores = psutil.cpu_count() or 1
    return {
        "users": users,
        "duration_s": duration,
        "requests": int(agg["Request Count"]),
        "failures": int(agg["Failure Count"]),
        "rps": float(agg["Requests/s"]),
        "p50_ms": float(agg["50%"]),
        "p95_ms": float(agg["95%"]),
        "p99_ms": float(agg["99%"]),
        "max_ms": float(agg["Max Response Time"]),
        "server_log_errors": server_errors,
        "worker_restarts": restarts,
        "failure_kinds": [
            {"name": f["Name"], "error": f["Error"], "count": int(f["Occurrences"])}
            for f in failures
        ],
        "pages": {
            r["Name"]: {
                "requests": int(r["Request Count"]),
                "failures": int(r["Failure Count"]),
                "p50_ms": float(r["50%"]),
                "p95_ms": float(r["95%"]),
                "p99_ms": float(r["99%"]),
            }
            for r in rows
            if r["Name"] != "Aggregated"
        },
        # CPU in cores (CPU seconds / wall seconds) over the whole locust run.
        "cpu_gunicorn": round((_tree_cpu(server) - server_cpu) / wall, 2) if server else None,
        "cpu_postgres": round(
            sum(v - pg_cpu.get(pid, 0.0) for pid, v in pg_after.items()) / wall, 2
        ),
        "cpu_locust": round(
            (after.ru_utime + after.ru_stime - rusage.ru_utime - rusage.ru_stime) / wall, 2
        ),
        "cpu_machine": round((busy2 - busy) / (total2 - total) * cores, 2),
        "cores": cores,
        "loadavg_before": round(load_before[0], 2),
        "loadavg_during_max": round(max(loads), 2) if loads else None,
    }


def print_table(results: list[dict[str, Any]]) -> None:
    print(
        "\n| users | req/s | p50 ms | p95 ms | p99 ms | max ms | requests | errors | "
        "gunicorn CPU | postgres CPU | locust CPU | machine CPU | load avg before / during |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in results:
        errors = r["failures"] + r["server_log_errors"]
        print(
            f"| {r['users']} | {r['rps']:.1f} | {r['p50_ms']:.0f} | {r['p95_ms']:.0f} | "
            f"{r['p99_ms']:.0f} | {r['max_ms']:.0f} | {r['requests']:,} | {errors} | "
            f"{r['cpu_gunicorn']} | {r['cpu_postgres']} | {r['cpu_locust']} | "
            f"{r['cpu_machine']} / {r['cores']} | {r['loadavg_before']} / "
            f"{r['loadavg_during_max']} |"
        )


def print_pages(result: dict[str, Any]) -> None:
    print(f"\nper page at {result['users']} users (p50 / p95 / p99 ms, requests):")
    for name, p in sorted(result["pages"].items(), key=lambda kv: -kv[1]["requests"]):
        print(
            f"  {name:28} {p['p50_ms']:6.0f} {p['p95_ms']:6.0f} {p['p99_ms']:6.0f}"
            f"  {p['requests']:6,}  failures {p['failures']}"
        )


def sustained(results: list[dict[str, Any]], p95_limit: float) -> dict[str, Any] | None:
    ok = [
        r
        for r in results
        if r["failures"] == 0 and r["server_log_errors"] == 0 and r["p95_ms"] <= p95_limit
    ]
    return max(ok, key=lambda r: r["rps"]) if ok else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--steps", default="5,10,20,40", help="users per step")
    parser.add_argument("--duration", type=int, default=60, help="seconds per step")
    parser.add_argument("--warmup", type=int, default=15, help="seconds, not recorded")
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--db", default="tsunagu_load")
    parser.add_argument("--reuse", action="store_true", help="keep the loaded database")
    parser.add_argument("--port", type=int, default=8711)
    parser.add_argument("--workers", type=int, default=3, help="the Dockerfile's default")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--think", default="0.5,2.0", help="think time min,max in seconds")
    parser.add_argument("--p95-limit", type=float, default=1000.0)
    parser.add_argument("--host", help="an already running server: no setup, no gunicorn")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    steps = [int(s) for s in args.steps.split(",")]
    think_min, think_max = args.think.split(",")

    var = Path(os.environ.get("TSUNAGU_VAR_DIR") or ROOT / "var" / "load")
    out = args.out or var
    out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update(
        TSUNAGU_VAR_DIR=str(var),
        LOAD_THINK_MIN=think_min,
        LOAD_THINK_MAX=think_max,
        PYTHONUNBUFFERED="1",
    )
    meta: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "steps": steps,
        "duration_s": args.duration,
        "think_s": [float(think_min), float(think_max)],
        "cores": psutil.cpu_count(),
        "loadavg_at_start": os.getloadavg(),
    }
    server = None
    error_log = None
    try:
        if args.host:
            base = args.host.rstrip("/")
        else:
            env.update(
                DATABASE_URL=f"{args.pg}/{args.db}",
                DEBUG="false",
                SECRET_KEY="load-test-only-" + os.urandom(24).hex(),
                ALLOWED_HOSTS="127.0.0.1,localhost",
                LOG_LEVEL="WARNING",
            )
            meta["data"] = setup_database(args, env)
            meta["scale"] = args.scale
            logs = out / "logs"
            shutil.rmtree(logs, ignore_errors=True)
            logs.mkdir(parents=True)
            error_log = logs / "gunicorn-error.log"
            command = gunicorn_command(args, logs)
            meta["gunicorn"] = " ".join(command[1:])
            server_proc = subprocess.Popen(command, cwd=ROOT, env=env)
            server = psutil.Process(server_proc.pid)
            base = f"http://127.0.0.1:{args.port}"
            wait_ready(base)
        t = time.perf_counter()
        targets = prepare(base, max(steps))
        targets_file = out / "load_targets.json"
        targets.dump(targets_file)
        env["LOAD_TARGETS"] = str(targets_file)
        print(
            f"logged in {len(targets.members)} member and {len(targets.coordinators)} "
            f"coordinator sessions in {time.perf_counter() - t:.0f} s"
        )
        if args.warmup:
            run_step(args, base, min(steps), args.warmup, out / "warmup", env, server, None)
        results = []
        for users in steps:
            result = run_step(
                args, base, users, args.duration, out / f"step_{users}", env, server, error_log
            )
            results.append(result)
            print(
                f"  {users:3} users: {result['rps']:6.1f} req/s, p50 {result['p50_ms']:.0f} "
                f"p95 {result['p95_ms']:.0f} p99 {result['p99_ms']:.0f} ms, "
                f"{result['failures'] + result['server_log_errors']} errors, "
                f"load avg {result['loadavg_during_max']}"
            )
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(40)
            except psutil.TimeoutExpired:
                server.kill()

    meta["loadavg_at_end"] = os.getloadavg()
    best = sustained(results, args.p95_limit)
    print_table(results)
    print_pages(best or results[-1])
    if best:
        print(
            f"\nsustained: {best['rps']:.1f} req/s at {best['users']} users, p50 "
            f"{best['p50_ms']:.0f} / p95 {best['p95_ms']:.0f} / p99 {best['p99_ms']:.0f} ms, "
            f"0 errors in {best['requests']:,} requests"
        )
    else:
        print(f"\nno step had zero errors and p95 ≤ {args.p95_limit:.0f} ms")
    (out / "load_test.json").write_text(
        json.dumps({"meta": meta, "steps": results, "sustained": best}, indent=1)
    )
    with open(out / "load_test.csv", "w", newline="", encoding="utf-8") as fh:
        keys = [k for k in results[0] if k not in ("pages", "failure_kinds")]
        writer = csv.DictWriter(fh, fieldnames=keys, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(results)
    print(f"results: {out / 'load_test.json'}, {out / 'load_test.csv'}")
    return 0 if best else 1


if __name__ == "__main__":
    sys.exit(main())
