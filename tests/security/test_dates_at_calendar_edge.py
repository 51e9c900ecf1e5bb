"""Dates at the calendar's edge: every date parameter of the API and the pages is read by
``lib.dates`` and refused with a 400 naming the parameter (a page: a friendly message),
never an ``OverflowError`` 500 (9999-12-31 plus a day, 0001-01-01 local midnight in UTC).

``DATE_PARAMETERS`` lists them all (found by grepping for date parsing: ``parse_date``,
``parse_datetime``, ``fromisoformat``, ``DateFilter``/``DateField`` on GET). A new one
belongs here.
"""

from __future__ import annotations

import pytest

from lib import dates
from lib.errors import Invalid

EDGES = ["9999-12-31", "0001-01-01"]
MALFORMED = ["2026-02-30", "来週", "2026-13-01T10:00"]

# (who asks, URL, parameter)
API_PARAMETERS = [
    ("coordinator", "/api/v1/consultations/", "from"),
    ("coordinator", "/api/v1/consultations/", "to"),
    ("coordinator", "/api/v1/consultation-slots/", "from"),
    ("coordinator", "/api/v1/consultation-slots/", "to"),
    ("coordinator", "/api/v1/consultations/kpi/", "from"),
    ("coordinator", "/api/v1/consultations/kpi/", "to"),
    ("anonymous", "/api/v1/needs/", "active_on"),
    ("anonymous", "/api/v1/offers/", "active_on"),
    ("anonymous", "/api/v1/meetings/", "from"),
]
PAGE_PARAMETERS = [("coordinator", "/coord/slots/", "week")]


def _client(client, people, who):
    if who != "anonymous":
        client.force_login(people[who])
    return client


@pytest.mark.parametrize("value", EDGES + MALFORMED)
@pytest.mark.parametrize(("who", "url", "param"), API_PARAMETERS)
def test_api_date_parameters_answer_400_naming_the_parameter(
    client, people, who, url, param, value
):
    response = _client(client, people, who).get(url, {param: value})
    assert response.status_code == 400, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert param in body, body
    assert "日付" in body[param][0] or "date" in body[param][0].lower()


@pytest.mark.parametrize("value", ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00"])
@pytest.mark.parametrize(
    ("who", "url", "param"), [p for p in API_PARAMETERS if p[2] in ("from", "to")]
)
def test_api_datetime_parameters_at_the_edge_answer_400(client, people, who, url, param, value):
    response = _client(client, people, who).get(url, {param: value})
    assert response.status_code == 400, response.content[:500]
    assert param in response.json()


@pytest.mark.parametrize(("who", "url", "param"), API_PARAMETERS)
def test_api_date_parameters_within_the_range_still_work(client, people, who, url, param):
    client = _client(client, people, who)
    for value in ("2027-04-01", dates.LATEST_DAY.isoformat(), dates.EARLIEST_DAY.isoformat()):
        params = {param: value}
        if url.endswith("/kpi/"):  # its other end as wide as can be: the range is valid
            params.setdefault("from", dates.EARLIEST_DAY.isoformat())
            params.setdefault("to", dates.LATEST_DAY.isoformat())
        response = client.get(url, params)
        assert response.status_code == 200, (params, response.content[:500])


@pytest.mark.parametrize("value", EDGES + MALFORMED)
@pytest.mark.parametrize(("who", "url", "param"), PAGE_PARAMETERS)
def test_page_date_parameters_answer_400_with_a_friendly_message(
    client, people, who, url, param, value
):
    response = _client(client, people, who).get(url, {param: value})
    assert response.status_code == 400
    html = response.content.decode()
    assert "週の指定が正しくありません" in html
    assert "<header" in html or "<nav" in html  # the site's page, not a bare error


def test_the_week_calendar_shows_the_last_usable_week(client, people):
    client.force_login(people["coordinator"])
    response = client.get("/coord/slots/", {"week": dates.LATEST_DAY.isoformat()})
    assert response.status_code == 200
    assert "9998年12月" in response.content.decode()


@pytest.mark.parametrize(
    ("value", "end", "expected"),
    [
        ("2027-04-01", False, "2027-04-01T00:00:00+09:00"),
        ("2027-04-01", True, "2027-04-02T00:00:00+09:00"),
        ("2027-04-01T10:30", False, "2027-04-01T10:30:00+09:00"),
        ("2027-04-01T10:30:00+00:00", False, "2027-04-01T10:30:00+00:00"),
        (" 9998-12-31 ", True, "9999-01-01T00:00:00+09:00"),
    ],
)
def test_parse_moment(value, end, expected):
    assert dates.parse_moment(value, "to", end=end).isoformat() == expected


@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31", "0002-01-01T00:00:00+14:00x", ""])
def test_parse_day_refuses_naming_the_field(value):
    with pytest.raises(Invalid) as refused:
        dates.parse_day(value, "week")
    assert list(refused.value.field_errors()) == ["week"]


# Dates in bodies, where a day at the edge reached the database (a slot at 0001-01-01 00:30
# local time is before 0001-01-01 in UTC: OverflowError when stored).
@pytest.mark.parametrize("when", ["0001-01-01T00:30:00", "9999-12-31T23:00:00"])
def test_a_slot_at_the_edge_is_refused_by_the_api(api, people, when):
    api.force_authenticate(people["coordinator"])
    response = api.post(
        "/api/v1/consultation-slots/",
        {"starts_at": when, "ends_at": when.replace("T00:30", "T01:30"), "place": "会議室",
         "capacity": 1},
        format="json",
    )  # fmt: skip
    assert response.status_code == 400, response.content
    assert "starts_at" in response.json()


@pytest.mark.parametrize("day", EDGES)
def test_a_slot_at_the_edge_is_refused_by_the_page(client, people, day):
    from matching.models import ConsultationSlot

    client.force_login(people["coordinator"])
    response = client.post(
        "/coord/slots/",
        {"date": day, "start_time": "00:30", "end_time": "01:30", "place": "会議室",
         "capacity": 1},
    )  # fmt: skip
    assert response.status_code == 200
    assert "0002-01-01 から 9998-12-31 までの日付を指定してください" in response.content.decode()
    assert not ConsultationSlot.objects.exists()


@pytest.mark.parametrize("value", EDGES + MALFORMED)
@pytest.mark.parametrize("param", ["from", "to"])
def test_the_meetings_page_drops_a_date_at_the_edge_and_says_so(client, db, param, value):
    response = client.get("/meetings/", {param: value})
    assert response.status_code == 200
    assert "日付として読めないため" in response.content.decode()


@pytest.mark.parametrize("value", ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00"])
def test_a_meeting_at_the_calendar_edge_is_refused_naming_the_field(api, people, value):
    api.force_authenticate(people["staff"])
    response = api.post(
        "/api/v1/meetings/",
        {
            "kind": "exchange",
            "title": "暦の端の交流会",
            "organizer": people["department"].pk,
            "starts_at": value,
            "ends_at": value,
            "capacity": 10,
        },
        format="json",
    )
    assert response.status_code == 400, response.content[:500]
    assert "starts_at" in response.json()
