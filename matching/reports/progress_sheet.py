"""The yearly progress sheet (進行管理シート) as CSV and XLSX files.

Two tables: the indicators (``kpi.progress_indicators``) and the completed projects
(``kpi.completed_projects``). Cell text that a spreadsheet would run as a formula (it
starts with = + - @, their full-width forms, a tab or a line break) is neutralised by
``lib.spreadsheets``: a leading apostrophe in CSV, a quote-prefixed string in XLSX.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext as _

from lib.spreadsheets import safe_cell, xlsx_cell
from matching.reports import kpi

PERCENT_KEYS = frozenset({"slot_usage_rate", "continuation_rate_12m"})
# The CSV cell rule under the name this module's callers know (one rule: lib/spreadsheets).
neutralise = safe_cell


def _number(row: dict[str, Any], value):
    if value is None:
        return None
    percent = row.get("percent", row["key"] in PERCENT_KEYS)
    return round(value * 100, 1) if percent else value


def indicator_header() -> list[str]:
    return [
        _("指標"),
        _("単位"),
        _("基準値（前年度実績）"),
        _("目標値"),
        _("実績値"),
        _("評価"),
        _("コメント"),
    ]


def project_header() -> list[str]:
    return [
        _("ID"),
        _("事業名"),
        _("参加団体"),
        _("協働の形態"),
        _("期間"),
        _("完了日"),
        _("評価"),
        _("効果"),
        _("コーディネーターの例外"),
        _("事例集"),
    ]


def sheet_tables(
    fy: int,
    extra_indicators: Sequence[dict[str, Any]] = (),
    extra_tables: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """The tables as rows of cells (None for no value), headers first.

    ``extra_indicators`` (rows shaped like ``kpi.progress_indicators``'s, with ``percent``
    for a rate) and ``extra_tables`` (``{"key", "title", "sheet", "rows"}``, header first)
    come from the apps above matching (meetings), put together by the web layer."""
    indicators = [indicator_header()]
    for row in [*kpi.progress_indicators(fy), *extra_indicators]:
        indicators.append(
            [
                row["indicator"],
                row["unit"],
                _number(row, row["baseline"]),
                _number(row, row["target"]),
                _number(row, row["actual"]),
                row["grade"],
                row["comment"],
            ]
        )
    projects = [project_header()]
    for row in kpi.completed_projects(fy):
        projects.append(
            [
                row["id"],
                row["title"],
                row["parties"],
                row["form"],
                row["period"],
                row["completed_on"],
                row["grades"],
                row["effects"],
                row["overrides"],
                row["published"],
            ]
        )
    return {
        "indicators_title": _("%(fy)s年度 進行管理シート（指標）") % {"fy": fy},
        "indicators": indicators,
        "projects_title": _("%(fy)s年度 完了した協働（事業別）") % {"fy": fy},
        "projects": projects,
        "extra": list(extra_tables),
    }


def to_csv(fy: int, **extra: Any) -> bytes:
    """UTF-8 with a BOM (Excel in Japan then reads it correctly), CRLF line ends; the
    indicators first (their header is the first row), then a blank row, the projects'
    title and table, then each extra table the same way. ``extra``: see ``sheet_tables``."""
    tables = sheet_tables(fy, **extra)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in tables["indicators"]:
        writer.writerow(["" if v is None else safe_cell(v) for v in row])
    writer.writerow([])
    writer.writerow([safe_cell(tables["projects_title"])])
    for row in tables["projects"]:
        writer.writerow(["" if v is None else safe_cell(v) for v in row])
    for table in tables["extra"]:
        writer.writerow([])
        writer.writerow([safe_cell(table["title"])])
        for row in table["rows"]:
            writer.writerow(["" if v is None else safe_cell(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(fy: int, **extra: Any) -> bytes:
    """Worksheets 指標 and 事業 (and one per extra table), each with a bold header row."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    tables = sheet_tables(fy, **extra)
    book = Workbook()
    sheets = [
        (book.active, _("指標"), tables["indicators"], (28, 6, 16, 10, 10, 6, 48)),
        (
            book.create_sheet(),
            _("事業"),
            tables["projects"],
            (6, 32, 36, 14, 24, 12, 30, 60, 40, 10),
        ),
        *(
            (book.create_sheet(), table["sheet"], table["rows"], table.get("widths", ()))
            for table in tables["extra"]
        ),
    ]
    for sheet, title, rows, widths in sheets:
        sheet.title = title
        for r, row in enumerate(rows, 1):
            for c, value in enumerate(row, 1):
                cell = sheet.cell(row=r, column=c)
                xlsx_cell(cell, value)  # formula-like text stays text (lib/spreadsheets.py)
                if r == 1:
                    cell.font = Font(bold=True)
                elif isinstance(value, str) and "\n" in value:
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
        for c, width in enumerate(widths, 1):
            sheet.column_dimensions[sheet.cell(row=1, column=c).column_letter].width = width
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
