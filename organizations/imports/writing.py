"""Writing a planned registry to the database, in batches, inside the caller's transaction.

- **New organizations** are inserted with ``bulk_create``, with their search text, their
  fields and areas (through rows) and one audit entry each. A new organization has no
  posts or matches, so no other receiver of ``post_save`` has work to do for it.
- **Updated organizations** whose 種別 changes go through ``save()`` one by one: the change
  of kind must reach its receivers (posts the new kind may not publish are closed, the
  members told), as on every other path.
- **Other updated organizations** are written with one ``UPDATE`` each, their fields and
  areas by difference in batches, an audit entry each with the old and new values
  (contacts masked), and ``post_save`` is sent for each so that its listeners (the
  matching index) learn of it.

The search text (``lib.japanese.search_document``, what ``Organization.save()`` would
compute) is the slow part: ``search_texts`` makes it before the transaction, with progress.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from auditlog.cid import get_cid
from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.contrib.contenttypes.models import ContentType
from django.db import router
from django.db.models.signals import post_save
from django.utils import timezone

from lib.japanese import search_document
from organizations.imports.report import RowResult
from organizations.models import Organization
from organizations.privacy import mask_all

BATCH = 1000
Progress = Callable[[int, int], None]
_TEXT_FIELDS = ("name", "name_kana", "description")


def _quiet(done: int, total: int) -> None:
    pass


def search_texts(
    rows: Iterable[RowResult], *, progress: Progress = _quiet, every: int = 500
) -> dict[int, str]:
    """Line → the search text of the organization the row writes (rows that create or
    update; an update that does not name all three text columns is left out: its text
    is made on save from the stored values)."""
    todo = [
        row
        for row in rows
        if row.action in ("create", "update") and all(k in row.values for k in _TEXT_FIELDS)
    ]
    texts: dict[int, str] = {}
    for done, row in enumerate(todo, 1):
        texts[row.line] = search_document(*(row.values[k] for k in _TEXT_FIELDS))
        if done % every == 0:
            progress(done, len(todo))
    progress(len(todo), len(todo))
    return texts


def write_rows(
    rows: Sequence[RowResult],
    source: str,
    *,
    texts: dict[int, str] | None = None,
    actor: Any = None,
) -> None:
    """Create and update the organizations of ``rows`` (``unchanged`` ones are skipped);
    each row's ``organization_id`` is set to the organization written. ``texts``: search
    texts made beforehand (``search_texts``); missing ones are made here."""
    texts = texts if texts is not None else {}
    audit = _Audit(actor)
    creating = [row for row in rows if row.action == "create"]
    if creating:
        _create(creating, source, texts, audit)
    updating = [row for row in rows if row.action == "update"]
    if updating:
        _update(updating, texts, audit)
    audit.write()


def _text(row: RowResult, org: Organization, texts: dict[int, str]) -> str:
    if row.line in texts:
        return texts[row.line]
    return search_document(org.name, org.name_kana, org.description)


def _create(rows: Sequence[RowResult], source: str, texts: dict[int, str], audit: _Audit) -> None:
    new: list[Organization] = []
    for row in rows:
        org = Organization(source=source, external_id=row.external_id, is_verified=True)
        for name, value in row.values.items():
            setattr(org, name, value)
        org.search_text = _text(row, org, texts)  # what save() does; bulk_create does not
        new.append(org)
    Organization.objects.bulk_create(new, batch_size=BATCH)
    for row, org in zip(rows, new, strict=True):
        row.organization_id = org.pk
        audit.created(org)
    _set_relations(rows, current={})


def _update(rows: Sequence[RowResult], texts: dict[int, str], audit: _Audit) -> None:
    orgs = Organization.objects.in_bulk([row.organization_id for row in rows])
    current = _current_relations(rows)
    plain: list[RowResult] = []
    for row in rows:
        org = orgs[row.organization_id]
        if "kind" in row.values and row.values["kind"] != org.kind:
            # A change of kind: through save(), for its receivers (closing posts, notices).
            for name, value in row.values.items():
                setattr(org, name, value)
            org.save()
            for name, pks in row.relations.items():
                getattr(org, name).set(pks)
        else:
            plain.append(row)
    now = timezone.now()
    using = router.db_for_write(Organization)
    for row in plain:
        org = orgs[row.organization_id]
        before = {name: getattr(org, name) for name in row.values}
        for name, value in row.values.items():
            setattr(org, name, value)
        org.search_text = _text(row, org, texts)
        org.updated_at = now
        # One UPDATE of the row's columns (bulk_update's CASE expressions cost more
        # to build than they save here).
        Organization.objects.filter(pk=org.pk).update(
            **row.values, search_text=org.search_text, updated_at=now
        )
        audit.updated(org, before)
        # What save() would announce (the matching index listens); no pre_save: the
        # kind did not change and the audit entry is written here.
        post_save.send(
            sender=Organization,
            instance=org,
            created=False,
            update_fields=frozenset({*row.values, "search_text", "updated_at"}),
            raw=False,
            using=using,
        )
    _set_relations(plain, current)


def _current_relations(rows: Sequence[RowResult]) -> dict[str, dict[int, set[int]]]:
    names = {name for row in rows for name in row.relations}
    pks = [row.organization_id for row in rows]
    current: dict[str, dict[int, set[int]]] = {}
    for name in names:
        descriptor = getattr(Organization, name)
        source_column = descriptor.field.m2m_column_name()
        target_column = descriptor.field.m2m_reverse_name()
        found: dict[int, set[int]] = {}
        for start in range(0, len(pks), BATCH):
            links = descriptor.through.objects.filter(
                **{f"{source_column}__in": pks[start : start + BATCH]}
            ).values_list(source_column, target_column)
            for org_id, target_id in links:
                found.setdefault(org_id, set()).add(target_id)
        current[name] = found
    return current


def _set_relations(rows: Sequence[RowResult], current: dict[str, dict[int, set[int]]]) -> None:
    """Each row's fields and areas become what the row says: through rows added and
    removed by difference, in batches."""
    names = {name for row in rows for name in row.relations}
    for name in sorted(names):
        descriptor = getattr(Organization, name)
        through = descriptor.through
        source_column = descriptor.field.m2m_column_name()
        target_column = descriptor.field.m2m_reverse_name()
        had = current.get(name, {})
        add, remove = [], []
        for row in rows:
            if name not in row.relations:
                continue
            old, new = had.get(row.organization_id, set()), row.relations[name]
            add += [(row.organization_id, pk) for pk in sorted(new - old)]
            remove += [(row.organization_id, pk) for pk in sorted(old - new)]
        for org_id in {org_id for org_id, _pk in remove}:
            gone = [pk for other, pk in remove if other == org_id]
            through.objects.filter(**{source_column: org_id, f"{target_column}__in": gone}).delete()
        through.objects.bulk_create(
            [through(**{source_column: org_id, target_column: pk}) for org_id, pk in add],
            batch_size=BATCH,
        )


# The audit entry of an imported organization: what the registry set, as
# django-auditlog's receiver would record it (contact details masked as everywhere); the
# long free text (the description) only as "changed".
_AUDITED = (
    "name", "name_kana", "kind", "npo_status", "website", "contact_name", "contact_email",
    "contact_phone", "address", "activity_checked_on", "is_verified", "source", "external_id",
)  # fmt: skip


class _Audit:
    """The import's audit entries (``LogEntry``, by ``actor``), written in batches:
    auditlog's own receivers would diff every field of every row one by one."""

    def __init__(self, actor: Any) -> None:
        self.enabled = auditlog.contains(Organization)
        self.masked = (
            set(auditlog.get_model_fields(Organization)["mask_fields"]) if self.enabled else set()
        )
        self.actor = actor if getattr(actor, "is_authenticated", False) else None
        self.entries: list[LogEntry] = []

    def _text(self, name: str, value: Any) -> str:
        if value is None:
            return "None"
        return mask_all(str(value)) if name in self.masked else str(value)

    def _entry(self, org: Organization, action: int, changes: dict[str, list[str]]) -> None:
        self.entries.append(
            LogEntry(
                object_pk=str(org.pk),
                object_id=org.pk,
                object_repr=str(org),
                action=action,
                changes=changes,
                actor=self.actor,
                actor_email=getattr(self.actor, "email", None),
                additional_data={"via": "registry-import"},
            )
        )

    def created(self, org: Organization) -> None:
        if not self.enabled:
            return
        changes = {
            name: ["None", self._text(name, getattr(org, name))]
            for name in _AUDITED
            if getattr(org, name) not in (None, "")
        }
        self._entry(org, LogEntry.Action.CREATE, changes)

    def updated(self, org: Organization, before: dict[str, Any]) -> None:
        if not self.enabled:
            return
        changes = {}
        for name, old in before.items():
            new = getattr(org, name)
            if old == new:
                continue
            if name in _AUDITED:
                changes[name] = [self._text(name, old), self._text(name, new)]
            else:
                changes[name] = ["…", "…"]  # long text: that it changed
        if changes:
            self._entry(org, LogEntry.Action.UPDATE, changes)

    def write(self) -> None:
        if not self.entries:
            return
        content_type = ContentType.objects.get_for_model(Organization)
        now, cid = timezone.now(), get_cid()
        for entry in self.entries:
            entry.content_type, entry.timestamp, entry.cid = content_type, now, cid
        LogEntry.objects.bulk_create(self.entries, batch_size=BATCH)
