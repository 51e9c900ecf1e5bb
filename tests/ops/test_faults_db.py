"""PostgreSQL restarted under traffic: requests fail cleanly and the app recovers alone.

A PostgreSQL cluster of the test's own (``servers.PostgresServer``; the shared server is
never touched) holds a migrated database; the app runs under real gunicorn (2 worker
processes × 4 threads, as in production) and 4 client threads request a public page, an
API list, the login page and a signed-in page without pause. The server is restarted
twice: ``pg_ctl restart -m fast`` (persistent connections are cut), then stopped for
3 seconds and started (connections are refused meanwhile). Every answer must be a 200 or
a 503 with the Japanese message and no trace; after each restart every URL answers 200
again within seconds, with the same gunicorn processes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.urls import get_resolver
from servers import PostgresServer, free_port, wait_until

ROOT = Path(__file__).resolve().parents[2]
HTML_MESSAGE = "ただいまサービスを利用できません"
API_MESSAGE = "データベースに接続できません"

SEED = """
import sys
sys.path.insert(0, {tests!r})
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from conftest import make_need, make_offer, make_org, make_user
from organizations.models import Area
Area.objects.create(code="f-city", name="障害市", level="city")
npo = make_org("NPO法人障害試験", "npo_corporation")
city = make_org("障害市 福祉課", "city_department")
user = make_user("fault-member", npo, role="admin")
for i in range(5):
    make_need(city, title=f"見守り活動の担い手 {{i}}", areas=["f-city"])
    make_offer(npo, title=f"訪問ボランティア {{i}}", areas=["f-city"])
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.create()
print("SESSION", session.session_key)
"""

URLS = ["/menu/", "/api/v1/needs/", "/accounts/login/", "/my/"]


@dataclass
class Answer:
    started: float
    ended: float
    path: str
    status: int
    body: str
    retry_after: str | None


class Traffic:
    """Client threads requesting URLS round-robin until stopped; every answer is kept."""

    def __init__(self, base: str, session_key: str, threads: int = 4) -> None:
        self.base = base
        self.cookie = f"sessionid={session_key}"
        self.answers: list[Answer] = []
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, args=(i,)) for i in range(threads)]

    def __enter__(self) -> Traffic:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=30)

    def _run(self, offset: int) -> None:
        i = offset
        while not self._stop.is_set():
            path = URLS[i % len(URLS)]
            i += 1
            request = urllib.request.Request(self.base + path, headers={"Cookie": self.cookie})
            started = time.monotonic()
            try:
                with urllib.request.urlopen(request, timeout=20) as response:
                    status, headers, raw = response.status, response.headers, response.read()
            except urllib.error.HTTPError as exc:
                status, headers, raw = exc.code, exc.headers, exc.read()
            except Exception as exc:  # a dropped connection would be a failure too
                with self._lock:
                    self.errors.append(f"{path}: {exc!r}")
                time.sleep(0.05)
                continue
            answer = Answer(
                started,
                time.monotonic(),
                path,
                status,
                raw.decode("utf-8", "replace"),
                headers.get("Retry-After"),
            )
            with self._lock:
                self.answers.append(answer)

    def since(self, moment: float) -> list[Answer]:
        with self._lock:
            return [a for a in self.answers if a.started >= moment]


def _django(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def _overlapping(traffic: Traffic, start: float, end: float) -> list[Answer]:
    """Answers in flight at some moment between ``start`` and ``end``."""
    with traffic._lock:
        return [a for a in traffic.answers if a.started < end and a.ended > start]


def _503s(answers: list[Answer]) -> str:
    return f"{sum(a.status == 503 for a in answers)}/{len(answers)}"


def _recovery_seconds(traffic: Traffic, back_at: float) -> float:
    """Seconds from the server accepting connections again until every URL has answered
    200 (and nothing but 200 since)."""
    after = traffic.since(back_at)
    last_bad = max((a.ended for a in after if a.status != 200), default=back_at)
    return max(0.0, last_bad - back_at)


def _all_recovered(traffic: Traffic, back_at: float) -> bool:
    after = traffic.since(back_at)
    if not after:
        return False
    last_bad = max((a.started for a in after if a.status != 200), default=back_at)
    return {a.path for a in after if a.started > last_bad and a.status == 200} == set(URLS)


@pytest.fixture
def app_on_own_postgres(tmp_path):
    pg = PostgresServer().init()
    gunicorn = None
    try:
        pg.start()
        env = os.environ.copy()
        broker = tmp_path / "broker"
        for sub in ("queue", "processed", "control"):
            (broker / sub).mkdir(parents=True)
        env.update(
            DATABASE_URL=pg.createdb("tsunagu_faults"),
            # The embedded broker in a folder of its own: nothing here enqueues work that
            # matters, and the shared Redis stays out of it.
            CELERY_BROKER_URL="filesystem://localhost//",
            CELERY_BROKER_FOLDER=str(broker),
            TSUNAGU_VAR_DIR=str(tmp_path / "var"),
            # DEBUG on: a stray exception would show Django's technical 500 page, trace
            # included, so the assertions below would see it.
            DEBUG="true",
            PYTHONUNBUFFERED="1",
        )
        env.pop("DJANGO_SETTINGS_MODULE", None)
        _django(env, "migrate", "--noinput")
        out = _django(
            env, "shell", "-c", SEED.format(tests=str(Path(__file__).resolve().parents[1]))
        )
        session_key = out.split("SESSION", 1)[1].strip()
        port = free_port()
        log = open(tmp_path / "gunicorn.log", "wb")
        gunicorn = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "tsunagu.wsgi", "--bind", f"127.0.0.1:{port}",
             "--workers", "2", "--threads", "4", "--timeout", "30", "--error-logfile", "-"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"

        def up() -> bool:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2) as r:
                    return r.status == 200
            except Exception:
                return False

        assert wait_until(up, timeout=60), (tmp_path / "gunicorn.log").read_text()
        yield pg, base, session_key, gunicorn, tmp_path / "gunicorn.log"
    finally:
        if gunicorn and gunicorn.poll() is None:
            gunicorn.terminate()
            try:
                gunicorn.wait(timeout=15)
            except subprocess.TimeoutExpired:
                gunicorn.kill()
        pg.destroy()


@pytest.mark.postgres
def test_postgres_restart_under_traffic_fails_cleanly_and_recovers(app_on_own_postgres):
    pg, base, session_key, gunicorn, gunicorn_log = app_on_own_postgres
    figures = {}
    with Traffic(base, session_key) as traffic:
        assert wait_until(lambda: len(traffic.answers) >= 40, timeout=30)
        warm = list(traffic.answers)
        assert {a.status for a in warm} == {200}, [(a.path, a.status) for a in warm]

        # 1. A fast restart: the connections gunicorn keeps (CONN_MAX_AGE) are cut.
        restarting = time.monotonic()
        pg.restart("fast")
        back = time.monotonic()
        assert wait_until(lambda: _all_recovered(traffic, back), timeout=15), gunicorn_log
        figures["restart"] = _recovery_seconds(traffic, back)
        restarted = back

        # 2. Down for 3 seconds: new connections are refused meanwhile.
        time.sleep(1)
        down = time.monotonic()
        pg.stop("fast")
        time.sleep(3)
        pg.start()
        back = time.monotonic()
        assert wait_until(lambda: _all_recovered(traffic, back), timeout=15), gunicorn_log
        figures["outage"] = _recovery_seconds(traffic, back)
        time.sleep(1)  # a little steady traffic after recovery

    answers = traffic.answers
    during_restart = _overlapping(traffic, restarting, restarted)
    outage = _overlapping(traffic, down, back)
    assert not traffic.errors, traffic.errors[:5]
    statuses = {a.status for a in answers}
    assert statuses <= {200, 503}, sorted(statuses)
    unavailable = [a for a in answers if a.status == 503]
    assert [a for a in outage if a.status == 503], "the outage produced no 503: nothing tested"
    for a in unavailable:
        assert "Traceback" not in a.body and "Exception" not in a.body, a.body[:500]
        assert a.retry_after, a.path
        if a.path.startswith("/api/"):
            assert API_MESSAGE in json.loads(a.body)["detail"], a.body
        else:
            assert HTML_MESSAGE in a.body, a.body[:500]
    assert gunicorn.poll() is None, "gunicorn died"
    for name, seconds in figures.items():
        assert seconds < 5, f"{name}: {seconds:.1f}s to recover"

    by_path = {p: sum(1 for a in unavailable if a.path == p) for p in URLS}
    print(
        f"\nPostgreSQL restart under traffic: {len(answers)} requests, "
        f"{len(unavailable)} answered 503 ({by_path}), 0 other errors; 503s among "
        f"those in flight: {_503s(during_restart)} during the restart, "
        f"{_503s(outage)} during the outage; "
        f"recovered {figures['restart']:.2f}s after `pg_ctl restart -m fast`, "
        f"{figures['outage']:.2f}s after a 3 s outage"
    )


# --- The same answers in-process, without a server to restart (fast, any database) ----


class RaisingAfterTheView:
    """A middleware failing on the way out, as a session save does when the database
    went away during the request."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        self.get_response(request)
        from django.db import OperationalError

        raise OperationalError("server closed the connection unexpectedly")


