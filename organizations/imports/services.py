"""Import a city's group registry (団体一覧) from a CSV file exported from a spreadsheet.

A plain service, used by ``manage.py import_organizations`` and reusable by a web page:
:func:`import_organizations` parses, validates every row and (unless ``dry_run``) imports,
and returns an :class:`ImportReport` (rows that are fine, rows with errors: line, column,
message). It never prints. The format is described in ``docs/import-format.md``.
The file is read in ``reading``, each row's cells are checked in ``validation`` (against
the words of ``vocabulary`` and ``dates``), and the findings go into a ``report``.

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

import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from organizations.imports.reading import _header, _read_rows, decode
from organizations.imports.report import ImportReport, RowError, RowResult
from organizations.imports.validation import _Lookups, _RowChecker
from organizations.imports.vocabulary import COLUMNS
from organizations.models import Area, Organization


def default_source(filename: str | Path) -> str:
    """``csv:<file name without extension>``."""
    return f"csv:{Path(filename).stem}"


# --- Parsing the file -------------------------------------------------------------------


def parse_organizations(
    raw: bytes | str,
    *,
    source: str,
    city: Area | None = None,
    default_kind: str = "",
) -> ImportReport:
    """Parse and validate a registry CSV against the database; write nothing.

    The report's ``rows`` say what each good row would do (create/update/unchanged) and its
    ``errors`` list every problem with its line and column.
    """
    report = ImportReport(source=source)
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
            return report
    else:
        text, report.encoding = raw.removeprefix("\ufeff"), "text"

    rows = _read_rows(text, report)
    if not rows or not any(cell.strip() for cell in rows[0]):
        report.errors.append(RowError(1, "", _("1行目に見出しがありません（空のファイルです）")))
        return report
    positions = _header(rows[0], report)
    if report.file_errors:
        return report

    lookups = _Lookups(city)
    checker = _RowChecker(report, lookups, default_kind)
    seen_ids: dict[str, int] = {}
    seen_names: dict[tuple[str, str], int] = {}
    width = len(rows[0])

    for line, row in enumerate(rows[1:], start=2):
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
        result = _plan(line, values, relations, external_id, report, flagged)
        if result is not None and len(report.errors) == errors_before:
            report.rows.append(result)
    return report


def _plan(
    line: int,
    values: dict[str, Any],
    relations: dict[str, set[int]],
    external_id: str,
    report: ImportReport,
    flagged: set[str],
) -> RowResult | None:
    """Find the existing organization (if any), check the model, decide the action.

    Model validation errors are recorded for the columns not already ``flagged``.
    """
    existing: Organization | None = None
    matched_by = "id"
    if external_id:
        existing = Organization.objects.filter(
            source=report.source, external_id=external_id
        ).first()
    elif values.get("name") and values.get("kind") and not flagged & {"name", "kind"}:
        matched_by = "name_kind"
        candidates = list(Organization.objects.filter(name=values["name"], kind=values["kind"])[:2])
        if len(candidates) > 1:
            report.errors.append(
                RowError(
                    line,
                    report.columns["name"],
                    _(
                        "団体名・種別が同じ団体がすでに複数登録されているため、"
                        "どれを更新するか決められません（登録番号の列を使ってください）"
                    ),
                    "name",
                )
            )
            return None
        existing = candidates[0] if candidates else None

    # A registry the city keeps is its own record of the groups: they count as verified.
    org = existing or Organization(source=report.source, external_id=external_id, is_verified=True)
    before = {name: getattr(org, name) for name in values} if existing else {}
    for name, value in values.items():
        setattr(org, name, value)
    try:
        org.full_clean(exclude=["fields", "areas", "resources"], validate_constraints=False)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            key = name if name in COLUMNS else ""
            if key in flagged:
                continue
            column = report.columns.get(key, COLUMNS[key][0] if key else "")
            for message in messages:
                prefix = f"{column}: " if column else ""
                report.errors.append(RowError(line, column, f"{prefix}{message}", key))
        return None
    finally:
        for name, value in before.items():  # leave the instance as it was
            setattr(org, name, value)

    if existing is None:
        action, matched_by = "create", ""
    else:
        same = all(before[name] == value for name, value in values.items()) and all(
            set(getattr(existing, name).values_list("pk", flat=True)) == pks
            for name, pks in relations.items()
        )
        action = "unchanged" if same else "update"
    return RowResult(
        line=line,
        name=values["name"],
        action=action,
        matched_by=matched_by,
        organization_id=existing.pk if existing else None,
        values=values,
        relations=relations,
        external_id=external_id,
    )


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
    if dry_run or report.file_errors or (report.errors and not skip_invalid):
        return report
    with transaction.atomic():
        _apply(report.rows, report.source)
    report.imported = True
    return report


def _apply(rows: Iterable[RowResult], source: str) -> None:
    for row in rows:
        if row.action == "unchanged":
            continue
        if row.organization_id is None:
            org = Organization(
                source=source, external_id=row.external_id, is_verified=True, **row.values
            )
        else:
            org = Organization.objects.get(pk=row.organization_id)
            for name, value in row.values.items():
                setattr(org, name, value)
        org.full_clean(exclude=["fields", "areas", "resources"])
        org.save()
        for name, pks in row.relations.items():
            getattr(org, name).set(pks)
        row.organization_id = org.pk
