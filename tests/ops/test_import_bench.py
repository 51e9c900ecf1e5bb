"""``bench/import_bench.py`` runs (a small registry on a SQLite file of its own) and checks
what it measures: every step previews and writes the rows it should, or it exits non-zero."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_import_bench_previews_and_writes_every_row(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["TSUNAGU_VAR_DIR"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "import_bench.py"), "--rows", "300", "--sqlite",
         "--max-preview-seconds", "120"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "300 rows previewed (create 300)" in out
    assert "300 rows written (300 created, 0 updated)" in out
    assert "300 rows previewed (unchanged 300)" in out
    assert "30 rows written (0 created, 30 updated)" in out