def _refused(*args, **kwargs):
    from django.db import OperationalError

    raise OperationalError('connection to server at "127.0.0.1", port 5432 failed: refused')


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [True, False])
def test_a_database_error_in_a_view_answers_503_page_and_api(settings, monkeypatch, debug):
    from django.test import Client

    from proposals.models import Need

    settings.DEBUG = debug
    assert get_resolver().url_patterns  # import the URLconf (its serializers query) first
    monkeypatch.setattr(Need.objects, "get_queryset", _refused)
    client = Client(raise_request_exception=False)

    page = client.get("/menu/")
    assert page.status_code == 503 and page["Retry-After"]
    body = page.content.decode()
    assert HTML_MESSAGE in body and "Temporarily unavailable" in body
    assert "Traceback" not in body and "OperationalError" not in body

    api = client.get("/api/v1/needs/")
    assert api.status_code == 503 and api["Retry-After"]
    assert API_MESSAGE in api.json()["detail"]
    assert api.json()["code"] == "database_unavailable"


@pytest.mark.django_db
def test_a_database_error_after_the_view_answers_503_too(settings):
    from django.test import Client

    settings.MIDDLEWARE = [
        *settings.MIDDLEWARE[:3],
        "test_faults_db.RaisingAfterTheView",
        *settings.MIDDLEWARE[3:],
    ]
    client = Client(raise_request_exception=False)
    response = client.get("/about/")
    assert response.status_code == 503
    assert HTML_MESSAGE in response.content.decode()
    api = client.get("/api/v1/fields/")
    assert api.status_code == 503 and API_MESSAGE in api.json()["detail"]


@pytest.mark.django_db
def test_other_errors_stay_500(settings):
    """Only an unavailable database is a 503: a bug must not hide behind it."""
    from django.test import Client

    from proposals.models import Need

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    settings.DEBUG = False
    assert get_resolver().url_patterns
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Need.objects, "get_queryset", broken)
        response = Client(raise_request_exception=False).get("/menu/")
    assert response.status_code == 500
