"""Tests marked ``postgres_db`` need the session's database to be PostgreSQL (row locks
under real concurrency, ``pg_dump``/``pg_restore``). CI runs the whole session on
PostgreSQL; a session on SQLite (the README's test command on a fresh clone) does not skip
them: each runs again in a child pytest whose DATABASE_URL points at a PostgreSQL cluster
of the session's own (``servers.PostgresServer``: a free port, a temporary folder, removed
at the end). Only a machine without PostgreSQL's server programs skips them (CI fails).

The parent reports the child's outcome as the test's own (``pytest_runtest_protocol`` in
``tests/conftest.py``): the test's fixtures are not set up on SQLite at all.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

MARKER = "postgres_db"
_cluster = None  # this session's (this xdist worker's) PostgresServer, started on first use


def needs_child(item: pytest.Item) -> bool:
    if item.get_closest_marker(MARKER) is None:
        return False
    from django.conf import settings

    return "postgresql" not in settings.DATABASES["default"]["ENGINE"]


def _server():
    global _cluster
    if _cluster is None:
        from servers import PostgresServer

        server = PostgresServer()  # skips (fails in CI) without initdb / pg_ctl
        server.init()
        server.start()
        _cluster = server
    return _cluster


def shutdown() -> None:
    global _cluster
    if _cluster is not None:
        _cluster.destroy()
        _cluster = None


def run_in_child(item: pytest.Item) -> None:
    """Run ``item`` in a child pytest on PostgreSQL; skip or fail as it did."""
    server = _server()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["DATABASE_URL"] = server.url("tsunagu")
    with tempfile.TemporaryDirectory(prefix="tsunagu-pg-child-") as tmp:
        junit = Path(tmp) / "report.xml"
        # --reuse-db: the test database is migrated by the first child of the session.
        command = [sys.executable, "-m", "pytest", item.nodeid, "-n", "0", "-q",
                   "-p", "no:cacheprovider", "--reuse-db", f"--junitxml={junit}"]  # fmt: skip
        result = subprocess.run(
            command,
            cwd=item.config.rootpath,
            env=env,
            capture_output=True,
            text=True,
            timeout=1800,
        )
        output = (result.stdout + result.stderr)[-6000:]
        cases = list(ET.parse(junit).getroot().iter("testcase")) if junit.exists() else []
    outcomes = [child for case in cases for child in case]
    failed = any(o.tag in ("failure", "error") for o in outcomes)
    if result.returncode != 0 or failed or not cases:
        pytest.fail(f"on PostgreSQL ({server.url('tsunagu')}):\n{output}", pytrace=False)
    for outcome in outcomes:
        if outcome.tag == "skipped":
            pytest.skip(f"on PostgreSQL: {outcome.get('message', '')}")


def run_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """pytest's protocol for one test (setup, call, teardown, each reported), the call
    being the child run."""
    ihook = item.ihook
    ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
    phases = (
        ("setup", lambda: None),
        ("call", lambda: run_in_child(item)),
        # What the previous test set up and the next one does not need (module or session
        # fixtures) is torn down here, as pytest's own teardown would; the teardown hooks
        # of plugins are not called, as their setup hooks were not.
        ("teardown", lambda: item.session._setupstate.teardown_exact(nextitem)),
    )
    for when, func in phases:
        call = pytest.CallInfo.from_call(
            func, when=when, reraise=(pytest.exit.Exception, KeyboardInterrupt)
        )
        report = ihook.pytest_runtest_makereport(item=item, call=call)
        ihook.pytest_runtest_logreport(report=report)
    ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
