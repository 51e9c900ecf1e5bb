"""KPIs of the places to meet: meetings held, participants (attendance where recorded, else
registrations), first-time organizations, interest requests and matches from meetings and
their continuation; on the dashboard and in the 進行管理シート (CSV and XLSX).

The data set, fiscal year 2026 (2026-04-01 – 2027-03-31), times in Asia/Tokyo:

| meeting | start | state | taking part |
|---|---|---|---|
| m0 | 2025-11-10 (FY2025) | held | npo (registered, no check-in: 申込ベース) 2 people |
| m1 | 2026-05-10 | held | npo: 3 of 4 checked in; group: 2 checked in; department: not checked in |
| m2 | 2026-06-10 | held | group registered 5 (no check-in) |
| mc | 2026-07-10 | cancelled | department registered 9 |
| md | 2026-08-10 | draft | – |

FY2026: held 2 (m1, m2); participants 3 + 2 + 5 = 10; first-timers: group at m1 (npo came in
FY2025 at m0; the department did not attend m1: it was not checked in) = 1; m2 has none.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest
from conftest import make_need, make_offer
from django.utils import timezone

from matching.models import ContinuationFollowUp, InterestRequest, Match
from meetings import kpi
from meetings.models import Meeting, Registration, Wish

FY = 2026
NOW = timezone.make_aware(dt.datetime(2027, 3, 1, 12, 0))


def at(day: dt.date, hour: int = 14) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


def meeting(title: str, day: dt.date, status: str = Meeting.Status.PUBLISHED) -> Meeting:
    return Meeting.objects.create(
        kind=Meeting.Kind.EXCHANGE,
        title=title,
        starts_at=at(day),
        ends_at=at(day, 16),
        capacity=30,
        status=status,
    )


def register(m: Meeting, organization, attendees: int, *, attended: int | None = None):
    return Registration.objects.create(
        meeting=m,
        organization=organization,
        attendees=attendees,
        status=Registration.Status.REGISTERED,
        checked_in_at=m.starts_at if attended is not None else None,
        attended_people=attended,
    )


@pytest.fixture
def data(people):
    npo, group, department = people["npo"], people["group"], people["department"]
    m0 = meeting("前年度の交流会", dt.date(2025, 11, 10))
    register(m0, npo, 2)
    m1 = meeting("子育て支援の交流会", dt.date(2026, 5, 10))
    register(m1, npo, 4, attended=3)
    register(m1, group, 2, attended=2)
    register(m1, department, 3)
    m2 = meeting("防災の意見交換会", dt.date(2026, 6, 10))
    register(m2, group, 5)
    mc = meeting("中止した会", dt.date(2026, 7, 10), Meeting.Status.CANCELLED)
    register(mc, department, 9)
    meeting("下書きの会", dt.date(2026, 8, 10), Meeting.Status.DRAFT)

    # Two wishes at m1 → two interest requests; one became a match, completed and continued.
    offer = make_offer(npo)
    need = make_need(group)
    request_a = InterestRequest.objects.create(
        organization=group, offer=offer, origin_note="交流の場「子育て支援の交流会」から"
    )
    request_b = InterestRequest.objects.create(
        organization=npo, need=need, origin_note="交流の場「子育て支援の交流会」から"
    )
    InterestRequest.objects.filter(pk__in=[request_a.pk, request_b.pk]).update(
        created_at=at(dt.date(2026, 5, 12))
    )
    match = Match.objects.create(
        title="子育て支援の協働",
        need=need,
        offer=offer,
        origin=Match.Origin.MEETING,
        origin_note="交流の場「子育て支援の交流会」から",
    )
    Match.objects.filter(pk=match.pk).update(
        created_at=at(dt.date(2026, 6, 1)), completed_at=at(dt.date(2026, 9, 1))
    )
    request_a.match = match
    request_a.save(update_fields=["match"])
    Wish.objects.create(meeting=m1, organization=group, target=npo, interest_request=request_a)
    Wish.objects.create(meeting=m1, organization=npo, target=group, interest_request=request_b)
    ContinuationFollowUp.objects.create(
        match=match,
        organization=npo,
        months=12,
        due_on=dt.date(2027, 9, 1),
        answer=ContinuationFollowUp.Answer.CONTINUED,
    )
    # A match that did not come from a meeting is not counted.
    Match.objects.create(title="エンジンの提案から", need=need, offer=offer)
    return {"m1": m1, "m2": m2}


def test_indicators_of_the_year(data):
    values = kpi.indicator_values(FY, now=NOW)
    assert values == {
        "meetings_held": 2,
        "meeting_participants": 10,
        "meeting_first_time_organizations": 1,
        "meeting_interest_requests": 2,
        "meeting_matches": 1,
        "meeting_continuation_rate_12m": 1.0,
    }
    # FY2025: m0 only, the npo's first time.
    before = kpi.indicator_values(FY - 1, now=NOW)
    assert before["meetings_held"] == 1
    assert before["meeting_participants"] == 2
    assert before["meeting_first_time_organizations"] == 1


def test_rows_per_meeting_say_where_the_count_comes_from(data):
    rows = {row["title"]: row for row in kpi.meeting_rows(FY, now=NOW)}
    assert set(rows) == {"子育て支援の交流会", "防災の意見交換会"}
    m1 = rows["子育て支援の交流会"]
    assert (m1["people"], m1["organizations"], m1["first_time"]) == (5, 2, 1)
    assert m1["recorded"] is True
    assert (m1["wishes"], m1["interest_requests"], m1["matches"]) == (2, 2, 1)
    m2 = rows["防災の意見交換会"]
    assert (m2["people"], m2["organizations"], m2["first_time"], m2["recorded"]) == (
        5,
        1,
        0,
        False,
    )


def test_a_meeting_not_yet_ended_is_not_held(data):
    values = kpi.indicator_values(FY, now=at(dt.date(2026, 6, 10), 15))
    assert values["meetings_held"] == 1


def test_progress_sheet_has_the_meeting_indicators_and_table(client, people, data, monkeypatch):
    from meetings import kpi as meetings_kpi

    real = meetings_kpi.progress_indicators
    monkeypatch.setattr(meetings_kpi, "progress_indicators", lambda fy: real(fy, now=NOW))
    real_table = meetings_kpi.sheet_table
    monkeypatch.setattr(meetings_kpi, "sheet_table", lambda fy: real_table(fy, now=NOW))
    client.force_login(people["coordinator"])

    body = client.get(f"/coord/kpi/progress-sheet.csv?fy={FY}").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    indicators = {row[0]: row for row in rows if row}
    assert indicators["交流の場の開催数"][4] == "2"
    assert indicators["交流の場の開催数"][2] == "1"  # baseline: FY2025
    assert indicators["交流の場の参加者数（延べ）"][4] == "10"
    assert indicators["交流の場から生まれたマッチの継続率（完了12か月後）"][4] == "100.0"
    assert [f"{FY}年度 交流の場（会合別）"] in rows
    meeting_row = next(row for row in rows if len(row) > 2 and row[2] == "子育て支援の交流会")
    assert meeting_row[1] == "2026-05-10"
    assert meeting_row[5:8] == ["5", "2", "1"]

    xlsx = client.get(f"/coord/kpi/progress-sheet.xlsx?fy={FY}").content
    book = openpyxl.load_workbook(io.BytesIO(xlsx))
    assert book.sheetnames == ["指標", "事業", "交流の場"]
    titles = [row[2] for row in book["交流の場"].iter_rows(min_row=2, values_only=True)]
    assert titles == ["子育て支援の交流会", "防災の意見交換会"]


def test_dashboard_shows_the_meetings_section(client, people, data):
    client.force_login(people["coordinator"])
    page = client.get(f"/coord/kpi/?fy={FY}").content.decode()
    assert "交流の場から生まれたマッチ" in page
    assert "子育て支援の交流会" in page
    assert "meetings-per-month" in page
    assert "申込ベース" in page  # m2 had no check-in
