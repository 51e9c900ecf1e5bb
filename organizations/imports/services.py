"""Import a city's group registry (団体一覧) from a CSV file exported from a spreadsheet.

A plain service, used by ``manage.py import_organizations`` and reusable by a web page:
:func:`import_organizations` parses, validates every row and (unless ``dry_run``) imports,
and returns an :class:`ImportReport` (rows that are fine, rows with errors: line, column,
message). It never prints. The format is described in ``docs/import-format.md``.
The file is read in ``reading``, each row's cells are checked in ``validation`` (against
the words of ``vocabulary`` and ``dates``), ``planning`` finds what each row would update
(in batches), ``writing`` writes it, and the findings go into a ``report``. A preview kept
for later (``apply_report``) is imported without reading the file again; the coordinators'
page keeps it in ``uploads`` and runs large files in the background.

- Encodings: UTF-8 (with or without BOM), UTF-16 with BOM, Shift_JIS/cp932 — detected.
- Line numbers are those a spreadsheet user sees: the header is line 1.
- All or nothing by default: one bad row and nothing is imported. ``skip_invalid`` imports
  the good rows and reports the bad ones.
- Idempotent: with an ID column (登録番号 / ID), rows are matched on (source, external_id);
  without one, on the exact (団体名, 種別) of an existing organization.
- Columns absent from the file are left untouched on update; a blank cell in a present
  column clears the value.
"""

from __future__ import annotations

import contextlib
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from auditlog.context import set_actor
from django.db import transaction
from django.utils.translation import gettext as _

from organizations.imports.planning import Candidate, plan
from organizations.imports.reading import _header, _read_rows, decode
from organizations.imports.report import ImportReport, RowError
from organizations.imports.validation import _Lookups, _RowChecker
from organizations.imports.writing import search_texts, write_rows
from organizations.models import Area


def default_source(filename: str | Path) -> str:
    """``csv:<file name without extension>``."""
    return f"csv:{Path(filename).stem}"


# --- Parsing the file -------------------------------------------------------------------
Progress = Callable[[int, int], None]


def _quiet(done: int, total: int) -> None:
    pass


def parse_organizations(
    raw: bytes | str,
    *,
    source: str,
    city: Area | None = None,
    default_kind: str = "",
    progress: Progress = _quiet,
    every: int = 1000,
) -> ImportReport:
    """Parse and validate a registry CSV against the database; write nothing.

    The report's ``rows`` say what each good row would do (create/update/unchanged) and its
    ``errors`` list every problem with its line and column. ``progress(rows read, rows)``
    is called every ``every`` rows (a background preview shows it).
    """
    report = ImportReport(source=source)
    rows = read_rows(raw, report)
    if rows is None:
        return report
    positions = _header(rows[0], report)
    if report.file_errors:
        return report

    lookups = _Lookups(city)
    checker = _RowChecker(report, lookups, default_kind)
    seen_ids: dict[str, int] = {}
    seen_names: dict[tuple[str, str], int] = {}
    width = len(rows[0])
    candidates: list[Candidate] = []
    total = len(rows) - 1

    for line, row in enumerate(rows[1:], start=2):
        if line % every == 0:
            progress(line - 1, total)
        if not any(cell.strip() for cell in row):
            continue  # blank rows at the end of a sheet
        errors_before = len(report.errors)
        extra = [cell for cell in row[width:] if cell.strip()]
        if extra:
            report.errors.append(
                RowError(
                    line,
                    "",
                    _("見出しより列が多くなっています（%(extra)s）") % {"extra": "、".join(extra)},
                )
            )
        cells = {
            key: unicodedata.normalize("NFC", row[index]).strip()
            for index, key in positions.items()
            if index < len(row)
        }
        values, relations = checker.row(line, cells)

        external_id = cells.get("external_id", "")
        if external_id:
            if external_id in seen_ids:
                checker.error(
                    line,
                    "external_id",
                    _("%(column)s「%(value)s」が%(first)d行目と重複しています")
                    % {
                        "column": checker.label("external_id"),
                        "value": external_id,
                        "first": seen_ids[external_id],
                    },
                )
            else:
                seen_ids[external_id] = line
        elif values.get("name") and values.get("kind"):
            name_key = (values["name"], values["kind"])
            if name_key in seen_names:
                checker.error(
                    line,
                    "name",
                    _("団体名・種別が%(first)d行目と同じです（同じ団体が二度書かれていませんか）")
                    % {"first": seen_names[name_key]},
                )
            else:
                seen_names[name_key] = line

        flagged = {e.key for e in report.errors[errors_before:]}
        failed = len(report.errors) > errors_before
        candidates.append(Candidate(line, values, relations, external_id, failed, flagged))
    plan(report, candidates)
    report.rows.sort(key=lambda r: r.line)
    report.errors.sort(key=lambda e: e.line)  # stable: a row's own order is kept
    progress(total, total)
    return report


