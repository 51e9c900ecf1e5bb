"""A real Celery worker process for integration tests.

The worker runs the project's code in a subprocess against the *test* database (so the
test must use ``transactional_db``: the worker only sees committed rows) and the
configured broker: Redis in CI, the embedded filesystem transport elsewhere. Each test
session uses its own queue so that stale messages from other runs never reach it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def database_url() -> str:
    """A DATABASE_URL pointing at the database this test process uses."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    if connection.vendor == "postgresql":
        auth = s["USER"] or ""
        if s.get("PASSWORD"):
            auth += f":{s['PASSWORD']}"
        host = s.get("HOST") or "localhost"
        port = s.get("PORT") or 5432
        return f"postgres://{auth}@{host}:{port}/{s['NAME']}"
    raise RuntimeError(f"no worker support for {connection.vendor}")


class WorkerProcess:
    def __init__(self, queue: str, broker_folder: str | None, log_dir: Path):
        self.queue = queue
        self.broker_folder = broker_folder
        self.log_path = log_dir / f"worker-{uuid.uuid4().hex[:8]}.log"
        self.proc: subprocess.Popen | None = None

    def env(self) -> dict[str, str]:
        env = os.environ.copy()
        env.update(
            DATABASE_URL=database_url(),
            CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
            CELERY_TASK_DEFAULT_QUEUE=self.queue,
            DJANGO_SETTINGS_MODULE="tsunagu.settings",
            PYTHONUNBUFFERED="1",
            # The test's own index directory: the worker is another process of its host.
            MATCHING_INDEX_DIR=str(settings.MATCHING_INDEX_DIR),
        )
        if self.broker_folder:
            env["CELERY_BROKER_FOLDER"] = self.broker_folder
        return env

    def start(self, concurrency: int = 1, name: str | None = None) -> WorkerProcess:
        cmd = [
            sys.executable, "-m", "celery", "-A", "tsunagu.celery", "worker",
            "--loglevel=INFO", "-P", "prefork", "-c", str(concurrency), "-Q", self.queue,
            "--without-mingle", "--without-gossip",
            "-n", f"{name or 'test-' + uuid.uuid4().hex[:6]}@%h",
        ]  # fmt: skip
        self.log = open(self.log_path, "ab")
        # Its own process group, so that stopping it also stops its pool processes.
        self.proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=self.env(),
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Send a ping through the broker and wait until the worker has written it."""
        from tsunagu.models import WorkerHeartbeat
        from tsunagu.tasks import ping

        token = f"ready-{uuid.uuid4().hex}"
        ping.delay(token)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if WorkerHeartbeat.objects.filter(token=token).exists():
                return
            if self.proc and self.proc.poll() is not None:
                break
            time.sleep(0.2)
        raise RuntimeError(f"worker did not answer in {timeout}s; log:\n{self.read_log()}")

    def read_log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-8000:]
        except OSError:
            return ""

    def stop(self, sig: int | None = None, grace: float = 2.0) -> None:
        """Stop the worker: ``sig`` to its process group (default SIGTERM, a warm
        shutdown), then SIGKILL whatever is left after ``grace`` seconds."""
        if self.proc and self.proc.poll() is None:
            pgid = os.getpgid(self.proc.pid)
            os.killpg(pgid, sig if sig is not None else signal.SIGTERM)
            try:
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                pass
            try:
                os.killpg(pgid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=10)
        if getattr(self, "log", None):
            self.log.close()


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.2) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())
