"""Shared fixtures: people in each role, a small city, posts, and real service checks.

Tests that need a server (Redis, PostgreSQL) start their own where its programs are
installed (``servers.py``; ``postgres_db`` tests run in a child on a PostgreSQL cluster of
their own when the session is on SQLite, ``postgres_child.py``). Only where the programs
are missing are they skipped with the reason; in CI (``CI=true``) that fails the run.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from pathlib import Path

import pytest
from rest_framework.test import APIClient

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

# The packages of the product (what import-linter and the house-rule tests look at).
PRODUCTION_PACKAGES = (
    "tsunagu",
    "web",
    "demo",
    "meetings",
    "matching",
    "proposals",
    "organizations",
    "notifications",
    "legal",
    "lib",
)


def _unavailable(reason: str) -> None:
    """The one way a test skips: only for a program this machine does not have (a server's
    binaries, chromium), never for a server it could start itself; CI has them all."""
    if IN_CI:
        pytest.fail(f"CI must run this test, but {reason}")
    pytest.skip(reason)


def dev_dataset() -> Path:
    """The labelled matching dataset, copied into the repository (``tests/data/dev.json``)
    so that a fresh clone tests with nothing beside it."""
    return Path(__file__).resolve().parent / "data" / "dev.json"


def require_postgres() -> None:
    """For ``postgres_db`` tests: reached on SQLite only if the child run is bypassed."""
    from django.db import connection

    if connection.vendor != "postgresql":
        _unavailable("DATABASE_URL does not point to PostgreSQL (set it to postgres://…)")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item, nextitem):
    # A ``postgres_db`` test on a session that is not on PostgreSQL runs in a child pytest
    # on a PostgreSQL cluster of the session's own instead of skipping (postgres_child.py).
    import postgres_child

    if not postgres_child.needs_child(item):
        return None
    postgres_child.run_protocol(item, nextitem)
    return True


def pytest_sessionfinish(session) -> None:
    import postgres_child

    postgres_child.shutdown()


@pytest.fixture(scope="session", autouse=True)
def celery_test_queue(tmp_path_factory):
    """Send this session's tasks to a queue of its own (and, for the embedded transport,
    to a folder of its own), so no stale message from another run is consumed."""
    from django.conf import settings

    from tsunagu.celery import app

    queue = f"tsunagu-test-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    app.conf.task_default_queue = queue
    folder = None
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        folder = tmp_path_factory.mktemp("broker")
        for sub in ("queue", "processed", "control"):
            (folder / sub).mkdir()
        app.conf.broker_transport_options = {
            "data_folder_in": str(folder / "queue"),
            "data_folder_out": str(folder / "queue"),
            "processed_folder": str(folder / "processed"),
            "control_folder": str(folder / "control"),
            "store_processed": False,
            "polling_interval": 0.1,
        }
    yield {"queue": queue, "folder": str(folder) if folder else None}
    if settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
        import redis

        redis.Redis.from_url(settings.CELERY_BROKER_URL).delete(queue)


@pytest.fixture
def celery_worker(transactional_db, celery_test_queue, tmp_path):
    """A real worker process consuming this session's queue, ready when yielded."""
    from worker import WorkerProcess

    worker = WorkerProcess(
        celery_test_queue["queue"], celery_test_queue["folder"], log_dir=tmp_path
    ).start()
    try:
        worker.wait_ready()
        yield worker
    finally:
        worker.stop()


@pytest.fixture(autouse=True)
def _reference_data_after_flush(request):
    """Transactional tests end with a flush that also empties the reference tables the
    data migrations seeded (fields, forms, …); put them back for the tests that follow."""
    marker = request.node.get_closest_marker("django_db")
    by_marker = marker is not None and bool(
        marker.kwargs.get("transaction") or (marker.args and marker.args[0])
    )
    if "transactional_db" not in request.fixturenames and not by_marker:
        return
    request.getfixturevalue("transactional_db")
    from organizations.models import Field, ResourceKind
    from organizations.reference import FIELDS, FORMS, RESOURCE_KINDS, SUPPORTS
    from proposals.models import CollaborationForm, Support

    for order, (code, name, short) in enumerate(FIELDS, 1):
        Field.objects.get_or_create(
            code=code, defaults={"name": name, "short_name": short, "order": order}
        )
    for order, (code, name) in enumerate(RESOURCE_KINDS, 1):
        ResourceKind.objects.get_or_create(code=code, defaults={"name": name, "order": order})
    for order, (code, name, desc) in enumerate(FORMS, 1):
        CollaborationForm.objects.get_or_create(
            code=code, defaults={"name": name, "description": desc, "order": order}
        )
    for order, (code, name) in enumerate(SUPPORTS, 1):
        Support.objects.get_or_create(code=code, defaults={"name": name, "order": order})
    # Version 1 of the terms, privacy policy and contact page (legal's data migration).
    from legal import defaults
    from legal.models import Document

    defaults.install(Document)


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    # Rate-limit counters (lib/ratelimit.py) live in the cache and are keyed by address:
    # every test client is 127.0.0.1, so one test's requests must not count against the next.
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _own_index_directory(settings, tmp_path):
    # The engine's saved indexes (matching/scoring/segments.py) are per test: a test's data
    # written without signals, then rolled back, must not reach the next test from disk.
    from matching.scoring import adapter

    settings.MATCHING_INDEX_DIR = tmp_path / "index"
    adapter.clear_caches()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2's deliberate slowness is for attackers, not for test fixtures.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def city(db):
    """A city with two wards and a district in each: 市 → 北区/南区 → 地区."""
    from organizations.models import Area

    city = Area.objects.create(code="t-city", name="テスト市", level="city")
    kita = Area.objects.create(code="t-kita", name="北区", level="ward", parent=city)
    minami = Area.objects.create(code="t-minami", name="南区", level="ward", parent=city)
    Area.objects.create(code="t-kita-1", name="北一地区", level="district", parent=kita)
    Area.objects.create(code="t-minami-1", name="南一地区", level="district", parent=minami)
    return city


