"""The load test's request mix and its preparation over HTTP (no gevent, no Django).

Shared by ``bench/locustfile.py`` (the simulated users) and ``bench/load_test.py`` (the
harness), so both drive exactly the same pages. Everything is discovered from a running
server: public post ids from the API, the reference codes (fields, areas, forms) from the
API, each member's own posts from the links on their マイページ. That keeps the mix valid on
the demo city at any size (``load_demo --scale N``) and on the 1× demo of the smoke test.

Production sits behind a TLS-terminating proxy: with ``DEBUG=false`` Django redirects plain
HTTP to HTTPS and marks the session and CSRF cookies ``Secure``. Every request therefore
carries ``X-Forwarded-Proto: https`` (as the proxy sends it), and the session cookie is sent
by hand in a ``Cookie`` header (an HTTP client drops ``Secure`` cookies on ``http://``).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import requests

DEMO_PASSWORD = "tsunagu-demo-2026"  # the demo's published password (tsunagu/demo)
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}

# Member logins of the demo, departments and groups alternating (a small pool gets both).
MEMBER_LOGINS = (
    "demo-korei",
    "demo-npo",
    "demo-kosodate",
    "demo-group",
    "demo-kankyo",
    "demo-jichikai",
    "demo-kiki",
    "demo-kyogikai",
    "demo-npo-member",
    "demo-school",
    "demo-business",
    "demo-univ",
)
COORDINATOR_LOGINS = ("demo-coord", "demo-center")

# Words people type into 協働メニュー (variants the normalizer folds: こども/子ども/子供).
QUERIES = (
    "子ども",
    "こども",
    "子供 食堂",
    "高齢者 見守り",
    "防災",
    "避難所 訓練",
    "環境",
    "海岸 清掃",
    "子育て",
    "空き家",
    "多文化",
    "スポーツ",
    "ボランティア",
    "居場所",
    "介護予防",
    "平和",
    "まちづくり",
    "学習支援",
)

# Simulated users by class: (weight, think time low, high in seconds). Most visitors are
# anonymous people browsing the menu; members check their pages; a few coordinators review.
USER_WEIGHTS = {"anonymous": 7, "member": 3, "coordinator": 1}


@dataclass
class Session:
    username: str
    sessionid: str
    # ("needs"|"offers", id) of the member's own posts that link to their suggestions.
    suggestion_posts: list[tuple[str, int]] = field(default_factory=list)


@dataclass
class Targets:
    need_ids: list[int]
    offer_ids: list[int]
    fields: list[str]
    areas: list[str]
    forms: list[str]
    members: list[Session]
    coordinators: list[Session]

    def dump(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), ensure_ascii=False, indent=1))

    @classmethod
    def load(cls, path: Path) -> Targets:
        data = json.loads(path.read_text())
        members = [_session(s) for s in data.pop("members")]
        coordinators = [_session(s) for s in data.pop("coordinators")]
        return cls(members=members, coordinators=coordinators, **data)


def _session(raw: dict) -> Session:
    posts = [(kind, int(pk)) for kind, pk in raw.pop("suggestion_posts")]
    return Session(suggestion_posts=posts, **raw)


def pool_sizes(max_users: int) -> tuple[int, int]:
    """Sessions to log in for members and coordinators: one per simulated user of that
    class at ``max_users`` (locust splits users by weight), plus one for rounding."""
    total = sum(USER_WEIGHTS.values())
    members = math.ceil(max_users * USER_WEIGHTS["member"] / total) + 1
    coordinators = math.ceil(max_users * USER_WEIGHTS["coordinator"] / total) + 1
    return members, coordinators


def login(base: str, username: str, password: str = DEMO_PASSWORD, timeout: float = 30) -> str:
    """Log in once through the real login form (CSRF, django-axes) and return the session
    id. A wrong password would count towards the axes lockout, so this raises at once."""
    origin = "https://" + urlsplit(base).netloc
    with requests.Session() as http:
        page = http.get(f"{base}/accounts/login/", headers=PROXY_HEADERS, timeout=timeout)
        page.raise_for_status()
        csrf = page.cookies.get("csrftoken")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        if not csrf or not token:
            raise RuntimeError(f"login page of {base} has no CSRF token")
        answer = http.post(
            f"{base}/accounts/login/",
            data={
                "username": username,
                "password": password,
                "csrfmiddlewaretoken": token.group(1),
            },
            headers={**PROXY_HEADERS, "Origin": origin, "Cookie": f"csrftoken={csrf}"},
            allow_redirects=False,
            timeout=timeout,
        )
        sessionid = answer.cookies.get("sessionid")
        if answer.status_code != 302 or not sessionid:
            raise RuntimeError(f"login of {username} failed: HTTP {answer.status_code}")
        return sessionid


def _get_json(base: str, path: str, timeout: float = 30) -> dict:
    response = requests.get(f"{base}{path}", headers=PROXY_HEADERS, timeout=timeout)
    response.raise_for_status()
    return response.json()


def _rows(base: str, name: str) -> list[dict]:
    data = _get_json(base, f"/api/v1/{name}/?page_size=100")
    return data["results"] if isinstance(data, dict) else data


def _ids(base: str, kind: str, pages: int = 3) -> list[int]:
    ids: list[int] = []
    for page in range(1, pages + 1):
        try:
            data = _get_json(base, f"/api/v1/{kind}/?status=open&page_size=100&page={page}")
        except requests.HTTPError:
            break  # past the last page
        ids += [row["id"] for row in data["results"]]
        if not data.get("next"):
            break
    return ids


_SUGGESTION_LINK = re.compile(r"/my/(needs|offers)/(\d+)/suggestions/")


def _own_posts(base: str, sessionid: str) -> list[tuple[str, int]]:
    page = requests.get(
        f"{base}/my/",
        headers={**PROXY_HEADERS, "Cookie": f"sessionid={sessionid}"},
        allow_redirects=False,
        timeout=30,
    )
    if page.status_code != 200:
        raise RuntimeError(f"/my/ answered {page.status_code} for a fresh session")
    return sorted({(kind, int(pk)) for kind, pk in _SUGGESTION_LINK.findall(page.text)})


def _log_in_pool(base: str, usernames: Iterable[str], count: int) -> list[Session]:
    names = list(usernames)
    sessions = []
    for i in range(count):
        username = names[i % len(names)]
        sessionid = login(base, username)
        sessions.append(Session(username, sessionid, _own_posts(base, sessionid)))
    return sessions


def prepare(base: str, max_users: int) -> Targets:
    """Everything the simulated users need, fetched from the running server at ``base``."""
    base = base.rstrip("/")
    members, coordinators = pool_sizes(max_users)
    targets = Targets(
        need_ids=_ids(base, "needs"),
        offer_ids=_ids(base, "offers"),
        fields=[row["code"] for row in _rows(base, "fields")],
        # The city, wards and districts (a neighbourhood filter is rare and mostly empty).
        areas=[
            row["code"]
            for row in _rows(base, "areas")
            if row.get("level") in ("city", "ward", "district")
        ],
        forms=[row["code"] for row in _rows(base, "forms")],
        members=_log_in_pool(base, MEMBER_LOGINS, members),
        coordinators=_log_in_pool(base, COORDINATOR_LOGINS, coordinators),
    )
    if not targets.need_ids or not targets.offer_ids:
        raise RuntimeError("the server has no open needs or offers: is the demo loaded?")
    if not any(s.suggestion_posts for s in targets.members):
        raise RuntimeError("no member has a post with a suggestions link on /my/")
    return targets
