"""Notification delivery benchmark: 10,000 notifications fanned out through Redis to two
worker processes, delivered by SMTP to a local sink that counts them by Message-ID.

Needs PostgreSQL and Redis:

    .venv/bin/python bench/notifications_bench.py                  # 10,000, 2 workers
    .venv/bin/python bench/notifications_bench.py --count 2000 --workers 1

Options: ``--pg postgres://postgres@127.0.0.1:5432`` (server; the script creates the
database ``--db tsunagu_n1_bench``), ``--broker redis://127.0.0.1:6379/8``.

Steps: migrate; empty the notification tables; start the SMTP sink (tests/smtp_sink.py)
and N ``celery worker -c 1`` processes on a private queue; write the notifications with
``notify()`` (events of ``--fanout`` recipients each, one transaction per event, enqueued
on commit, as the web process does); wait until every delivery is ``sent``. Reports
throughput (deliveries per second, first notification written → last email accepted),
latency percentiles (notification written → accepted by the SMTP server) and duplicates
(messages the sink received more than once; must be 0).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--fanout", type=int, default=100, help="recipients per event")
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--db", default="tsunagu_n1_bench")
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/8")
    args = parser.parse_args()

    import psycopg

    with psycopg.connect(f"{args.pg}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname=%s", [args.db]).fetchone():
            conn.execute(f'CREATE DATABASE "{args.db}"')
    queue = f"tsunagu-notifications-bench-{uuid.uuid4().hex[:6]}"
    os.environ.update(
        DATABASE_URL=f"{args.pg}/{args.db}",
        CELERY_BROKER_URL=args.broker,
        CELERY_TASK_DEFAULT_QUEUE=queue,
        DJANGO_SETTINGS_MODULE="tsunagu.settings",
        LOG_LEVEL="WARNING",
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from smtp_sink import SMTPSink

    from notifications import emails, services
    from notifications.models import Delivery, Notification, Preference
    from organizations.models import User

    Delivery.objects.all().delete()
    Notification.objects.all().delete()
    Preference.objects.all().delete()
    users = []
    for i in range(args.fanout):
        user, _ = User.objects.get_or_create(
            username=f"bench{i}", defaults={"email": f"bench{i}@example.jp"}
        )
        users.append(user)

    with SMTPSink() as sink:
        env = {**os.environ, "EMAIL_URL": sink.url, "PYTHONUNBUFFERED": "1"}
        workers = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "tsunagu.celery",
                    "worker",
                    "-c",
                    "1",
                    "-P",
                    "prefork",
                    "-Q",
                    queue,
                    "--without-mingle",
                    "--without-gossip",
                    "--loglevel=WARNING",
                    "-n",
                    f"bench{n}-{queue}@%h",
                ],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            for n in range(args.workers)
        ]
        try:
            _wait_ready(workers)
            events = args.count // args.fanout
            t0 = time.monotonic()
            for e in range(events):
                services.notify(
                    users, "match.introduce", f"ベンチマーク #{e}", "本文", url="/api/v1/matches/1/"
                )
            produced = time.monotonic() - t0
            deadline = time.monotonic() + 1800
            while time.monotonic() < deadline:
                left = Delivery.objects.exclude(status=Delivery.Status.SENT).count()
                if left == 0:
                    break
                time.sleep(0.5)
            wall = time.monotonic() - t0
        finally:
            for proc in workers:
                os.killpg(os.getpgid(proc.pid), 15)
            for proc in workers:
                proc.wait(timeout=30)

        rows = list(Delivery.objects.select_related("notification"))
        created = {emails.message_id(d): d.notification.created_at.timestamp() for d in rows}
        latencies = sorted(
            sink.first_seen[mid] - ts for mid, ts in created.items() if mid in sink.first_seen
        )
        missing = len(created) - len(latencies)
        dups = sum(c - 1 for c in sink.counts.values() if c > 1)
        first = min(created.values())
        last = max(sink.first_seen.values())
    q = statistics.quantiles(latencies, n=100)
    print(f"command: {' '.join(sys.argv)}")
    print(f"notifications: {len(rows)} ({events} events × {args.fanout} recipients)")
    print(f"workers: {args.workers} × celery -c 1 (prefork), broker {args.broker}, SMTP sink")
    print(f"written in {produced:.1f}s; all delivered after {wall:.1f}s")
    rate = len(latencies) / (last - first)
    print(f"throughput: {rate:.0f} emails/s (first written → last accepted)")
    print(
        f"latency written → accepted: p50 {q[49]:.2f}s, p95 {q[94]:.2f}s, "
        f"p99 {q[98]:.2f}s, max {latencies[-1]:.2f}s"
    )
    print(f"missing: {missing}; duplicates at the sink: {dups}; not sent in DB: "
          f"{sum(1 for d in rows if d.status != 'sent')}")  # fmt: skip


def _wait_ready(workers, timeout: float = 90.0) -> None:
    from tsunagu.models import WorkerHeartbeat
    from tsunagu.tasks import ping

    tokens = [f"bench-ready-{uuid.uuid4().hex}" for _ in workers]
    for token in tokens:
        ping.delay(token)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if WorkerHeartbeat.objects.filter(token__in=tokens).count() == len(tokens):
            time.sleep(2)  # the second worker may have been slower; give it a moment
            return
        if any(p.poll() is not None for p in workers):
            raise SystemExit("a worker exited")
        time.sleep(0.3)
    raise SystemExit("workers did not answer")


if __name__ == "__main__":
    main()
