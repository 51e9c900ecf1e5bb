"""KPI dashboard and yearly progress sheet (進行管理シート): the query functions of
``matching.kpi`` on a small hand-built data set (expected values computed by hand in the
comments), the coordinators-only pages, and the CSV/XLSX exports.

The data set, fiscal year 2026 (2026-04-01 – 2027-03-31), times in Asia/Tokyo:

| match | need posted | match created | need fields | form | days |
|---|---|---|---|---|---|
| m1 | 2026-04-01 10:00 | 2026-04-10 10:00 | welfare, community | co_host | 9 |
| m2 | 2026-04-05 10:00 | 2026-04-20 10:00 | welfare | commission | 15 |
| m3 | 2026-05-01 10:00 | 2026-06-01 10:00 | – | – | 31 |
| m6 | 2027-03-01 23:59 | 2027-03-31 23:59 | community | – | 30 |
| m4 | 2025-04-01 10:00 | 2025-05-01 10:00 (FY2025) | welfare | – | (30) |
| m5 | 2027-03-01 10:00 | 2027-04-01 00:00 (FY2027) | welfare | – | – |
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import openpyxl
import pytest
from conftest import make_need, make_offer
from django.utils import timezone
from outcomes_support import make_match

from lib import dates
from matching.models import (
    ConsultationBooking,
    ConsultationSlot,
    ContinuationFollowUp,
    Evaluation,
    Match,
    Suggestion,
)
from matching.reports import kpi, progress_sheet
from proposals.models import Need, Offer

D = dt.date
FY = 2026
START, END = dates.fiscal_year_range(FY)
HYPERLINK = '=HYPERLINK("http://evil.example/","クリック")'


def local(year, month, day, hour=10, minute=0) -> dt.datetime:
    return timezone.make_aware(dt.datetime(year, month, day, hour, minute))


def build_match(people, title, need_at, match_at, fields=(), form=None, **kw):
    match = make_match(people, title=title, need_fields=fields, form=form, **kw)
    Need.objects.filter(pk=match.need_id).update(created_at=need_at, status="closed")
    Offer.objects.filter(pk=match.offer_id).update(created_at=need_at, status="closed")
    Match.objects.filter(pk=match.pk).update(created_at=match_at)
    return Match.objects.get(pk=match.pk)


def evaluate(match, grade, submitted_at, organization=None, effects=""):
    evaluation = Evaluation.objects.create(
        match=match,
        evaluator="party" if organization else "coordinator",
        organization=organization,
        grade=grade,
        effects=effects,
    )
    Evaluation.objects.filter(pk=evaluation.pk).update(submitted_at=submitted_at)


def slot(start, capacity, **kw):
    return ConsultationSlot.objects.create(
        starts_at=start, ends_at=start + dt.timedelta(hours=1), capacity=capacity, **kw
    )


@pytest.fixture
def data(people):
    m1 = build_match(
        people, "見守り協働", local(2026, 4, 1), local(2026, 4, 10),
        ("welfare", "community"), "co_host", completed_on=D(2026, 6, 30),
    )  # fmt: skip
    m2 = build_match(
        people, "子育て支援", local(2026, 4, 5), local(2026, 4, 20), ("welfare",),
        "commission", state="active", completed_on=None,
    )  # fmt: skip
    m3 = build_match(
        people, "清掃活動", local(2026, 5, 1), local(2026, 6, 1),
        state="active", completed_on=None,
    )  # fmt: skip
    m4 = build_match(
        people, "昨年度の協働", local(2025, 4, 1), local(2025, 5, 1), ("welfare",),
        completed_on=D(2025, 12, 1),
    )  # fmt: skip
    m5 = build_match(
        people, "来年度の協働", local(2027, 3, 1), local(2027, 4, 1, 0, 0), ("welfare",),
        state="proposed", completed_on=None,
    )  # fmt: skip
    m6 = build_match(
        people, "年度末の協働", local(2027, 3, 1, 23, 59), local(2027, 3, 31, 23, 59),
        ("community",), state="proposed", completed_on=None,
    )  # fmt: skip
    # Evaluations: FY2026 A, B, B (average 3.33); FY2025 D (average 1.0).
    evaluate(m1, "A", local(2026, 7, 1), people["npo"], effects="見守り訪問が月20件に増えた")
    evaluate(m1, "B", local(2026, 7, 2), people["department"], effects="")
    evaluate(m1, "B", local(2026, 7, 3))
    evaluate(m4, "D", local(2025, 12, 10))
    # Slots starting in FY2026: 3 + 2 seats offered (the cancelled slot is not counted);
    # live bookings: held, booked, no-show = 3 booked; 1 held → usage 3/5 = 0.6.
    s1 = slot(local(2026, 5, 10), 3)
    s2 = slot(local(2026, 7, 1), 2)
    slot(local(2026, 8, 1), 5, is_cancelled=True)
    slot(local(2025, 8, 1), 4)  # FY2025
    ConsultationBooking.objects.create(slot=s1, match=m1, status="held")
    ConsultationBooking.objects.create(slot=s1, match=m2, status="booked")
    ConsultationBooking.objects.create(slot=s1, match=m3, status="cancelled")
    ConsultationBooking.objects.create(slot=s2, match=m1, status="no_show")
    # Posts with no suggestion: m3's need (open) and a lone open offer; m1's need and
    # offer are open but have a suggestion; a draft need does not count.
    Suggestion.objects.all().delete()
    Need.objects.filter(pk__in=[m1.need_id, m3.need_id]).update(status="open")
    Offer.objects.filter(pk=m1.offer_id).update(status="open")
    Suggestion.objects.create(
        need_id=m1.need_id, offer_id=m1.offer_id, score=0.8, engine_version="t",
        profile_name="t", computed_at=timezone.now(),
    )  # fmt: skip
    lone = make_offer(people["group"], title="読み聞かせボランティア")
    Offer.objects.filter(pk=lone.pk).update(created_at=local(2026, 5, 2))
    draft = make_need(people["department"], title="下書きのニーズ", status="draft")
    Need.objects.filter(pk=draft.pk).update(created_at=local(2026, 5, 3))
    # 12-month follow-ups: m1 (completed FY2026) continues; m4 (FY2025) ended.
    for match, answer in ((m1, "continued"), (m4, "ended")):
        ContinuationFollowUp.objects.create(
            match=match, organization=people["npo"], months=12, due_on=D(2027, 6, 30),
            answer=answer, reason="" if answer == "continued" else "予算がなくなった",
        )  # fmt: skip
    return {"m1": m1, "m2": m2, "m3": m3, "m4": m4, "m5": m5, "m6": m6, "lone": lone}


# --- Query functions ------------------------------------------------------------------
def test_fiscal_year_range():
    assert dates.fiscal_year_range(2026) == (D(2026, 4, 1), D(2027, 4, 1))
    assert dates.current_fiscal_year(D(2027, 3, 31)) == 2026


def test_matches_per_month(data):
    rows = kpi.matches_per_month(START, END)
    assert [r["month"] for r in rows][:3] == ["2026-04", "2026-05", "2026-06"]
    assert len(rows) == 12 and rows[-1]["month"] == "2027-03"
    counts = {r["month"]: r["count"] for r in rows}
    # m1, m2 in April; m3 in June; m6 at 23:59 on 31 March; m5 (1 April 0:00) is FY2027.
    assert counts == {**dict.fromkeys(counts, 0), "2026-04": 2, "2026-06": 1, "2027-03": 1}
    assert rows[0]["label"] == "2026年4月"


def test_matches_by_field_and_form(data):
    # welfare: m1, m2; community: m1, m6; no field: m3. Fields in their order, 未設定 last.
    assert [(r["key"], r["count"]) for r in kpi.matches_by_field(START, END)] == [
        ("welfare", 2),
        ("community", 2),
        ("", 1),
    ]
    # commission (order 1): m2; co_host (order 2): m1; no form: m3, m6.
    rows = kpi.matches_by_form(START, END)
    assert [(r["key"], r["label"], r["count"]) for r in rows] == [
        ("commission", "委託", 1),
        ("co_host", "共催", 1),
        ("", "未設定", 2),
    ]


def test_median_days_to_match(data):
    # 9, 15, 31, 30 days → median (15 + 30) / 2 = 22.5
    assert kpi.median_days_to_match(START, END) == {"count": 4, "median_days": 22.5}
    assert kpi.median_days_to_match(D(2030, 4, 1), D(2031, 4, 1)) == {
        "count": 0,
        "median_days": None,
    }


def test_consultations_booked_vs_offered(data):
    assert kpi.consultations(START, END) == {
        "slots": 2,
        "offered": 5,
        "booked": 3,
        "held": 1,
        "no_show": 1,
        "cancelled_slots": 1,
        "usage_rate": 0.6,
    }


def test_grade_distribution_and_average(data):
    assert [(r["grade"], r["count"]) for r in kpi.grade_distribution(START, END)] == [
        ("A", 1),
        ("B", 2),
        ("C", 0),
        ("D", 0),
    ]
    assert kpi.average_grade(START, END) == 3.33  # (4 + 3 + 3) / 3
    assert kpi.average_grade(*dates.fiscal_year_range(2025)) == 1.0


def test_continuation_by_year_and_field(data):
    years = {r["key"]: (r["answered"], r["continued"]) for r in kpi.continuation_by_year()}
    assert years == {"2025": (1, 0), "2026": (1, 1)}
    assert kpi.continuation_for_year(2026)["rate"] == 1.0
    assert kpi.continuation_for_year(2030)["rate"] is None
    fields = {r["key"]: r["rate"] for r in kpi.continuation_by_field()}
    assert fields == {"welfare": 0.5, "community": 1.0}


def test_posts_without_suggestion(data):
    result = kpi.posts_without_suggestion()
    assert (result["count"], result["needs"], result["offers"]) == (2, 1, 1)
    assert [(i["kind"], i["id"]) for i in result["items"]] == [
        ("need", data["m3"].need_id),
        ("offer", data["lone"].pk),
    ]
    assert kpi.posts_without_suggestion(limit=1)["items"][0]["id"] == data["m3"].need_id
    assert kpi.posts_without_suggestion(D(2026, 5, 2), D(2026, 6, 1))["count"] == 1


def test_indicator_grade_rule():
    assert kpi.indicator_grade(110, 100) == "A"
    assert kpi.indicator_grade(109, 100) == "B"
    assert kpi.indicator_grade(100, 100) == "B"
    assert kpi.indicator_grade(70, 100) == "C"
    assert kpi.indicator_grade(69, 100) == "D"
    assert kpi.indicator_grade(None, 100) == ""
    # lower is better: achievement = target / actual
    assert kpi.indicator_grade(0, 5, lower_is_better=True) == "A"
    assert kpi.indicator_grade(5, 5, lower_is_better=True) == "B"
    assert kpi.indicator_grade(7, 5, lower_is_better=True) == "C"  # 5/7 = 0.71
    assert kpi.indicator_grade(10, 5, lower_is_better=True) == "D"


def test_progress_indicators(data, settings):
    settings.TSUNAGU_KPI_TARGETS = {"matches": 4}
    rows = {r["key"]: r for r in kpi.progress_indicators(FY)}
    assert list(rows) == [
        "matches",
        "consultations_held",
        "slot_usage_rate",
        "continuation_rate_12m",
        "average_grade",
        "posts_without_suggestion",
    ]
    m = rows["matches"]
    assert (m["baseline"], m["target"], m["actual"], m["grade"]) == (1, 4, 4, "B")
    assert m["comment"] == "前年度比 +3件。"
    s = rows["slot_usage_rate"]
    assert (s["baseline"], s["actual"], s["target"], s["grade"]) == (0.0, 0.6, 0.5, "A")
    c = rows["continuation_rate_12m"]
    assert (c["baseline"], c["actual"], c["grade"]) == (0.0, 1.0, "A")
    assert rows["average_grade"]["actual"] == 3.33
    # created in FY2026, open, no suggestion: m3's need and the lone offer → 2 ≤ 5
    assert rows["posts_without_suggestion"]["actual"] == 2
    assert rows["posts_without_suggestion"]["grade"] == "A"


def test_completed_projects(data):
    rows = kpi.completed_projects(FY)
    assert len(rows) == 1  # m1 only (m4 completed in FY2025)
    row = rows[0]
    assert row["title"] == "見守り協働"
    assert row["parties"] == "テスト市 高齢福祉課、NPO法人みどりの手"
    assert row["form"] == "共催"
    assert row["completed_on"] == "2026-06-30"
    assert row["grades"] == ("コーディネーター: B / NPO法人みどりの手: A / テスト市 高齢福祉課: B")
    assert row["effects"] == "NPO法人みどりの手: 見守り訪問が月20件に増えた"


# --- Pages ----------------------------------------------------------------------------
URL = "/coord/kpi/"


def test_dashboard_permissions(client, people):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(people["member"])
    assert client.get(URL).status_code == 403
    assert client.get(URL + "progress-sheet.csv").status_code == 403
    assert client.get(URL + "progress-sheet.xlsx").status_code == 403
    client.force_login(people["coordinator"])
    assert client.get(URL).status_code == 200


def test_dashboard_page(client, people, data):
    client.force_login(people["coordinator"])
    response = client.get(URL, {"fy": FY})
    html = response.content.decode()
    assert response.status_code == 200
    assert '<script id="kpi-data" type="application/json">' in html
    match = re.search(r'<script id="kpi-data" type="application/json">(.*?)</script>', html)
    import json

    charts = json.loads(match.group(1))
    assert charts["per-month"]["values"][:3] == [2, 0, 1]
    assert charts["continuation-year"]["values"] == [0.0, 100.0]
    # one data table with a caption per chart, plus the list of posts
    assert html.count("<canvas") == 9  # 7 of matching, 2 of the places to meet
    assert html.count("<caption>") == 10  # 8 of matching, 2 of the places to meet
    assert "月別のマッチ数（作成日の月）" in html
    assert "清掃活動（ニーズ）" in html  # a post with no suggestion
    # Chart.js and kpi.js are served by the platform; no other script or stylesheet URL
    assert "/static/web/vendor/chart.umd.min.js" in html
    assert "/static/web/kpi.js" in html
    for url in re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html):
        assert url.startswith("/static/"), url
    assert "onclick" not in html
    # no inline executable script: every <script> is external or JSON data
    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    # a bad year falls back to the current one
    assert client.get(URL, {"fy": "abc"}).status_code == 200


def test_vendored_chart_js_is_there():
    from django.contrib.staticfiles import finders

    path = finders.find("web/vendor/chart.umd.min.js")
    assert path and "Chart.js v4" in open(path, encoding="utf-8").read(200)
    assert finders.find("web/vendor/chart.js.LICENSE.md")
    assert finders.find("web/kpi.js")


# --- Exports --------------------------------------------------------------------------
def test_neutralise_helper():
    for text in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", HYPERLINK):
        assert progress_sheet.neutralise(text) == "'" + text
    assert progress_sheet.neutralise("見守り") == "見守り"
    assert progress_sheet.neutralise(-3) == -3
    assert progress_sheet.neutralise(None) is None


def test_progress_sheet_csv(client, people, data):
    Match.objects.filter(pk=data["m1"].pk).update(title=HYPERLINK)
    client.force_login(people["coordinator"])
    response = client.get(URL + "progress-sheet.csv", {"fy": FY})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "progress-sheet-2026.csv" in response["Content-Disposition"]
    body = response.content
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == [
        "指標",
        "単位",
        "基準値（前年度実績）",
        "目標値",
        "実績値",
        "評価",
        "コメント",
    ]
    assert rows[1][:6] == ["マッチ成立数", "件", "1", "24", "4", "D"]  # 4/24 < 70 %
    assert rows[3][:6] == ["相談枠の利用率", "%", "0.0", "50.0", "60.0", "A"]
    projects = rows.index(
        [
            "ID",
            "事業名",
            "参加団体",
            "協働の形態",
            "期間",
            "完了日",
            "評価",
            "効果",
            "コーディネーターの例外",
            "事例集",
        ]
    )
    assert rows[projects - 1] == ["2026年度 完了した協働（事業別）"]
    project = rows[projects + 1]
    assert project[1] == "'" + HYPERLINK  # neutralised
    assert project[3] == "共催"


def test_progress_sheet_xlsx(client, people, data):
    Match.objects.filter(pk=data["m1"].pk).update(title=HYPERLINK)
    client.force_login(people["coordinator"])
    response = client.get(URL + "progress-sheet.xlsx", {"fy": FY})
    assert response.status_code == 200
    assert "spreadsheetml" in response["Content-Type"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["指標", "事業", "交流の場"]
    indicators = [[c.value for c in row] for row in book["指標"].iter_rows()]
    assert indicators[0][0] == "指標" and len(indicators) == 13  # 6 + 6 of the meetings
    assert indicators[1][:6] == ["マッチ成立数", "件", 1, 24, 4, "D"]
    cell = book["事業"]["B2"]
    assert cell.value == HYPERLINK and cell.data_type == "s"  # text, not a formula
    assert book["事業"]["A1"].value == "ID"


def test_progress_sheet_defaults_to_current_year(client, people):
    client.force_login(people["coordinator"])
    response = client.get(URL + "progress-sheet.csv")
    assert f"progress-sheet-{dates.current_fiscal_year()}.csv" in response["Content-Disposition"]
