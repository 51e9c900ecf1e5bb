"""Hostile input: oversized and malformed bodies, NUL characters, over-long strings, SQL
and HTML/script injection — each answered with a 4xx and a message (never a 500), stored
literally, and rendered escaped on every page, in e-mails, calendars and spreadsheets.

Text fields are taken from the serializers, so a field added later is covered too.
Run on PostgreSQL to see the NUL checks bite (PostgreSQL refuses NUL in text):

    DATABASE_URL=postgres://… .venv/bin/pytest -q tests/test_hostile_input.py
"""

from __future__ import annotations

import csv
import io
import json

import openpyxl
import pytest
from conftest import make_need, make_offer
from django.core import mail
from outcomes_support import make_match
from rest_framework import serializers

from lib import spreadsheets
from matching.consultations import ical
from matching.matches.interest import create_interest_request
from matching.models import ConsultationBooking, ConsultationSlot, InterestRequest
from notifications import services as notification_services
from organizations.serializers import OrganizationSerializer
from proposals.serializers import NeedSerializer, OfferSerializer

pytestmark = pytest.mark.django_db

XSS = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'&"
XSS_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
SQL = "'; DROP TABLE proposals_need; --"
SQL_QUERIES = [
    "' OR '1'='1",
    "1; SELECT pg_sleep(5)--",
    "%' UNION SELECT * FROM organizations_user --",
]


def text_fields(serializer_class, exact: bool = True) -> list[str]:
    """Writable text fields of a serializer: plain CharFields (``exact``), or every
    CharField subclass (e-mail, URL, …)."""
    out = []
    for name, field in serializer_class().fields.items():
        if field.read_only or isinstance(field, serializers.ChoiceField):
            continue
        if (
            (type(field) is serializers.CharField)
            if exact
            else isinstance(field, serializers.CharField)
        ):
            out.append(name)
    return sorted(out)


def bounded_fields(serializer_class) -> list[tuple[str, int]]:
    return [
        (name, serializer_class().fields[name].max_length)
        for name in text_fields(serializer_class, exact=False)
        if serializer_class().fields[name].max_length
    ]


POST_TEXT = sorted(set(text_fields(NeedSerializer)) | set(text_fields(OfferSerializer)))
ORG_TEXT = text_fields(OrganizationSerializer)


@pytest.fixture
def member_api(api, people):
    api.force_authenticate(people["member"])
    return api


@pytest.fixture
def own_need(people):
    return make_need(people["npo"], title="ふつうのテーマ")


def _detail(response) -> str:
    return json.dumps(response.json(), ensure_ascii=False)


