"""The coordinators' registry import (団体名簿の取り込み): upload a file, check the preview
(nothing is saved), then import all of it or only its valid rows. Thin views over
``organizations.imports.uploads``, which keeps the upload and its preview on the server
(the import never reads the file again) and hands files of more than
``TSUNAGU_IMPORT_BACKGROUND_ROWS`` rows to a worker: the page then shows the progress
(``import.js`` polls ``…/status/``; without JavaScript the page reloads itself).
Behind ``coordinator_required``.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from lib.errors import Conflict, NotFound
from organizations.imports import uploads
from organizations.imports.models import RegistryImport
from organizations.imports.template import columns as template_columns
from organizations.imports.template import template_csv
from web.coordinator.forms import ImportUploadForm
from web.coordinator.helpers import coordinator_required

# The coordinator's upload being worked on: the page comes back to it.
SESSION_KEY = "coord_import"
# A preview of 20,000 rows is not a page: the first ones are shown, and the counts.
ROWS_SHOWN = 200
ERRORS_SHOWN = 1000


def _page(
    request: HttpRequest, upload: RegistryImport | None, form=None, status: int = 200
) -> HttpResponse:
    report = uploads.stored_report(upload) if upload is not None else None
    pending = (
        {"token": upload.token}
        if upload is not None and upload.status == RegistryImport.Status.READY
        else None
    )
    context = {
        "form": form or ImportUploadForm(),
        "upload": upload,
        "report": report,
        "pending": pending,
        "file_name": upload.file_name if upload is not None else "",
        "rows_shown": report.rows[:ROWS_SHOWN] if report else [],
        "errors_shown": report.errors[:ERRORS_SHOWN] if report else [],
        "status_url": reverse("coord:import-status", args=[upload.token]) if upload else "",
        "imported_text": imported_text(upload)
        if upload is not None and upload.status == RegistryImport.Status.IMPORTED
        else "",
        "columns": template_columns(),
        "max_upload_mb": settings.TSUNAGU_MAX_UPLOAD_MB,
        "background_rows": uploads.background_rows(),
        "preview_hours": settings.TSUNAGU_IMPORT_PREVIEW_HOURS,
    }
    return render(request, "coordinator/import.html", context, status=status)


@coordinator_required
def import_upload(request: HttpRequest) -> HttpResponse:
    """Step 1 and 2: upload, then the preview (parse only: nothing is saved).

    ``?template=csv`` downloads the file to start from (every column, one example row).
    A small file's preview is this page; a large one is previewed by a worker and the
    coordinator is sent to its page, which shows the progress.
    """
    if request.GET.get("template") == "csv":
        response = HttpResponse(template_csv(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="organizations-template.csv"'
        return response
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload_file = form.cleaned_data["file"]
        _forget(request)
        upload = uploads.start(request.user, upload_file.name, upload_file.read())
        request.session[SESSION_KEY] = {"token": upload.token}
        if upload.is_working:
            return redirect("coord:import-page", token=upload.token)
        if upload.status != RegistryImport.Status.READY:
            request.session.pop(SESSION_KEY, None)  # nothing to import from it
        return _page(request, upload)
    current = _current(request)
    if request.method == "GET" and current is not None and current.is_working:
        return redirect("coord:import-page", token=current.token)
    return _page(request, None, form, status=400 if form.errors else 200)


@require_GET
@coordinator_required
def import_page(request: HttpRequest, token: str) -> HttpResponse:
    """An upload's page: its progress while a worker has it, then its preview (or what
    its import did)."""
    try:
        upload = uploads.get_own(request.user, token)
    except NotFound as exc:
        messages.error(request, str(exc.message))
        return redirect("coord:import")
    return _page(request, upload)


@require_GET
@coordinator_required
def import_status(request: HttpRequest, token: str) -> JsonResponse:
    """The progress, for the page's script (``web/static/web/import.js``)."""
    try:
        upload = uploads.get_own(request.user, token)
    except NotFound as exc:
        return JsonResponse({"detail": str(exc.message)}, status=404)
    return JsonResponse(
        {
            "status": upload.status,
            "status_display": upload.get_status_display(),
            "percent_done": upload.percent_done,
            "rows_done": upload.rows_done,
            "rows_total": upload.rows_total,
            "working": upload.is_working,
        }
    )


@coordinator_required
@require_POST
def import_confirm(request: HttpRequest) -> HttpResponse:
    """Step 3: import the previewed upload. All or nothing, unless the coordinator chose
    to import the valid rows and skip the others (``skip_invalid``, as ``manage.py
    import_organizations --skip-invalid``). The stored preview is checked against the
    registry again (it may have changed since), not read from the file again."""
    token = request.POST.get("token", "")
    try:
        upload = uploads.confirm(
            request.user, token, skip_invalid=request.POST.get("skip_invalid") == "1"
        )
    except (NotFound, Conflict) as exc:
        messages.error(request, str(exc.message))
        return redirect("coord:import")
    if upload.is_working:
        return redirect("coord:import-page", token=upload.token)
    _forget_session(request)
    if upload.status == RegistryImport.Status.IMPORTED:
        messages.success(request, imported_text(upload))
        return redirect("coord:import")
    if upload.status == RegistryImport.Status.REFUSED:
        messages.error(
            request,
            gettext("取り込みませんでした。内容を確認してもう一度アップロードしてください。"),
        )
    return _page(request, upload)


def imported_text(upload: RegistryImport) -> str:
    """What an import did, in one sentence (the message after it, and its page)."""
    summary = upload.summary
    text = gettext("取り込みました: 作成 %(created)d・更新 %(updated)d・変更なし %(unchanged)d") % {
        "created": summary.get("created", 0),
        "updated": summary.get("updated", 0),
        "unchanged": summary.get("unchanged", 0),
    }
    skipped = summary.get("skipped_lines") or []
    if skipped:
        text += gettext("（エラーのある %(count)d 行は取り込んでいません: %(lines)s行目）") % {
            "count": len(skipped),
            "lines": "、".join(str(line) for line in skipped[:100])
            + ("…" if len(skipped) > 100 else ""),
        }
    return text


@coordinator_required
@require_POST
def import_cancel(request: HttpRequest) -> HttpResponse:
    token = request.POST.get("token") or (request.session.get(SESSION_KEY) or {}).get("token")
    if token:
        uploads.cancel(request.user, str(token))
    _forget_session(request)
    messages.info(request, gettext("取り込みを取りやめました。"))
    return redirect("coord:import")


def _current(request: HttpRequest) -> RegistryImport | None:
    token = (request.session.get(SESSION_KEY) or {}).get("token")
    if not token:
        return None
    try:
        return uploads.get_own(request.user, str(token))
    except NotFound:
        request.session.pop(SESSION_KEY, None)
        return None


def _forget(request: HttpRequest) -> None:
    """A new upload replaces the coordinator's previous one (not yet imported)."""
    current = _current(request)
    if current is not None:
        uploads.cancel(request.user, current.token)
    _forget_session(request)


def _forget_session(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)
