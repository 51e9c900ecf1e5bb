"""Reading a registry file: decoding its bytes (UTF-8, UTF-16, Shift_JIS), splitting it
into rows (comma or tab) and mapping its header (line 1) to our columns."""

from __future__ import annotations

import csv
import io

from django.utils.translation import gettext as _

from organizations.imports.report import ImportReport, RowError
from organizations.imports.vocabulary import _HEADER_KEYS, _norm


def decode(raw: bytes) -> tuple[str, str]:
    """Decode a CSV file's bytes: UTF-8 (BOM or not), UTF-16 (BOM), else cp932.

    Returns ``(text, encoding)``; raises ``UnicodeDecodeError`` if none fits.
    """
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8"), "utf-8-sig"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16"), "utf-16"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return raw.decode("cp932"), "cp932"


def _read_rows(text: str, report: ImportReport) -> list[list[str]]:
    first_line = text.split("\n", 1)[0]
    if "\t" in first_line and "," not in first_line:
        report.delimiter = "\t"
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=report.delimiter))


def _header(row: list[str], report: ImportReport) -> dict[int, str]:
    """Column index → key. Records header errors (line 1)."""
    positions: dict[int, str] = {}
    for index, cell in enumerate(row):
        label = cell.strip()
        if not label:
            continue
        key = _HEADER_KEYS.get(_norm(label))
        if key is None:
            report.ignored_columns.append(label)
            continue
        if key in report.columns:
            report.errors.append(
                RowError(
                    1,
                    label,
                    _("列「%(label)s」は列「%(other)s」と同じ項目です。どちらか一方にしてください")
                    % {"label": label, "other": report.columns[key]},
                    key,
                )
            )
            continue
        report.columns[key] = label
        positions[index] = key
    if "name" not in report.columns:
        report.errors.append(
            RowError(
                1,
                "",
                _("1行目（見出し）に「団体名」の列がありません。見出し: %(found)s")
                % {"found": "、".join(c.strip() for c in row if c.strip()) or _("なし")},
                "name",
            )
        )
    return positions
