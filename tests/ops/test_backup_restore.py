"""Backups: the documented ``pg_dump -Fc`` / ``pg_restore`` procedure restores everything.

Some of everything is written to the test database, which is dumped with the command the
deployment guide gives; the dump is restored into a new, empty database on the same
server; every table must hold the same number of rows, a few key tables the same
content (checksums), and ``manage.py verify_restore`` must pass against the restored
database (migrations applied, id sequences ahead of the ids).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from conftest import _unavailable, make_need, make_offer, require_postgres
from django.db import connection

from matching.matches.interest import create_interest_request
from matching.scoring.adapter import rank_needs_chunk
from proposals.models import Need

# postgres_db: on a SQLite session, run in a child on PostgreSQL (tests/postgres_child.py).
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.postgres_db,
    pytest.mark.django_db(transaction=True),
]

ROOT = Path(__file__).resolve().parents[2]
# Content compared row by row (as text, in id order): people, organizations, posts, the
# engine's output, the workflow and its history, notifications.
KEY_TABLES = [
    "organizations_user",
    "organizations_organization",
    "proposals_need",
    "proposals_offer",
    "matching_suggestion",
    "matching_interestrequest",
    "notifications_notification",
    "notifications_delivery",
    "auditlog_logentry",
]


def _params(dbname: str) -> dict:
    s = connection.settings_dict
    return {
        "host": s.get("HOST") or "127.0.0.1",
        "port": str(s.get("PORT") or 5432),
        "user": s.get("USER") or "postgres",
        "password": s.get("PASSWORD") or "",
        "dbname": dbname,
    }


def _client_env(p: dict) -> dict[str, str]:
    env = os.environ.copy()
    env.update(PGHOST=p["host"], PGPORT=p["port"], PGUSER=p["user"])
    if p["password"]:
        env["PGPASSWORD"] = p["password"]
    return env


def _url(p: dict) -> str:
    auth = p["user"] + (f":{p['password']}" if p["password"] else "")
    return f"postgres://{auth}@{p['host']}:{p['port']}/{p['dbname']}"


def _counts(conn: psycopg.Connection) -> dict[str, int]:
    tables = [
        r[0]
        for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        )
    ]
    return {t: conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}


def _checksum(conn: psycopg.Connection, table: str) -> str:
    return conn.execute(
        f"SELECT md5(COALESCE(string_agg(t::text, E'\\n' ORDER BY t.id), '')) FROM \"{table}\" t"
    ).fetchone()[0]


@pytest.fixture
def restore_target():
    require_postgres()
    for tool in ("pg_dump", "pg_restore", "createdb", "dropdb"):
        if not shutil.which(tool):
            # PostgreSQL's client programs: a machine without them cannot dump (CI has them).
            _unavailable(f"{tool} is not installed")
    target = _params(f"{connection.settings_dict['NAME']}_restored_{os.getpid()}")
    env = _client_env(target)
    subprocess.run(["dropdb", "--if-exists", target["dbname"]], env=env, capture_output=True)
    subprocess.run(["createdb", target["dbname"]], env=env, check=True)
    try:
        yield target
    finally:
        subprocess.run(
            ["dropdb", "--if-exists", "--force", target["dbname"]], env=env, capture_output=True
        )


def _some_of_everything(people) -> None:
    """Organizations, people, posts, suggestions, a request, notifications, audit rows
    (the demo city would do too, but takes half a minute to load)."""
    fields = ["disaster", "children", "elderly"]
    for i in range(12):
        make_need(people["department"], title=f"協働テーマ {i}「防災と子育て」",
                  fields=[fields[i % 3]], areas=["t-kita"], forms=["cooperation"])  # fmt: skip
        make_offer(people["npo" if i % 2 else "group"], title=f"シーズ {i}：地域の見守り",
                   fields=[fields[i % 3]], areas=["t-kita"], forms=["cooperation"])  # fmt: skip
    # The engine's output (a worker computes it in production).
    rank_needs_chunk(list(Need.objects.values_list("pk", flat=True)))
    people["coordinator"].email = "coordinator@example.jp"
    people["coordinator"].save()
    create_interest_request(
        people["member"], people["npo"], need=Need.objects.first(), message="ぜひ"
    )


def test_dump_restored_into_an_empty_database_is_intact(restore_target, people, tmp_path):
    _some_of_everything(people)
    source = _params(connection.settings_dict["NAME"])
    dump = tmp_path / "tsunagu.dump"
    started = time.monotonic()

    # The commands of docs/deployment.md (バックアップと復元), outside Docker.
    with open(dump, "wb") as out:
        subprocess.run(["pg_dump", "-Fc", source["dbname"]], env=_client_env(source),
                       stdout=out, check=True, timeout=300)  # fmt: skip
    assert dump.stat().st_size > 10_000
    subprocess.run(
        ["pg_restore", "--no-owner", "--exit-on-error", "-d", restore_target["dbname"],
         str(dump)],
        env=_client_env(restore_target), check=True, timeout=300,
    )  # fmt: skip

    with (
        psycopg.connect(**source) as src,
        psycopg.connect(**restore_target) as dst,
    ):
        before, after = _counts(src), _counts(dst)
        assert after == before
        for table in KEY_TABLES:
            assert before[table], f"{table} is empty: nothing compared"
        for table in KEY_TABLES:
            assert _checksum(dst, table) == _checksum(src, table), table

    restored = time.monotonic() - started
    check = _verify_restore(restore_target)
    assert check.returncode == 0, check.stdout[-2000:] + check.stderr[-2000:]
    assert "restore check passed" in check.stdout
    assert f"organizations: {before['organizations_organization']}" in check.stdout

    # A data-only or partial restore leaves sequences behind the ids: new rows would
    # collide. The check must say so.
    with psycopg.connect(**restore_target, autocommit=True) as dst:
        dst.execute("SELECT setval(pg_get_serial_sequence('organizations_organization', 'id'), 1)")
    broken = _verify_restore(restore_target)
    assert broken.returncode != 0
    assert "organizations_organization: next id 2" in broken.stderr, broken.stderr
    print(
        f"\nbackup/restore: {len(before)} tables, {sum(before.values())} rows, dump "
        f"{dump.stat().st_size // 1024} KiB; dump + restore {restored:.1f}s"
    )


def _verify_restore(target: dict) -> subprocess.CompletedProcess:
    env = os.environ.copy()
    env["DATABASE_URL"] = _url(target)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, "manage.py", "verify_restore"], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
