"""Smoke test of the load-test harness (bench/load_test.py, bench/locustfile.py).

The load test itself is a benchmark (docs/benchmarks.md, "Load test"), not part of the test
run. This runs its request mix for a few seconds against a live server on the 1× demo city
to prove the harness works: it logs in through the real login form, finds the members'
posts, drives every kind of page (menu search, post pages, API, マイページ, inbox,
suggestions, the review queue) and reads locust's results, with no failed request.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _load_test_module():
    if importlib.util.find_spec("locust") is None:
        pytest.fail("locust is not installed: pip install -e '.[test]'")
    sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location("load_test", BENCH / "load_test.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_request_mix_runs_against_a_live_server(live_server, transactional_db, tmp_path):
    from demo.loader import load_demo
    from demo.scale import score_demo

    load_demo(allow_insecure_passwords=True)
    assert score_demo() > 0  # the suggestions pages have something to show
    load_test = _load_test_module()

    exit_code = load_test.main(
        [
            "--host",
            live_server.url,
            "--steps",
            "11",
            "--duration",
            # 10 s: the one coordinator's first review-queue page can take seconds on a
            # busy 2-core machine with ten other users on the test server.
            "10",
            "--warmup",
            "0",
            "--think",
            "0.05,0.2",
            # Speed is the benchmark's business: here any latency passes.
            "--p95-limit",
            "600000",
            "--out",
            str(tmp_path),
        ]
    )

    results = json.loads((tmp_path / "load_test.json").read_text())
    step = results["steps"][0]
    assert step["failures"] == 0, step["failure_kinds"]
    assert exit_code == 0 and results["sustained"]["users"] == 11
    assert step["requests"] > 20 and step["rps"] > 0 and step["p95_ms"] > 0
    # Anonymous visitors, members and coordinators all ran (11 users: 7 + 3 + 1 by the
    # classes' weights); the anonymous menu search is the bulk of the traffic.
    # Each kind picks its pages at random (weighted), so check the kinds, not every page:
    # a coordinator with two requests may not have drawn the unfiltered queue.
    pages = step["pages"]
    for kind in ("menu", "my ", "coord review"):
        assert any(name.startswith(kind) for name in pages), (kind, sorted(pages))
    menu = sum(p["requests"] for name, p in pages.items() if name.startswith("menu"))
    assert menu >= step["requests"] / 4
    targets = json.loads((tmp_path / "load_targets.json").read_text())
    assert any(session["suggestion_posts"] for session in targets["members"])
