"""Throwaway PostgreSQL and Redis servers for fault tests.

The machine's shared servers (5432, 6379) are never stopped: a test that needs to stop,
restart or lose a server starts its own on a free port, in a temporary directory, and
removes it afterwards. PostgreSQL refuses to run as root, so as root the cluster belongs
to the ``postgres`` user and its commands run through ``runuser``.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from conftest import _unavailable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


def postgres_bin_dir() -> Path | None:
    """The newest /usr/lib/postgresql/*/bin with initdb, or the one on PATH."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version_key)
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _version_key(path: str) -> tuple[int, ...]:
    part = Path(path).parent.parent.name
    return tuple(int(x) for x in part.split(".") if x.isdigit())


class PostgresServer:
    """A PostgreSQL cluster of our own: ``initdb`` + ``pg_ctl`` on a free port, trust auth
    on 127.0.0.1, no fsync (a test cluster, thrown away)."""

    def __init__(self) -> None:
        bindir = postgres_bin_dir()
        if bindir is None:  # no PostgreSQL server programs on this machine (CI has them)
            _unavailable("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
        self.bindir = bindir
        self.port = free_port()
        self.run_as: str | None = None
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError:  # initdb refuses root, and there is no one else to run it
                _unavailable("running as root and there is no 'postgres' user for initdb")
            self.run_as = "postgres"
        # Not under pytest's tmp_path: its parents are private to root.
        self.dir = Path(tempfile.mkdtemp(prefix="tsunagu-pg-"))
        if self.run_as:
            shutil.chown(self.dir, user=self.run_as)
        self.data = self.dir / "data"
        self.logfile = self.dir / "server.log"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self.run_as:
            cmd = ["runuser", "-u", self.run_as, "--", *cmd]
        return subprocess.run(cmd, check=check, capture_output=True, text=True, timeout=120)

    def url(self, dbname: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{dbname}"

    def _options(self) -> str:
        return (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )

    def init(self) -> PostgresServer:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust",
                  "-E", "UTF8", "--no-sync", "--locale=C.UTF-8")  # fmt: skip
        return self

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-o", self._options(),
                  "-l", str(self.logfile), "-w", "-t", "60", "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop",
                  check=False)  # fmt: skip

    def restart(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-o", self._options(), "-m", mode,
                  "-l", str(self.logfile), "-w", "-t", "60", "restart")  # fmt: skip

    def createdb(self, name: str) -> str:
        subprocess.run(
            [str(self.bindir / "createdb"), "-h", "127.0.0.1", "-p", str(self.port),
             "-U", "postgres", name],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        return self.url(name)

    def log(self) -> str:
        try:
            return self.logfile.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


class RedisServer:
    """A throwaway redis-server (no persistence): stopping it loses its queues."""

    def __init__(self, workdir: Path) -> None:
        if not shutil.which("redis-server"):  # not installed here (CI has it)
            _unavailable("redis-server is not installed")
        self.port = free_port()
        self.workdir = workdir
        self.proc: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        import redis

        client = redis.Redis.from_url(self.url(), socket_connect_timeout=0.5)
        assert wait_until(lambda: _pings(client), timeout=10), "redis-server did not start"

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


def _pings(client) -> bool:
    try:
        return bool(client.ping())
    except Exception:
        return False


@contextlib.contextmanager
def celery_broker(url: str):
    """Point this process's Celery app at another broker (and drop pooled connections)."""
    from tsunagu.celery import app

    # broker_write_url: CELERY_BROKER_URL in the environment would win over broker_url.
    old = (app.conf.get("broker_write_url"), app.conf.broker_transport_options)

    def reset() -> None:
        app._pool = None
        app.amqp._producer_pool = None

    app.conf["broker_write_url"] = url
    app.conf.broker_transport_options = {"visibility_timeout": 3600, "socket_connect_timeout": 3}
    reset()
    try:
        yield
    finally:
        app.conf["broker_write_url"], app.conf.broker_transport_options = old
        reset()
