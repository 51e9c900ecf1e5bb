"""Coordinators' KPI dashboard and yearly progress sheet (進行管理シート). Thin views over
``matching.reports.kpi`` and ``matching.reports.progress_sheet``, with the places to meet
(``meetings.kpi``) added here: matching does not know meetings, the web layer knows both."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from lib import dates
from matching.matches import deadlines
from matching.models import Match
from matching.reports import kpi, progress_sheet
from meetings import kpi as meetings_kpi
from web.coordinator.helpers import coordinator_required

FIRST_FISCAL_YEAR = 2000


def _fiscal_year(request: HttpRequest) -> int:
    current = dates.current_fiscal_year()
    try:
        fy = int(request.GET.get("fy", current))
    except ValueError:
        return current
    return fy if FIRST_FISCAL_YEAR <= fy <= current + 1 else current


def _year_choices() -> list[int]:
    current = dates.current_fiscal_year()
    first = Match.objects.order_by("created_at").values_list("created_at", flat=True).first()
    start = dates.current_fiscal_year(timezone.localdate(first)) if first else current
    return list(range(current, min(start, current) - 1, -1))


@require_GET
@coordinator_required
def dashboard(request: HttpRequest) -> HttpResponse:
    fy = _fiscal_year(request)
    years = _year_choices()
    if fy not in years:
        years = sorted({*years, fy}, reverse=True)
    data = kpi.dashboard(fy)
    meetings = meetings_kpi.dashboard(fy)
    data["charts"].update(meetings["charts"])
    return render(
        request,
        "coordinator/kpi/dashboard.html",
        {
            "kpi": data,
            "meetings": meetings,
            "fy": fy,
            "years": years,
            # Deadlines are today's, whatever the year shown (matching.matches.deadlines).
            "deadlines": deadlines.summary(deadlines.overdue_items()),
        },
    )


def _meetings_part(fy: int) -> dict:
    return {
        "extra_indicators": meetings_kpi.progress_indicators(fy),
        "extra_tables": [meetings_kpi.sheet_table(fy)],
    }


@require_GET
@coordinator_required
def progress_sheet_csv(request: HttpRequest) -> HttpResponse:
    fy = _fiscal_year(request)
    response = HttpResponse(
        progress_sheet.to_csv(fy, **_meetings_part(fy)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="progress-sheet-{fy}.csv"'
    return response


@require_GET
@coordinator_required
def progress_sheet_xlsx(request: HttpRequest) -> HttpResponse:
    fy = _fiscal_year(request)
    response = HttpResponse(
        progress_sheet.to_xlsx(fy, **_meetings_part(fy)),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="progress-sheet-{fy}.xlsx"'
    return response
