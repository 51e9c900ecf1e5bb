"""Property-based fuzzing of the whole API from its own OpenAPI schema (schemathesis).

Every operation in /api/schema/ is called in-process (WSGI) with requests generated from
the schema, as an anonymous visitor, as an organization member (token) and as a
coordinator (token). Each response must not be a server error, must have a status code
the schema documents, and its body must conform to the documented schema.

The number of examples per operation is bounded and the generation derandomized, so the
module takes a few minutes in CI and a failure is reproducible:

    .venv/bin/pytest -q tests/test_api_fuzz.py
    FUZZ_EXAMPLES=200 .venv/bin/pytest -q tests/test_api_fuzz.py   # a longer hunt
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from conftest import make_need, make_offer
from hypothesis import HealthCheck, Phase, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from workflow_support import drive, two_party_match

from meetings import services as meetings

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="session")
def api_schema(django_db_setup, django_db_blocker):
    from tsunagu.wsgi import application

    with django_db_blocker.unblock():
        return schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture
def in_process():
    """Requests go through the WSGI app inside the test's transaction: like Django's test
    client, keep the request signals from closing that connection."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def world(people, settings, in_process):
    """Real objects for generated path ids to point at (half the examples use them)."""
    from matching.models import ConsultationSlot

    settings.ALLOWED_HOSTS = ["*"]
    need = make_need(people["department"], fields=["welfare"], areas=["t-kita"])
    offer = make_offer(people["npo"], fields=["welfare"], areas=["t-kita"])
    match = drive(two_party_match(people), "consulting", people["coordinator"])
    slot = ConsultationSlot.objects.first()
    meeting = make_meeting(people["department"], people["staff"])
    # A registered organization: table groups have someone to seat.
    meetings.register(meeting, people["group"], people["other"], 1)
    return {
        "people": people,
        "ids": {
            "needs": need.pk,
            "offers": offer.pk,
            "organizations": people["npo"].pk,
            "matches": match.pk,
            "consultation-slots": slot.pk if slot else 1,
            "meetings": meeting.pk,
        },
    }


def make_meeting(organizer, user):
    """A published meeting (open registration) for the path ids to point at."""
    import datetime as dt

    from django.utils import timezone

    start = timezone.now() + dt.timedelta(days=10)
    meeting = meetings.create_meeting(
        user, organizer, kind="exchange", title="ファジングの交流会", starts_at=start,
        ends_at=start + dt.timedelta(hours=2), capacity=5,
    )  # fmt: skip
    return meetings.publish(meeting, user)


def _token(user) -> dict[str, str]:
    return {"Authorization": f"Token {Token.objects.get_or_create(user=user)[0].key}"}


def _point_at_real_object(case, world) -> None:
    params = case.path_parameters or {}
    # About half the generated ids (the even ones) are swapped for a real object's id, so
    # that operations are exercised past their 404 as well.
    if not isinstance(params.get("id"), int) or params["id"] % 2:
        return
    collection = case.path.strip("/").split("/")[2]
    if collection in world["ids"]:
        params["id"] = world["ids"][collection]


def _run(case, world, headers) -> None:
    _point_at_real_object(case, world)
    response = case.call(headers=headers)
    case.validate_response(response, checks=CHECKS)


def _fuzz(*phases: Phase) -> settings:
    return settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=phases,
        suppress_health_check=list(HealthCheck),
    )


# The explicit phase runs the schema's examples and schemathesis's coverage cases (boundary
# and invalid values for every parameter: about 60 requests an operation), the bulk of the
# cost; it runs for the member, whose writes go furthest, and generation alone for the others.
WITH_COVERAGE = _fuzz(Phase.explicit, Phase.generate)
GENERATED = _fuzz(Phase.generate)


@schema.parametrize()
@GENERATED
def test_api_anonymous(case, world):
    _run(case, world, {})


@schema.parametrize()
@WITH_COVERAGE
def test_api_member(case, world):
    _run(case, world, _token(world["people"]["member"]))


@schema.parametrize()
@GENERATED
def test_api_coordinator(case, world):
    _run(case, world, _token(world["people"]["coordinator"]))
