"""The README's first command: ``manage.py up`` runs the platform with no server at all.

Starts the real thing (web, worker and beat processes) on the embedded defaults in a
temporary folder, uses it like a newcomer would, and stops it with Ctrl+C.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, token: str | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Token {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except OSError:
        return 0, ""


def poll(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.5)
    return False


@pytest.mark.worker
def test_up_serves_the_demo_city_with_a_real_worker(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "CELERY_"))}
    env.update(TSUNAGU_VAR_DIR=str(tmp_path), PYTHONUNBUFFERED="1")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(tmp_path / "up.log", "wb")  # closed in the finally below
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "up", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        assert poll(lambda: get(base + "/")[0] == 200, 120), (tmp_path / "up.log").read_text()
        _, page = get(base + "/")
        assert "みなと台市" in page and "協働テーマ" in page
        # Served like production: the site's own 404 page, never Django's technical one
        # (which lists every URL pattern), static files by WhiteNoise, JSON under /api/.
        code, missing = get(base + "/no-such-page/")
        assert code == 404 and "ページが見つかりません" in missing, missing[:300]
        assert "URLconf" not in missing and "DEBUG = True" not in missing
        code, answer = get(base + "/api/v1/no-such/")
        assert code == 404 and json.loads(answer)["code"] == "not_found"
        code, css = get(base + "/static/web/site.css")
        assert code == 200 and ".site-header" in css
        output = (tmp_path / "up.log").read_text()
        assert "demo-coord" in output and "tsunagu-demo-2026" in output
        # The demo's login table names the address `up` really serves on.
        assert f"(open in a browser): {base}/" in output, output[-3000:]

        # a demo login works through the API …
        body = json.dumps({"username": "demo-korei", "password": "tsunagu-demo-2026"}).encode()
        request = urllib.request.Request(
            base + "/api/v1/auth/token/", body, {"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            token = json.load(response)["token"]
        me = json.loads(get(base + "/api/v1/me/", token)[1])
        org = me["memberships"][0]["organization"]
        own = json.loads(get(f"{base}/api/v1/needs/?status=open&organization={org}", token)[1])
        own = own["results"]
        assert own and own[0]["organization_name"] == "みなと台市 高齢福祉課"

        # … and the worker process scored the demo posts in the background
        def suggested() -> bool:
            code, text = get(f"{base}/api/v1/needs/{own[0]['id']}/suggestions/", token)
            return code == 200 and json.loads(text)["count"] > 0

        assert poll(suggested, 120), (tmp_path / "up.log").read_text()[-5000:]
        assert get(base + "/api/docs/")[0] == 200
        assert processes_with_env(f"TSUNAGU_VAR_DIR={tmp_path}")  # web, worker and beat
    finally:
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl+C in a terminal does
        try:
            # `up` bounds its own shutdown (up.STOP_SECONDS for all children together,
            # tests/ops/test_up_shutdown.py); this wait only guards against a hang.
            proc.wait(timeout=180)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
            log.close()
    outlived = wait_gone(f"TSUNAGU_VAR_DIR={tmp_path}", 60)
    assert proc.returncode == 0, (tmp_path / "up.log").read_text()[-3000:]
    assert not outlived, "worker or beat outlived `up`"


def wait_gone(marker: str, timeout: float) -> list[int]:
    """Wait for the processes of this test's `up` to end; kill (by pid) and return those
    still alive after ``timeout``, so that none outlives the test."""
    poll(lambda: not processes_with_env(marker), timeout)
    left = processes_with_env(marker)
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return left


def processes_with_env(marker: str) -> list[int]:
    """Pids of live processes whose environment contains ``marker`` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().split()[2]
        except OSError:
            continue
        if state != "Z" and marker.encode() in environ:
            found.append(int(entry.name))
    return found
