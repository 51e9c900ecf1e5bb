"""``evaluate_matching``: the real engine on a labelled dataset, never on the user's data."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import dev_dataset

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def dev() -> Path:
    return dev_dataset()


def run(*args: str, tmp_path: Path) -> subprocess.CompletedProcess:
    import os

    # A database of the user's own, to show the evaluation leaves it alone.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "CELERY_"))}
    env["TSUNAGU_VAR_DIR"] = str(tmp_path / "user")
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )


def test_evaluation_prints_engine_and_baselines_and_writes_rankings(tmp_path, dev):
    assert run("migrate", "-v0", tmp_path=tmp_path).returncode == 0
    out_file = tmp_path / "rankings.json"
    result = run("evaluate_matching", str(dev), "--rankings-out", str(out_file), tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = {line.split("  ")[0].strip(): line.split() for line in result.stdout.splitlines()}
    engine = float(lines["engine (つなぐ)"][-3])
    tfidf = float(lines["TF-IDF char 2-3-gram"][-3])
    random_ = float(lines["random (20 seeds)"][-3])
    assert engine >= 0.85 and engine - tfidf >= 0.10 and random_ < tfidf
    rankings = json.loads(out_file.read_text())
    data = json.loads(dev.read_text())
    assert set(rankings) == {n["id"] for n in data["needs"]}
    all_offers = {o["id"] for o in data["offers"]}
    for ranked in rankings.values():
        assert len(ranked) >= 20 and len(set(ranked)) == len(ranked)
        assert set(ranked) <= all_offers
    # the user's database was not touched: no dataset organization in it
    count = run(
        "shell", "-c",
        "from organizations.models import Organization; print(Organization.objects.count())",
        tmp_path=tmp_path,
    )  # fmt: skip
    assert count.stdout.strip().splitlines()[-1] == "0"


def test_a_broken_dataset_is_refused_with_the_first_problem_named(tmp_path, dev):
    assert run("migrate", "-v0", tmp_path=tmp_path).returncode == 0
    data = json.loads(dev.read_text())
    data["offers"][3]["available_from"] = "2025-13-01"
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(data, ensure_ascii=False))
    result = run(
        "evaluate_matching", str(broken), "--rankings-out", str(tmp_path / "r.json"),
        tmp_path=tmp_path,
    )  # fmt: skip
    assert result.returncode != 0
    assert "offers[3].available_from" in result.stderr
    assert not (tmp_path / "r.json").exists()
