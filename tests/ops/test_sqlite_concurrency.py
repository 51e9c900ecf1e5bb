"""The embedded SQLite setup lets the web server and the worker write at the same time.

Runs against its own SQLite file whatever DATABASE_URL says, so CI checks it too.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

WRITER = """
import django, os, sys
django.setup()
from django.db import transaction
from organizations.models import Organization
name = sys.argv[1]
for i in range(60):
    with transaction.atomic():
        org = Organization.objects.create(name=f"{name}-{i}", kind="citizen_group")
        # read-then-write inside one transaction: the pattern that deadlocks SQLite
        # when a read lock has to be upgraded
        Organization.objects.filter(pk=org.pk).update(description=str(
            Organization.objects.filter(name__startswith=name).count()))
print("ok", name)
"""


def test_parallel_writers_never_hit_database_is_locked(tmp_path):
    env = os.environ.copy()
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'embedded.sqlite3'}",
        DJANGO_SETTINGS_MODULE="tsunagu.settings",
        TSUNAGU_VAR_DIR=str(tmp_path / "var"),
    )
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, capture_output=True
    )
    assert migrate.returncode == 0, migrate.stderr.decode()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, f"writer{n}"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for n in range(4)
    ]
    outputs = [p.communicate(timeout=180) for p in procs]
    for proc, (_out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err.decode()[-2000:]
        assert b"database is locked" not in err
    count = subprocess.run(
        [
            sys.executable, "-c",
            "import django; django.setup(); from organizations.models import Organization;"
            "print(Organization.objects.count())",
        ],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert count.stdout.strip() == "240"
