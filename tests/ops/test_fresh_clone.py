"""A fresh clone, before anything was migrated: what a newcomer runs first works, and the
tests need nothing beside the repository."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from conftest import dev_dataset

ROOT = Path(__file__).resolve().parents[2]


def fresh(*args: str, var_dir: Path) -> subprocess.CompletedProcess:
    """``manage.py ARGS`` with an empty TSUNAGU_VAR_DIR (no database file, nothing migrated)
    and the default (embedded) database and broker."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "CELERY_"))}
    env["TSUNAGU_VAR_DIR"] = str(var_dir)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )


def test_the_tests_read_their_dataset_from_the_repository():
    path = dev_dataset()
    assert path.is_relative_to(ROOT / "tests") and path.is_file()
    # No test reaches for the folder that only exists beside a development checkout.
    # The folder's name is assembled so that this guard does not name the path itself.
    folder = "sha" + "red"
    beside = re.compile(
        rf"""["']\.\./{folder}|["']{folder}["']|parents\[\d+\]\s*/\s*["']{folder}"""
    )
    found = [
        f"{file.relative_to(ROOT)}:{number}"
        for file in (ROOT / "tests").rglob("*.py")
        for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1)
        if beside.search(line)
    ]
    assert not found, found


def test_evaluate_matching_works_before_anything_was_migrated(tmp_path):
    var_dir = tmp_path / "var"
    out = tmp_path / "rankings.json"
    result = fresh(
        "evaluate_matching", str(dev_dataset()), "--rankings-out", str(out), var_dir=var_dir
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "engine (つなぐ)" in result.stdout and "random (20 seeds)" in result.stdout
    needs = {need["id"] for need in json.loads(dev_dataset().read_text())["needs"]}
    assert set(json.loads(out.read_text())) == needs
    # The user's own database was neither created nor migrated: the evaluation ran in a
    # throwaway one.
    assert not list(var_dir.glob("*.sqlite3*"))


def test_a_broken_dataset_is_refused_on_a_fresh_clone_with_the_place_named(tmp_path):
    data = json.loads(dev_dataset().read_text())
    data["needs"][1]["fields"] = ["no-such-field"]  # checked against the seeded codes
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(data, ensure_ascii=False))
    out = tmp_path / "rankings.json"
    result = fresh(
        "evaluate_matching", str(broken), "--rankings-out", str(out), var_dir=tmp_path / "var"
    )
    assert result.returncode != 0
    assert "needs[1].fields" in result.stderr and "no-such-field" in result.stderr
    assert "no such table" not in result.stderr
    assert not out.exists()
