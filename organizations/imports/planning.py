"""Deciding what each checked row of a registry would do: find the organization it
updates (by 登録番号, or by 団体名 and 種別), check it against the model, and name its
action (create / update / unchanged).

In batches, never a query per row: the organizations a file names are read in a few
``IN`` queries, their fields and areas in one query per relation. The preview runs it
once after reading the file, and the import runs it again on the stored preview (the
registry may have changed since), without reading the file."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from organizations.imports.report import ImportReport, RowError, RowResult
from organizations.imports.vocabulary import COLUMNS
from organizations.models import Organization

BATCH = 1000


@dataclass
class Candidate:
    """A row whose cells were read and checked: its model values and m2m ids."""

    line: int
    values: dict[str, Any]
    relations: dict[str, set[int]]
    external_id: str = ""
    # A row with errors already: only the model check runs, to list its other problems.
    failed: bool = False
    flagged: set[str] = field(default_factory=set)  # columns with an error already


def _chunks(items: Sequence[Any], size: int = BATCH) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class _Existing:
    """The organizations the rows may update (as dicts of the columns the file sets, not
    model instances: 20,000 of them are read in a preview), and their fields and areas."""

    def __init__(self, source: str, candidates: Sequence[Candidate]) -> None:
        keys = {key for c in candidates for key in c.values}
        columns = sorted({"pk", "name", "kind", "external_id"} | keys)
        ids = sorted({c.external_id for c in candidates if c.external_id and not c.failed})
        names = sorted(
            {
                c.values["name"]
                for c in candidates
                if not (c.external_id or c.failed) and c.values.get("name") and c.values.get("kind")
            }
        )
        self.by_id: dict[str, dict[str, Any]] = {}
        for chunk in _chunks(ids):
            rows = Organization.objects.filter(source=source, external_id__in=chunk)
            for org in rows.values(*columns):
                self.by_id[org["external_id"]] = org
        self.by_name: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for chunk in _chunks(names):
            rows = Organization.objects.filter(name__in=chunk).order_by("pk")
            for org in rows.values(*columns):
                self.by_name.setdefault((org["name"], org["kind"]), []).append(org)
        self.relations: dict[str, dict[int, set[int]]] = {}

    def load_relations(self, names: Iterable[str], pks: Sequence[int]) -> None:
        for name in names:
            through = getattr(Organization, name).through
            source_column = getattr(Organization, name).field.m2m_column_name()
            target_column = getattr(Organization, name).field.m2m_reverse_name()
            found: dict[int, set[int]] = {}
            for chunk in _chunks(pks):
                rows = through.objects.filter(**{f"{source_column}__in": chunk}).values_list(
                    source_column, target_column
                )
                for org_id, target_id in rows:
                    found.setdefault(org_id, set()).add(target_id)
            self.relations[name] = found


def plan(report: ImportReport, candidates: Sequence[Candidate]) -> None:
    """Turn checked rows into ``report.rows`` (with their action) or ``report.errors``."""
    existing = _Existing(report.source, candidates)
    check = _ModelCheck(report)
    results: list[tuple[Candidate, dict[str, Any] | None, str]] = []
    for c in candidates:
        if c.failed:
            check.errors(c)
            continue
        found, matched_by = _find(report, existing, c)
        if found is False:
            continue  # ambiguous: an error is recorded
        if check.errors(c):
            continue
        results.append((c, found, matched_by))
    relation_names = {name for c, _org, _by in results for name in c.relations}
    pks = [org["pk"] for _c, org, _by in results if org is not None]
    existing.load_relations(relation_names, pks)
    for c, org, matched_by in results:
        if org is None:
            action, matched_by = "create", ""
        else:
            same = all(org[name] == value for name, value in c.values.items()) and all(
                existing.relations[name].get(org["pk"], set()) == ids
                for name, ids in c.relations.items()
            )
            action = "unchanged" if same else "update"
        report.rows.append(
            RowResult(
                line=c.line,
                name=c.values["name"],
                action=action,
                matched_by=matched_by,
                organization_id=org["pk"] if org else None,
                values=c.values,
                relations=c.relations,
                external_id=c.external_id,
            )
        )


def _find(
    report: ImportReport, existing: _Existing, c: Candidate
) -> tuple[dict[str, Any] | bool | None, str]:
    """The organization the row updates (None: a new one; False: cannot tell)."""
    if c.external_id:
        return existing.by_id.get(c.external_id), "id"
    name, kind = c.values.get("name"), c.values.get("kind")
    if not (name and kind) or c.flagged & {"name", "kind"}:
        return None, "name_kind"
    candidates = existing.by_name.get((name, kind), [])
    if len(candidates) > 1:
        report.errors.append(
            RowError(
                c.line,
                report.columns["name"],
                _(
                    "団体名・種別が同じ団体がすでに複数登録されているため、"
                    "どれを更新するか決められません（登録番号の列を使ってください）"
                ),
                "name",
            )
        )
        return False, "name_kind"
    return (candidates[0] if candidates else None), "name_kind"


# Left out of the model check: the m2m fields (checked as ids), and the fields whose model
# check the row checker already ran (validation.py: format and length, with the cell).
_NOT_RECHECKED = frozenset({"fields", "areas", "resources", "website", "contact_email"})


class _ModelCheck:
    """The model's field checks (lengths, choices, formats) and ``clean()`` on a row's
    values, on one scratch instance (building an instance per row was a third of the
    preview). The values are checked on their own, not merged with an organization they
    update: the row checker always sets 種別 and clears NPO法人区分 for other kinds, so
    ``clean()``'s rule between the two is decided by the row."""

    def __init__(self, report: ImportReport) -> None:
        self.report = report
        self.scratch = Organization(source=report.source, is_verified=True)
        self.defaults = {f.name: getattr(self.scratch, f.name) for f in Organization._meta.fields}
        self.excluded: dict[frozenset[str], list[str]] = {}

    def _exclude(self, values: dict[str, Any]) -> list[str]:
        keys = frozenset(values)
        if keys not in self.excluded:
            self.excluded[keys] = [
                name for name in self.defaults if name not in keys or name in _NOT_RECHECKED
            ] + sorted(_NOT_RECHECKED)
        return self.excluded[keys]

    def errors(self, c: Candidate) -> bool:
        """True if the row fails; its errors are recorded for the columns not already
        flagged."""
        target = self.scratch
        target.external_id = c.external_id
        for name, value in c.values.items():
            setattr(target, name, value)
        errors: dict[str, list[str]] = {}
        try:
            target.clean_fields(exclude=self._exclude(c.values))
        except ValidationError as exc:
            errors.update(exc.message_dict)
        try:
            target.clean()
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                errors.setdefault(name, []).extend(messages)
        finally:
            for name in c.values:
                setattr(target, name, self.defaults[name])
        for name, messages in errors.items():
            key = name if name in COLUMNS else ""
            if key in c.flagged:
                continue
            column = self.report.columns.get(key, COLUMNS[key][0] if key else "")
            for message in messages:
                prefix = f"{column}: " if column else ""
                self.report.errors.append(RowError(c.line, column, f"{prefix}{message}", key))
        return bool(errors)
