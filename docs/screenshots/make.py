"""Make the README's screenshots: ``.venv/bin/python docs/screenshots/make.py``.

Starts ``manage.py up`` (the demo city, a worker, SQLite, the embedded broker) in a
throwaway folder on a free port, waits for the worker to compute suggestions, signs in
as demo users through the login form and writes 1280×800 PNGs of the main pages into
this folder. Needs Debian's chromium (``apt-get install chromium fonts-noto-cjk``) and the
``playwright`` package (the ``test`` extra).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent
CHROMIUM = os.environ.get("TSUNAGU_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
VIEWPORT = {"width": 1280, "height": 800}
MAX_BYTES = 300_000
sys.path.insert(0, str(ROOT))
from demo.loader import DEMO_PASSWORD  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status < 500:
                    return
        except OSError:
            pass
        time.sleep(1)
    raise SystemExit(f"the server at {url} did not answer in {timeout:.0f}s")


def save(page: Page, name: str) -> None:
    """The viewport as PNG; as JPEG instead if the PNG is too large for the repository."""
    page.wait_for_timeout(300)
    png = OUT / f"{name}.png"
    page.screenshot(path=str(png))
    if png.stat().st_size > MAX_BYTES:
        png.unlink()
        page.screenshot(path=str(OUT / f"{name}.jpg"), type="jpeg", quality=80)
    print(f"  {name}: {page.url}")


def login(page: Page, username: str) -> None:
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.get_by_label("ユーザー名").fill(username)
    page.get_by_label("パスワード").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    expect(page.get_by_role("button", name="ログアウト")).to_be_visible()


def shoot(base: str) -> None:
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(
            base_url=base, locale="ja-JP", viewport=VIEWPORT, reduced_motion="reduce"
        )
        context.set_default_timeout(30_000)
        page = context.new_page()

        page.goto("/menu/")
        save(page, "menu")
        page.locator("ul.results h2 a").first.click()
        save(page, "post")

        login(page, "demo-coord")
        # The worker scores the demo posts after `up` loaded them: wait for the queue.
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            page.goto("/coord/review/")
            count = re.search(r"\d+", page.get_by_role("status").inner_text())
            if count and int(count.group()) > 0:
                break
            time.sleep(3)
        # Past the filters, to the first suggested pair with its reasons.
        page.locator("p[role=status]").evaluate("e => window.scrollTo(0, e.offsetTop - 16)")
        save(page, "coord-review")
        page.goto("/coord/kpi/")
        save(page, "kpi")

        login(page, "demo-kiki")
        page.goto("/my/")
        save(page, "member-home")
        page.get_by_role("region", name="団体の投稿").get_by_role(
            "link", name=re.compile(r"^[1-9]\d* 件$")
        ).first.click()
        save(page, "suggestions")
        browser.close()


def main() -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="tsunagu-shots-") as var:
        env = {k: v for k, v in os.environ.items()
               if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}  # fmt: skip
        env.update(TSUNAGU_VAR_DIR=var, DEBUG="true", PYTHONUNBUFFERED="1")
        log = open(Path(var) / "up.log", "wb")
        server = subprocess.Popen(
            [sys.executable, "manage.py", "up", f"127.0.0.1:{port}", "--concurrency", "1"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        try:
            print(f"starting the demo on {base} …")
            wait_http(f"{base}/healthz")
            shoot(base)
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
            log.close()
    for path in sorted(OUT.glob("*.[pj][np]g")):
        print(f"{path.relative_to(ROOT)}: {path.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
