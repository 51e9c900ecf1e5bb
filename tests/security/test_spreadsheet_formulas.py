"""CSV/XLSX formula injection: a cell starting like a formula — = + - @, their full-width
forms ＝ ＋ － ＠, the minus sign −, a tab or a line break, also after spaces — is written
as text in every export (``lib.spreadsheets``: one rule, used by every CSV and XLSX the
platform makes)."""

from __future__ import annotations

import ast
import csv
import datetime as dt
import io
from pathlib import Path

import openpyxl
import pytest
from outcomes_support import make_match

from lib import spreadsheets

ROOT = Path(__file__).resolve().parents[2]
APPS = ["tsunagu", "web", "demo", "meetings", "matching", "proposals", "organizations",
        "notifications"]  # fmt: skip


@pytest.mark.parametrize(
    "text",
    ["=1+1", "＝1+1", "＋81", "－3", "−3", "＠SUM(A1)", "﹦1", "\t=1", "\r=1", "\n=1",
     " =1", "\u3000＝HYPERLINK(\"x\")", "-", "@"],
)  # fmt: skip
def test_formula_like_text_gets_a_leading_apostrophe(text):
    assert spreadsheets.is_formula_like(text)
    assert spreadsheets.safe_cell(text) == "'" + text


@pytest.mark.parametrize(
    "value",
    ["見守り活動", "「＝」の話", "e-mail", "2026-04-01", "", "   ", "'=1", -3, 2.5, None,
     dt.date(2026, 4, 1)],
)  # fmt: skip
def test_everything_else_is_left_as_it_is(value):
    assert not spreadsheets.is_formula_like(value)
    assert spreadsheets.safe_cell(value) == value


@pytest.mark.parametrize("prefix", ["＝", "＋", "－", "−", "＠", "\t", "\r", "\u3000="])
def test_progress_sheet_neutralises_full_width_formulas(client, people, prefix):
    title = f'{prefix}HYPERLINK("http://evil.example/","x")'
    make_match(people, title=title, completed_on=dt.date(2026, 6, 30))
    client.force_login(people["coordinator"])
    body = client.get("/coord/kpi/progress-sheet.csv", {"fy": 2026}).content
    cells = [
        cell
        for row in csv.reader(io.StringIO(body.decode("utf-8-sig")))
        for cell in row
        if "HYPERLINK" in cell
    ]
    assert cells == ["'" + title]
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
    # (XLSX keeps line breaks as LF)
    expected = [(title.replace("\r", "\n"), "s", True)]
    assert [(c.value, c.data_type, c.quotePrefix) for c in found] == expected


def test_every_module_that_writes_a_spreadsheet_uses_the_one_rule():
    """A module of the apps that writes CSV (``csv.writer``) or XLSX (``openpyxl``) must
    import ``lib.spreadsheets``."""
    writers = []
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            source = path.read_text(encoding="utf-8")
            if (
                "csv.writer" not in source
                and "csv.DictWriter" not in source
                and ("openpyxl" not in source)
            ):
                continue
            imported = {
                node.module
                for node in ast.walk(ast.parse(source))
                if isinstance(node, ast.ImportFrom) and node.module
            }
            writers.append((path.relative_to(ROOT).as_posix(), "lib.spreadsheets" in imported))
    assert writers, "no export found: the search is broken"
    assert [path for path, uses in writers if not uses] == []
