"""What an import found and did: the good rows with their planned action
(create/update/unchanged) and the errors with line and column. Shared by the reading,
the checks and the service; a web page renders it."""

from __future__ import annotations

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
