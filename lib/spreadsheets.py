"""Cells of the CSV and XLSX files the platform exports, made safe to open in a
spreadsheet (CSV/formula injection).

A cell whose text a spreadsheet would run as a formula gets a leading apostrophe in CSV,
and in XLSX is a string cell with the quote prefix (the apostrophe's own form there), so
Excel and LibreOffice show it as plain text. That is text starting — after any spaces — with
``=``, ``+``, ``-`` or ``@``, their full-width forms (``＝ ＋ － ＠``, which Japanese
Excel reads as formulas too), other characters that fold into them (``﹦``, ``⁼``, the
minus sign ``−``…), or a tab, carriage return or line feed. Numbers are left as they are
(``-3`` stays a number). Every export calls ``safe_cell`` (CSV) or ``xlsx_cell`` (XLSX):
one rule, one place.
"""

from __future__ import annotations

import unicodedata
from typing import Any

# Compared after NFKC, which folds ＝ ＋ － ＠ and the small and superscript forms into
# ASCII; the minus signs NFKC keeps are listed as they are.
FORMULA_STARTS = frozenset("=+-@\t\r\n") | frozenset("\u2212\u2012\u2013\u2014\ufe63\uff0d")
# One example of each way a cell can start a formula (the tests write every one).
FORMULA_PREFIXES = (
    "=", "+", "-", "@", "\t", "\r", "\n",
    "＝", "＋", "－", "＠", "\u2212", "﹦", " =", "\u3000＝",
)  # fmt: skip
# Spaces a spreadsheet may skip before reading a formula (ASCII, ideographic, no-break).
_LEADING_SPACE = " \u3000\u00a0"


def is_formula_like(value: Any) -> bool:
    """True for text a spreadsheet could take for a formula (see the module's rule)."""
    if not isinstance(value, str) or not value:
        return False
    if value[0] in "\t\r\n":
        return True
    text = value.lstrip(_LEADING_SPACE)
    if not text:
        return False
    first = unicodedata.normalize("NFKC", text[0])[:1]
    return first in FORMULA_STARTS or text[0] in FORMULA_STARTS


def safe_cell(value: Any) -> Any:
    """The value to write in a CSV cell: formula-like text with a leading apostrophe,
    anything else (numbers, dates, None) unchanged."""
    return "'" + value if is_formula_like(value) else value


def xlsx_cell(cell: Any, value: Any) -> None:
    """Write ``value`` into an openpyxl ``cell``. Formula-like text is stored as a string
    with the cell's quote prefix set — the XLSX form of the leading apostrophe: shown as
    written, and still text when someone edits the cell and presses Enter."""
    cell.value = value
    if is_formula_like(value):
        cell.data_type = "s"
        cell.quotePrefix = True
