"""Locust users for the load test (issue 7): anonymous visitors, members, coordinators.

    .venv/bin/python bench/load_test.py            # the harness: setup, steps, table
    .venv/bin/locust -f bench/locustfile.py --headless --host http://127.0.0.1:8000 \\
        -u 10 -r 10 -t 60s                         # by hand, against a running server

The mix (docs/benchmarks.md, "Load test"): most traffic is anonymous 協働メニュー search
with Japanese words and filters, post pages and API lists; members open マイページ, their
inbox and their posts' suggestions; coordinators open the review queue. The targets (post
ids, codes, logged-in sessions) come from ``LOAD_TARGETS`` (a JSON file written by
``load_test.py``), or are fetched from the server when the test starts (logging in one
session per simulated member/coordinator, never a wrong password: django-axes).

Every answer must be a 200: a redirect (to the login page, an expired session) or any
other status is a failure, as is a connection error.
"""

from __future__ import annotations

import itertools
import os
import random
import sys
from pathlib import Path
from urllib.parse import quote

from locust import FastHttpUser, between, events, task

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load_mix import (
    PROXY_HEADERS,
    QUERIES,
    USER_WEIGHTS,
    Session,
    Targets,
    prepare,
)

THINK = (
    float(os.environ.get("LOAD_THINK_MIN", "0.5")),
    float(os.environ.get("LOAD_THINK_MAX", "2.0")),
)
TARGETS: Targets | None = None
_member_sessions: itertools.cycle | None = None
_coordinator_sessions: itertools.cycle | None = None


@events.test_start.add_listener
def _prepare(environment, **kwargs) -> None:
    global TARGETS, _member_sessions, _coordinator_sessions
    path = os.environ.get("LOAD_TARGETS")
    if path:
        TARGETS = Targets.load(Path(path))
    else:
        users = getattr(environment.parsed_options, "num_users", None) or 10
        TARGETS = prepare(environment.host, users)
    _member_sessions = itertools.cycle(TARGETS.members)
    _coordinator_sessions = itertools.cycle(TARGETS.coordinators)


class _Base(FastHttpUser):
    abstract = True
    wait_time = between(*THINK)
    session: Session | None = None

    def _get(self, url: str, name: str) -> None:
        headers = dict(PROXY_HEADERS)
        if self.session is not None:
            headers["Cookie"] = f"sessionid={self.session.sessionid}"
        with self.client.get(
            url, name=name, headers=headers, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")

    def _query(self) -> str:
        # Percent-encoded UTF-8, as a browser sends it (raw bytes are an invalid request line).
        return quote(random.choice(QUERIES))


class Anonymous(_Base):
    weight = USER_WEIGHTS["anonymous"]

    @task(5)
    def menu_words(self) -> None:
        self._get(f"/menu/?q={self._query()}", "menu ?q")

    @task(4)
    def menu_words_and_filters(self) -> None:
        t = TARGETS
        params = [f"q={self._query()}", f"field={random.choice(t.fields)}"]
        if random.random() < 0.7:
            params.append(f"area={random.choice(t.areas)}")
        if random.random() < 0.4:
            params.append(f"form={random.choice(t.forms)}")
        self._get("/menu/?" + "&".join(params), "menu ?q&field&area&form")

    @task(2)
    def menu_offers(self) -> None:
        self._get(f"/menu/?type=offers&q={self._query()}", "menu offers ?q")

    @task(1)
    def menu_browse(self) -> None:
        page = random.choice((1, 1, 2, 3))
        self._get(f"/menu/?field={random.choice(TARGETS.fields)}&page={page}", "menu browse")

    @task(3)
    def need_page(self) -> None:
        self._get(f"/needs/{random.choice(TARGETS.need_ids)}/", "need page")

    @task(2)
    def offer_page(self) -> None:
        self._get(f"/offers/{random.choice(TARGETS.offer_ids)}/", "offer page")

    @task(1)
    def home(self) -> None:
        self._get("/", "home /")

    @task(2)
    def api_needs(self) -> None:
        query = self._query()
        if random.random() < 0.5:
            query += f"&field={random.choice(TARGETS.fields)}"
        self._get(f"/api/v1/needs/?q={query}", "api needs ?q")


class Member(_Base):
    weight = USER_WEIGHTS["member"]

    def on_start(self) -> None:
        self.session = next(_member_sessions)

    @task(3)
    def home(self) -> None:
        self._get("/my/", "my home")

    @task(3)
    def inbox(self) -> None:
        self._get("/my/notifications/", "my inbox")

    @task(4)
    def suggestions(self) -> None:
        posts = self.session.suggestion_posts
        if not posts:  # a login without posts (a member of a group without themes)
            self.home()
            return
        kind, pk = random.choice(posts)
        self._get(f"/my/{kind}/{pk}/suggestions/", "my suggestions")


class Coordinator(_Base):
    weight = USER_WEIGHTS["coordinator"]

    def on_start(self) -> None:
        self.session = next(_coordinator_sessions)

    @task(4)
    def review(self) -> None:
        self._get("/coord/review/", "coord review")

    @task(2)
    def review_filtered(self) -> None:
        t = TARGETS
        url = f"/coord/review/?field={random.choice(t.fields)}&area={random.choice(t.areas)}"
        self._get(url, "coord review ?field&area")

    @task(1)
    def review_page(self) -> None:
        self._get(f"/coord/review/?page={random.choice((2, 3))}", "coord review ?page")
