"""What an import found and did: the good rows with their planned action
(create/update/unchanged) and the errors with line and column. Shared by the reading,
the checks and the service; a web page renders it, and a stored preview keeps it as
JSON (``report_to_json``) so that the import does not read the file again."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _


@dataclass
class RowError:
    line: int  # as a spreadsheet shows it: the header is line 1
    column: str  # the column's header as written in the file ("" for the whole row/file)
    message: str  # Japanese
    key: str = ""  # canonical column key (name, kind, …) for a UI to highlight

    def __str__(self) -> str:
        return _("%(line)d行目: %(message)s") % {"line": self.line, "message": self.message}


@dataclass
class RowResult:
    line: int
    name: str
    action: str  # "create" / "update" / "unchanged"
    matched_by: str  # "id" / "name_kind" / "" (new)
    organization_id: int | None = None  # set for update/unchanged, and after import
    values: dict[str, Any] = field(default_factory=dict, repr=False)
    relations: dict[str, set[int]] = field(default_factory=dict, repr=False)
    external_id: str = ""


@dataclass
class ImportReport:
    source: str
    encoding: str = ""
    delimiter: str = ","
    columns: dict[str, str] = field(default_factory=dict)  # key → header as written
    ignored_columns: list[str] = field(default_factory=list)
    rows: list[RowResult] = field(default_factory=list)  # rows without errors
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False
    skip_invalid: bool = False
    imported: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def has_ids(self) -> bool:
        return "external_id" in self.columns

    @property
    def bad_lines(self) -> list[int]:
        return sorted({e.line for e in self.errors})

    @property
    def file_errors(self) -> list[RowError]:
        """Errors that concern the whole file (encoding, header): nothing can be imported."""
        return [e for e in self.errors if e.line <= 1]

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)

    @property
    def created(self) -> int:
        return self.count("create")

    @property
    def updated(self) -> int:
        return self.count("update")

    @property
    def unchanged(self) -> int:
        return self.count("unchanged")


# --- Keeping a preview: the report as JSON (uploads.py stores it compressed) -------------
def _plain(value: Any) -> Any:
    if isinstance(value, dt.date):
        return {"date": value.isoformat()}
    return value


def _typed(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"date"}:
        return dt.date.fromisoformat(value["date"])
    return value


def report_to_json(report: ImportReport) -> bytes:
    """The report as compact JSON (dates kept as dates, m2m sets as sorted lists)."""
    data = {
        "source": report.source,
        "encoding": report.encoding,
        "delimiter": report.delimiter,
        "columns": report.columns,
        "ignored_columns": report.ignored_columns,
        "skip_invalid": report.skip_invalid,
        "rows": [
            [
                row.line,
                row.name,
                row.action,
                row.matched_by,
                row.organization_id,
                {k: _plain(v) for k, v in row.values.items()},
                {k: sorted(v) for k, v in row.relations.items()},
                row.external_id,
            ]
            for row in report.rows
        ],
        "errors": [[e.line, e.column, str(e.message), e.key] for e in report.errors],
    }
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def report_from_json(raw: bytes) -> ImportReport:
    data = json.loads(raw)
    report = ImportReport(
        source=data["source"],
        encoding=data["encoding"],
        delimiter=data["delimiter"],
        columns=data["columns"],
        ignored_columns=data["ignored_columns"],
        skip_invalid=data["skip_invalid"],
    )
    report.rows = [
        RowResult(
            line=line,
            name=name,
            action=action,
            matched_by=matched_by,
            organization_id=organization_id,
            values={k: _typed(v) for k, v in values.items()},
            relations={k: set(v) for k, v in relations.items()},
            external_id=external_id,
        )
        for line, name, action, matched_by, organization_id, values, relations, external_id in data[
            "rows"
        ]
    ]
    report.errors = [RowError(*error) for error in data["errors"]]
    return report