# --------------------------------------------------------------------------- bodies
def test_oversized_api_body_is_a_413_with_a_message(member_api, own_need, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = json.dumps({"description": "あ" * 20_000})
    response = member_api.generic(
        "PATCH", f"/api/v1/needs/{own_need.pk}/", body, content_type="application/json"
    )
    assert response.status_code == 413
    assert "大きすぎます" in response.json()["detail"]
    own_need.refresh_from_db()
    assert own_need.description != "あ" * 20_000


def test_oversized_form_post_is_a_413_not_a_500(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    response = client.post("/accounts/login/", {"username": "x" * 20_000, "password": "p"})
    assert response.status_code == 413
    assert "大きすぎます" in response.content.decode()


def test_deeply_nested_json_is_a_400(member_api, own_need):
    body = "[" * 10_000 + "]" * 10_000
    response = member_api.generic(
        "PATCH", f"/api/v1/needs/{own_need.pk}/", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert "入れ子" in response.json()["detail"]


def test_invalid_utf8_body_is_a_400(member_api, own_need):
    response = member_api.generic(
        "PATCH",
        f"/api/v1/needs/{own_need.pk}/",
        b'{"title": "\xff\xfe\xfd"}',
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "文字コード" in response.json()["detail"]


@pytest.mark.parametrize(
    "url", ["/api/v1/needs/", "/api/v1/offers/", "/api/v1/organizations/", "/menu/", "/"]
)
def test_invalid_utf8_and_nul_in_query_strings_are_not_server_errors(client, people, url):
    make_need(people["department"])
    for query in ("q=%ff%fe", "q=%00", "field=%00&area=%00", "ordering=%00", "page=%ff"):
        response = client.get(f"{url}?{query}")
        assert response.status_code in (200, 400, 404), (query, response.status_code)


# --------------------------------------------------------------------------- NUL / length
@pytest.mark.parametrize("field", text_fields(NeedSerializer, exact=False))
def test_nul_in_a_post_text_field_is_a_400_naming_the_field(member_api, own_need, field):
    response = member_api.patch(f"/api/v1/needs/{own_need.pk}/", {field: "前\x00後"}, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()


@pytest.mark.parametrize("field", ["fields", "areas", "forms"])
def test_nul_in_a_code_list_is_a_400_naming_the_field(member_api, own_need, field):
    response = member_api.patch(
        f"/api/v1/needs/{own_need.pk}/", {field: ["wel\x00fare"]}, format="json"
    )
    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.parametrize("field", text_fields(OrganizationSerializer, exact=False))
def test_nul_in_an_organization_text_field_is_a_400(member_api, people, field):
    response = member_api.patch(
        f"/api/v1/organizations/{people['npo'].pk}/", {field: "前\x00後"}, format="json"
    )
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_nul_in_the_token_endpoint_and_web_forms_is_not_a_server_error(api, client, people):
    response = api.post(
        "/api/v1/auth/token/", {"username": "mem\x00ber", "password": "x"}, format="json"
    )
    assert response.status_code == 400
    assert client.post("/accounts/login/", {"username": "a\x00", "password": "b"}).status_code in (
        200,
        400,
    )
    response = client.post("/accounts/signup/", {"username": "x\x00", "fields": ["wel\x00"]})
    assert response.status_code in (200, 400)
    client.force_login(people["member"])
    response = client.post(
        "/my/needs/new/", {"title": "x\x00", "fields": ["wel\x00"], "areas": ["t-\x00"]}
    )
    assert response.status_code in (200, 400)
    response = client.get("/menu/", {"q": "a\x00", "field": "\x00", "area": "\x00"})
    assert response.status_code in (200, 400)


@pytest.mark.parametrize(
    "serializer,field,limit", [(NeedSerializer, f, n) for f, n in bounded_fields(NeedSerializer)]
)
def test_strings_beyond_max_length_are_a_400(member_api, own_need, serializer, field, limit):
    response = member_api.patch(
        f"/api/v1/needs/{own_need.pk}/", {field: "あ" * (limit + 1)}, format="json"
    )
    assert response.status_code == 400
    assert field in response.json()


# --------------------------------------------------------------------------- SQL
@pytest.mark.parametrize("query", SQL_QUERIES)
def test_sql_in_search_and_filters_returns_normally(api, people, query):
    make_need(people["department"], title="見守り")
    for params in ({"q": query}, {"field": query}, {"area": query}, {"ordering": query}):
        response = api.get("/api/v1/needs/", params)
        assert response.status_code in (200, 400), params
        if response.status_code == 200:
            assert response.json()["count"] in (0, 1)
    from proposals.models import Need

    assert Need.objects.count() == 1


def test_sql_in_text_fields_is_stored_literally(member_api, own_need):
    response = member_api.patch(
        f"/api/v1/needs/{own_need.pk}/", {"title": SQL, "description": SQL}, format="json"
    )
    assert response.status_code == 200
    again = member_api.get(f"/api/v1/needs/{own_need.pk}/").json()
    assert again["title"] == SQL and again["description"] == SQL


# --------------------------------------------------------------------------- HTML / script
def _poison(serializer, field: str) -> str:
    value = f"{field}:{XSS}"
    limit = serializer().fields[field].max_length
    return value[-limit:] if limit else value


@pytest.fixture
def poisoned(people, member_api):
    """A need, an offer and an organization with every plain text field set to markup,
    written through the API as their owner would."""
    need = make_need(people["npo"], fields=["welfare"], areas=["t-kita"])
    offer = make_offer(people["npo"], fields=["welfare"], areas=["t-kita"])
    for url, serializer, fields in (
        (f"/api/v1/needs/{need.pk}/", NeedSerializer, text_fields(NeedSerializer)),
        (f"/api/v1/offers/{offer.pk}/", OfferSerializer, text_fields(OfferSerializer)),
        (f"/api/v1/organizations/{people['npo'].pk}/", OrganizationSerializer, ORG_TEXT),
    ):
        response = member_api.patch(url, {f: _poison(serializer, f) for f in fields}, format="json")
        assert response.status_code == 200, (url, response.content)
    return {"need": need, "offer": offer, "org": people["npo"]}


def _assert_escaped(html: str, must_show: str) -> None:
    assert "<script>alert(1)" not in html
    assert "<img src=x onerror" not in html
    assert must_show + XSS_ESCAPED in html or must_show in html


@pytest.mark.parametrize("field", POST_TEXT)
def test_post_text_is_escaped_on_public_pages(client, poisoned, field):
    need, offer = poisoned["need"], poisoned["offer"]
    for url in (f"/needs/{need.pk}/", f"/offers/{offer.pk}/", "/menu/", "/"):
        html = client.get(url).content.decode()
        assert "<script>alert(1)" not in html, url
        assert "onerror=alert" not in html.replace("onerror=alert(2)&gt;", ""), url
    html = client.get(f"/needs/{need.pk}/").content.decode()
    if field in text_fields(NeedSerializer) and field in ("title", "description"):
        assert f"{field}:{XSS_ESCAPED}" in html


@pytest.mark.parametrize("field", ORG_TEXT)
def test_organization_text_is_escaped_on_pages(client, people, poisoned, field):
    pages = [f"/organizations/{poisoned['org'].pk}/", "/organizations/"]
    client.force_login(people["coordinator"])
    pages += ["/coord/organizations/unverified/", "/coord/review/", "/coord/matches/"]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert "<script>alert(1)" not in html, url
        assert "<img src=x" not in html, url


def test_member_pages_escape_their_own_posts(client, people, poisoned):
    client.force_login(people["member"])
    for url in ("/my/", f"/my/needs/{poisoned['need'].pk}/edit/"):
        html = client.get(url).content.decode()
        assert "<script>alert(1)" not in html, url
        assert XSS_ESCAPED in html, url


def test_interest_message_is_escaped_for_the_coordinator_and_in_emails(
    client, people, poisoned, monkeypatch
):
    monkeypatch.setattr(notification_services, "enqueue", lambda ids, countdown=None: len(ids))
    people["coordinator"].email = "coord@example.jp"
    people["coordinator"].save()
    need = make_need(people["department"], title=f"テーマ{XSS}")
    create_interest_request(people["member"], people["npo"], need=need, message=f"伝言{XSS}")
    assert InterestRequest.objects.count() == 1
    client.force_login(people["coordinator"])
    html = client.get("/coord/interest/").content.decode()
    assert "<script>alert(1)" not in html and XSS_ESCAPED in html

    from notifications.models import Delivery

    for delivery in Delivery.objects.all():
        notification_services.deliver(delivery.pk)
    assert mail.outbox
    for message in mail.outbox:
        for content, _type in getattr(message, "alternatives", []):
            assert "<script>alert(1)" not in content
        assert "&lt;script" not in message.body  # plain text: no HTML entities


def test_ics_export_cannot_be_given_extra_properties(people):
    match = make_match(people, state="consulting", title=f"協働\r\nBEGIN:VEVENT\r\nX-EVIL:1{XSS}")
    import datetime as dt

    from django.utils import timezone

    start = timezone.now() + dt.timedelta(days=3)
    slot = ConsultationSlot.objects.create(
        starts_at=start,
        ends_at=start + dt.timedelta(hours=1),
        capacity=1,
        place=f"会議室\r\nX-EVIL:2{XSS}",
        note=XSS,
    )
    booking = ConsultationBooking.objects.create(slot=slot, match=match, booked_by=people["member"])
    text = ical.booking_ics(booking).decode()
    lines = text.replace("\r\n ", "").split("\r\n")
    assert lines.count("BEGIN:VEVENT") == 1
    assert not any(line.startswith("X-EVIL") for line in lines)


@pytest.mark.parametrize("prefix", spreadsheets.FORMULA_PREFIXES)
def test_spreadsheet_exports_neutralise_formulas(client, people, prefix):
    import datetime as dt

    title = f'{prefix}HYPERLINK("http://evil.example/","x")'
    make_match(people, title=title, completed_on=dt.date(2026, 6, 30))
    client.force_login(people["coordinator"])
    body = client.get("/coord/kpi/progress-sheet.csv", {"fy": 2026}).content
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    cells = [c for row in rows for c in row if "HYPERLINK" in c]
    assert cells and all(c.startswith("'") for c in cells), cells
    book = openpyxl.load_workbook(
        io.BytesIO(client.get("/coord/kpi/progress-sheet.xlsx", {"fy": 2026}).content)
    )
    found = [
        cell
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str) and "HYPERLINK" in cell.value
    ]
    assert found and all(cell.data_type == "s" and cell.quotePrefix for cell in found)


def test_ids_beyond_64_bits_are_not_found_on_either_database(client, api, people):
    """SQLite's driver raises OverflowError for such an integer where Django does not
    guard the lookup (an ``__in`` list: the fuzzer found a 500 there); PostgreSQL finds
    nothing. Either way the user gets a 404 page or a 400/404 answer, never a 500."""
    huge = "30244613601511782169371925562760626176"
    assert client.get(f"/needs/{huge}/").status_code == 404
    client.force_login(people["member"])
    assert client.get(f"/my/matches/{huge}/").status_code == 404
    api.force_authenticate(people["coordinator"])
    assert api.get(f"/api/v1/needs/{huge}/").status_code in (400, 404)
    answer = api.post("/api/v1/notifications/read_all/", {"ids": [1, int(huge)]}, format="json")
    assert answer.status_code == 400 and "ids" in answer.json()