def make_org(name: str = "テスト団体", kind: str = "npo_corporation", **extra):
    from organizations.models import Organization

    defaults = {
        "description": "",
        "contact_name": "山田 花子",
        "contact_email": f"contact-{Organization.objects.count()}@example.jp",
        "contact_phone": "045-000-0000",
        "address": "テスト市北区1-1",
        # Verified, like the organizations a coordinator has checked (sign-ups are not).
        "is_verified": True,
    }
    defaults.update(extra)
    return Organization.objects.create(name=name, kind=kind, **defaults)


def make_user(username: str, organization=None, role: str = "member", **extra):
    from organizations.models import Membership, User

    user = User.objects.create_user(username=username, password="pass-Tsunagu-2026", **extra)
    if organization is not None:
        Membership.objects.create(user=user, organization=organization, role=role)
    return user


def make_need(organization, title: str = "高齢者の見守り活動の担い手募集", **extra):
    from proposals.models import Need

    fields = extra.pop("fields", [])
    areas = extra.pop("areas", [])
    forms = extra.pop("forms", [])
    data = {
        "description": "地域の高齢者を見守る活動に協力してくれる団体を探しています。",
        "status": "open",
        "kind": Need.default_kind_for(organization),
        "starts_on": dt.date(2026, 4, 1),
        "ends_on": dt.date(2027, 3, 31),
    }
    data.update(extra)
    need = Need.objects.create(organization=organization, title=title, **data)
    _set_codes(need, fields, areas, forms)
    return need


def plain_profile():
    """The active matching profile with exposure fairness off, for tests about something
    else (concurrency, faults) that compare rankings made in different orders: with
    fairness on, a need's list depends on what the other needs show (docs/matching.md)."""
    from matching.models import MatchingProfile
    from matching.scoring.features import active_profile

    profile = active_profile()
    MatchingProfile.objects.filter(pk=profile.pk).update(fairness=0.0)
    return profile


def make_offer(organization, title: str = "シニアの孤立防止のための訪問活動", **extra):
    from proposals.models import Offer

    fields = extra.pop("fields", [])
    areas = extra.pop("areas", [])
    forms = extra.pop("forms", [])
    data = {
        "description": "ボランティアがお年寄りのお宅を定期的に訪問します。",
        "status": "open",
        "starts_on": dt.date(2026, 4, 1),
        "ends_on": dt.date(2027, 3, 31),
        "capacity": 2,
    }
    data.update(extra)
    offer = Offer.objects.create(organization=organization, title=title, **data)
    _set_codes(offer, fields, areas, forms)
    return offer


def _set_codes(post, fields, areas, forms) -> None:
    from organizations.models import Area, Field
    from proposals.models import CollaborationForm

    post.fields.set(Field.objects.filter(code__in=fields))
    post.areas.set(Area.objects.filter(code__in=areas))
    post.forms.set(CollaborationForm.objects.filter(code__in=forms))


@pytest.fixture
def people(db, city):
    """One person per role, with their organizations.

    - ``member``: admin of an NPO (``npo``)
    - ``other``: member of another citizen group (``group``)
    - ``staff``: member of a city department (``department``)
    - ``coordinator``: a coordinator with no organization
    - ``admin``: a platform admin (superuser)
    """
    npo = make_org("NPO法人みどりの手", "npo_corporation", npo_status="certified")
    group = make_org("北区子育てサークルひだまり", "citizen_group")
    department = make_org("テスト市 高齢福祉課", "city_department")
    from organizations.models import User

    people = {
        "npo": npo,
        "group": group,
        "department": department,
        "member": make_user("member", npo, role="admin"),
        "other": make_user("other", group),
        "staff": make_user("staff", department),
        "coordinator": make_user("coordinator", is_coordinator=True),
        "admin": User.objects.create_superuser("admin", "admin@example.jp", "pass-Tsunagu-2026"),
    }
    return people
