"""The coordinators' registry imports, from upload to import (``RegistryImport``).

1. ``start(user, file_name, raw)``: the file is stored and previewed once — in the
   request when it has at most ``TSUNAGU_IMPORT_BACKGROUND_ROWS`` rows, otherwise by a
   worker (``preview`` as the task ``organizations.preview_registry``), which writes its
   progress on the row for the page to show.
2. ``confirm(user, token, skip_invalid)``: the stored preview is imported without
   reading the file again (``services.apply_report``, all or nothing unless the
   coordinator chose to skip the rows with errors) — in the request or by a worker
   (``organizations.import_registry``), as for the preview.
3. ``cancel``; ``sweep`` (beat, every minute) sends again the work whose message was lost
   and deletes expired uploads.

Each task is idempotent: a preview is made again from the file, and an import that
committed is marked ``imported`` in its own transaction, so a second run does nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import zlib
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from lib.errors import Conflict, NotFound
from lib.tasks import task
from organizations.imports import services
from organizations.imports.models import RegistryImport
from organizations.imports.report import ImportReport, report_from_json, report_to_json
from organizations.imports.writing import search_texts

log = logging.getLogger(__name__)
Status = RegistryImport.Status

# A task that has not written its progress for this long is taken for dead and its work
# is sent again: a preview writes it every 1,000 rows (well under a second each); an
# import writes it while it makes the search texts, then not during its one transaction
# (seconds for 20,000 new organizations, minutes for as many changed ones).
STALLED_AFTER = {"previewing": dt.timedelta(minutes=5), "importing": dt.timedelta(minutes=30)}
# Queued work waits this long for its message before the sweeper sends it again.
RESEND_AFTER = dt.timedelta(minutes=2)


def background_rows() -> int:
    return int(getattr(settings, "TSUNAGU_IMPORT_BACKGROUND_ROWS", 2000))


def _expiry() -> dt.datetime:
    hours = int(getattr(settings, "TSUNAGU_IMPORT_PREVIEW_HOURS", 24))
    return timezone.now() + dt.timedelta(hours=hours)


def count_rows(raw: bytes) -> int | None:
    """The rows under the header (blank ones included), or None if unreadable."""
    report = ImportReport(source="")
    rows = services.read_rows(raw, report)
    return None if rows is None else len(rows) - 1


# --- The stored report ------------------------------------------------------------------
def stored_report(upload: RegistryImport) -> ImportReport | None:
    if not upload.report:
        return None
    return report_from_json(zlib.decompress(bytes(upload.report)))


def _store(upload: RegistryImport, report: ImportReport) -> None:
    upload.report = zlib.compress(report_to_json(report), 6)
    upload.summary = {
        "create": report.created,
        "update": report.updated,
        "unchanged": report.unchanged,
        "bad_lines": len(report.bad_lines),
        "errors": len(report.errors),
        "file_errors": len(report.file_errors),
    }


# --- 1. Upload and preview --------------------------------------------------------------
def start(user: Any, file_name: str, raw: bytes) -> RegistryImport:
    """Store an uploaded file and preview it: at once for a small file, by a worker for
    a large one (the returned row is then ``queued``)."""
    rows = count_rows(raw)
    upload = RegistryImport.objects.create(
        token=secrets.token_urlsafe(24),
        created_by=user,
        file_name=file_name[:255],
        source=services.default_source(file_name)[:100],
        raw=raw,
        rows_total=rows or 0,
        expires_at=_expiry(),
    )
    if rows is not None and rows > background_rows():
        transaction.on_commit(lambda: _send("organizations.preview_registry", upload.pk))
        return upload
    _inline(preview, upload.pk)
    upload.refresh_from_db()
    return upload


def _inline(step: Any, pk: int) -> None:
    """Run a step in the request: a failure is recorded on the row (``failed``, with the
    error in the log) and shown on the page, not a 500."""
    try:
        step(pk)
    except Exception:
        log.warning("registry import %s: %s failed in the request", pk, step.__name__)


def preview(pk: int) -> str:
    """Make the preview of a stored upload (the task; also run in the request for a
    small file). Idempotent: a preview already made, or an upload gone, is left alone."""
    with transaction.atomic():
        upload = RegistryImport.objects.select_for_update().filter(pk=pk).first()
        if upload is None or upload.status not in (Status.QUEUED, Status.PREVIEWING):
            return "done"
        upload.status, upload.rows_done = Status.PREVIEWING, 0
        upload.save(update_fields=["status", "rows_done", "updated_at"])
    raw = bytes(upload.raw or b"")

    def progress(done: int, total: int) -> None:
        RegistryImport.objects.filter(pk=pk, status=Status.PREVIEWING).update(
            rows_done=done, rows_total=total, updated_at=timezone.now()
        )

    try:
        report = services.parse_organizations(raw, source=upload.source, progress=progress)
    except Exception as exc:
        _fail(pk, exc)
        raise
    _store(upload, report)
    status = Status.READY if report.rows and not report.file_errors else Status.REFUSED
    # Only if still ours: cancelled meanwhile, or made by a duplicated task, it stays so.
    RegistryImport.objects.filter(pk=pk, status=Status.PREVIEWING).update(
        status=status,
        report=upload.report,
        summary=upload.summary,
        rows_done=F("rows_total"),
        raw=None,  # the preview is all the import needs
        updated_at=timezone.now(),
    )
    return status


# --- 2. Import --------------------------------------------------------------------------
def get_own(user: Any, token: str) -> RegistryImport:
    """The user's upload named by ``token`` (another coordinator's is not found)."""
    upload = RegistryImport.objects.filter(token=token, created_by=user).first()
    if upload is None or upload.expires_at <= timezone.now():
        raise NotFound(_("確認するファイルが見つかりません。もう一度アップロードしてください。"))
    return upload


def confirm(user: Any, token: str, *, skip_invalid: bool = False) -> RegistryImport:
    """Import the user's previewed upload: at once for a small file, by a worker for a
    large one (the returned row is then ``importing``)."""
    with transaction.atomic():
        upload = get_own(user, token)
        upload = RegistryImport.objects.select_for_update().get(pk=upload.pk)
        if upload.status != Status.READY:
            raise Conflict(
                _("このファイルは取り込めません（%(status)s）。")
                % {"status": upload.get_status_display()}
            )
        upload.status, upload.skip_invalid, upload.rows_done = Status.IMPORTING, skip_invalid, 0
        upload.save(update_fields=["status", "skip_invalid", "rows_done", "updated_at"])
    if upload.rows_total > background_rows():
        transaction.on_commit(lambda: _send("organizations.import_registry", upload.pk))
        return upload
    _inline(run_import, upload.pk)
    upload.refresh_from_db()
    return upload


def run_import(pk: int) -> str:
    """Import a confirmed upload's stored preview (the task; also run in the request for
    a small file). The search texts are made first, with progress the page can see; the
    writes and the status ``imported`` then commit together."""
    upload = RegistryImport.objects.filter(pk=pk, status=Status.IMPORTING).first()
    if upload is None:
        return "done"
    report = stored_report(upload)
    if report is None:
        _fail(pk, RuntimeError("the stored preview is missing"))
        return Status.FAILED

    def progress(done: int, total: int) -> None:
        RegistryImport.objects.filter(pk=pk, status=Status.IMPORTING).update(
            rows_done=done, rows_total=max(total, 1), updated_at=timezone.now()
        )

    try:
        texts = search_texts(report.rows, progress=progress)
        with transaction.atomic():
            # Taken again under lock: a duplicated task waits here, then finds it done.
            locked = RegistryImport.objects.select_for_update().filter(pk=pk).first()
            if locked is None or locked.status != Status.IMPORTING:
                return "done"
            result = services.apply_report(
                report, skip_invalid=locked.skip_invalid, actor=upload.created_by, texts=texts
            )
            if result.imported:
                locked.status = Status.IMPORTED
                locked.summary = {
                    "created": result.created,
                    "updated": result.updated,
                    "unchanged": result.unchanged,
                    "skipped_lines": result.bad_lines,
                }
                locked.report = None  # the contact details in it are no longer needed
            else:
                locked.status = Status.REFUSED
                _store(locked, result)
            locked.rows_done = locked.rows_total
            locked.save(update_fields=["status", "summary", "report", "rows_done", "updated_at"])
    except Exception as exc:
        _fail(pk, exc)
        raise
    return locked.status


def cancel(user: Any, token: str) -> None:
    """Forget an upload that is not being imported (its file and preview are cleared)."""
    try:
        upload = get_own(user, token)
    except NotFound:
        return
    RegistryImport.objects.filter(pk=upload.pk).exclude(
        status__in=(Status.IMPORTING, Status.IMPORTED)
    ).update(status=Status.CANCELLED, raw=None, report=None, updated_at=timezone.now())


# --- Sending, failing, sweeping ---------------------------------------------------------
def _send(name: str, pk: int) -> bool:
    """Hand the work to a worker. A broker that is down is logged, not raised: the row
    waits (``queued`` / ``importing``) and the sweeper sends it again."""
    try:
        task(name).apply_async(
            (pk,),
            retry=True,
            retry_policy={"max_retries": 1, "interval_start": 0, "interval_step": 0.2},
        )
    except Exception as exc:
        log.warning("registry import %s: could not send %s (%s); the sweeper will", pk, name, exc)
        return False
    return True


def _fail(pk: int, exc: BaseException) -> None:
    log.exception("registry import %s failed", pk)
    # Never over a finished one (a duplicated task that failed while the other succeeded).
    RegistryImport.objects.filter(
        pk=pk, status__in=(Status.QUEUED, Status.PREVIEWING, Status.IMPORTING)
    ).update(status=Status.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000], raw=None)


def sweep(now: dt.datetime | None = None) -> int:
    """Send again the previews and imports whose message was lost or whose worker died
    (no progress for a while), and delete expired uploads. Run by beat every minute;
    returns how many were sent."""
    now = now or timezone.now()
    RegistryImport.objects.filter(expires_at__lte=now).delete()
    waiting = RegistryImport.objects.filter(
        status__in=(Status.QUEUED, Status.PREVIEWING, Status.IMPORTING)
    )
    sent = 0
    for pk, status, updated_at, rows_done in waiting.values_list(
        "pk", "status", "updated_at", "rows_done"
    ):
        # Nothing done yet: the message never reached a worker (queued, or an import
        # confirmed while the broker was down).
        limit = STALLED_AFTER.get(status, RESEND_AFTER) if rows_done else RESEND_AFTER
        if updated_at > now - limit:
            continue
        name = (
            "organizations.import_registry"
            if status == Status.IMPORTING
            else "organizations.preview_registry"
        )
        if status == Status.PREVIEWING:  # a dead worker's: make it again from the start
            RegistryImport.objects.filter(pk=pk).update(status=Status.QUEUED)
        RegistryImport.objects.filter(pk=pk).update(updated_at=now)
        if not _send(name, pk):
            break  # still down: the next sweep tries again
        sent += 1
    return sent