def read_rows(raw: bytes | str, report: ImportReport) -> list[list[str]] | None:
    """The file's rows (the header first), or None with the reason in ``report``."""
    if isinstance(raw, bytes):
        try:
            text, report.encoding = decode(raw)
        except UnicodeDecodeError:
            report.errors.append(
                RowError(
                    1,
                    "",
                    _("文字コードが分かりません。UTF-8 または Shift_JIS で保存してください"),
                )
            )
            return None
    else:
        text, report.encoding = raw.removeprefix("\ufeff"), "text"
    rows = _read_rows(text, report)
    if not rows or not any(cell.strip() for cell in rows[0]):
        report.errors.append(RowError(1, "", _("1行目に見出しがありません（空のファイルです）")))
        return None
    return rows


# --- Importing --------------------------------------------------------------------------


def import_organizations(
    raw: bytes | str,
    *,
    source: str,
    dry_run: bool = False,
    skip_invalid: bool = False,
    city: Area | None = None,
    default_kind: str = "",
) -> ImportReport:
    """Validate every row, then import in one transaction (unless ``dry_run``).

    Nothing is written if any row has an error, unless ``skip_invalid`` (then the good rows
    are imported and the bad ones reported). Errors in the header or the encoding always
    stop the import.
    """
    report = parse_organizations(raw, source=source, city=city, default_kind=default_kind)
    report.dry_run, report.skip_invalid = dry_run, skip_invalid
    if dry_run:
        return report
    return apply_report(report, skip_invalid=skip_invalid)


def apply_report(
    report: ImportReport,
    *,
    skip_invalid: bool | None = None,
    actor: Any = None,
    progress: Progress = _quiet,
    texts: dict[int, str] | None = None,
) -> ImportReport:
    """Import a previewed report without reading its file again, in one transaction.

    The rows are planned again first (the registry may have changed since the preview:
    an organization created or renamed meanwhile is then updated, not duplicated); a
    row that has become an error stops the import like any other, unless
    ``skip_invalid``. ``texts``: the search texts made beforehand (``search_texts``,
    outside any transaction so that its progress can be seen); made here otherwise.
    Returns the report as imported (``imported`` set when written)."""
    if skip_invalid is None:
        skip_invalid = report.skip_invalid
    fresh = ImportReport(
        source=report.source,
        encoding=report.encoding,
        delimiter=report.delimiter,
        columns=dict(report.columns),
        ignored_columns=list(report.ignored_columns),
        errors=list(report.errors),
        skip_invalid=skip_invalid,
    )
    if fresh.file_errors or (fresh.errors and not skip_invalid):
        return fresh
    candidates = [
        Candidate(row.line, row.values, row.relations, row.external_id) for row in report.rows
    ]
    # The slow part first, before the transaction (it reads nothing from the database):
    # the Japanese search text of each organization to write.
    if texts is None:
        texts = search_texts(report.rows, progress=progress)
    with transaction.atomic():
        plan(fresh, candidates)
        fresh.rows.sort(key=lambda r: r.line)
        fresh.errors.sort(key=lambda e: e.line)
        if fresh.errors and not skip_invalid:
            return fresh
        with _as_actor(actor):
            write_rows(fresh.rows, fresh.source, texts=texts, actor=actor)
    fresh.imported = True
    return fresh


@contextlib.contextmanager
def _as_actor(actor: Any) -> Iterator[None]:
    """The audit trail's actor for the updates (a background task has no request)."""
    if not getattr(actor, "is_authenticated", False):
        yield
        return
    with set_actor(actor):
        yield
