"""The coordinators' pages for organizations: the sign-ups waiting for verification, and
the import of a registry file (upload, preview, then import all or nothing, through
``organizations.imports``). Behind ``coordinator_required``.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from lib.pages import paginate
from matching.matches.audit import audit_actor
from organizations.imports.services import (
    default_source,
    import_organizations,
    parse_organizations,
)
from organizations.imports.template import columns as template_columns
from organizations.imports.template import template_csv
from organizations.models import Organization
from organizations.privacy import log_personal_data_access
from web.coordinator.forms import (
    ImportUploadForm,
)
from web.coordinator.helpers import coordinator_required


@coordinator_required
def unverified_organizations(request: HttpRequest) -> HttpResponse:
    waiting = (
        Organization.objects.filter(is_verified=False)
        .prefetch_related("fields", "areas")
        .order_by("created_at", "pk")
    )
    page = paginate(request, waiting)
    # Contacts are shown so that the coordinator can check the organization exists.
    log_personal_data_access(
        request.user, list(page.object_list), via="web:coord-unverified", request=request
    )
    return render(request, "coordinator/unverified.html", {"page": page})


@coordinator_required
@require_POST
def verify_organization(request: HttpRequest, pk: int) -> HttpResponse:
    org = get_object_or_404(Organization, pk=pk)
    if org.is_verified:
        messages.info(request, gettext("「%(name)s」はすでに確認済みです。") % {"name": org.name})
    else:
        with audit_actor(request.user):
            org.is_verified = True
            org.save(update_fields=["is_verified", "updated_at"])
        messages.success(
            request, gettext("「%(name)s」を確認済みにしました。") % {"name": org.name}
        )
    return redirect("coord:unverified")


SESSION_KEY = "coord_import"


def _import_dir() -> Path:
    path = Path(settings.VAR_DIR) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _pending_file(request: HttpRequest) -> tuple[dict | None, Path | None]:
    pending = request.session.get(SESSION_KEY)
    if not pending or not str(pending.get("token", "")).isalnum():
        return None, None
    path = _import_dir() / f"{pending['token']}.csv"
    return (pending, path) if path.exists() else (None, None)


def _forget(request: HttpRequest) -> None:
    _pending, path = _pending_file(request)
    if path is not None:
        path.unlink(missing_ok=True)
    request.session.pop(SESSION_KEY, None)


@coordinator_required
def import_upload(request: HttpRequest) -> HttpResponse:
    """Step 1 and 2: upload, then preview (parse only: nothing is saved).

    ``?template=csv`` downloads the file to start from (every column, one example row).
    A file whose header and encoding are readable is kept for step 3 even when some rows
    have errors: the coordinator may then import the valid rows and skip the others.
    """
    if request.GET.get("template") == "csv":
        response = HttpResponse(template_csv(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="organizations-template.csv"'
        return response
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        raw = upload.read()
        source = default_source(upload.name)
        report = parse_organizations(raw, source=source)
        _forget(request)
        if report.rows and not report.file_errors:
            token = secrets.token_hex(16)
            (_import_dir() / f"{token}.csv").write_bytes(raw)
            request.session[SESSION_KEY] = {
                "token": token,
                "name": upload.name,
                "source": source,
            }
    pending, _path = _pending_file(request)
    context = {
        "form": form if report is None else ImportUploadForm(),
        "report": report,
        "pending": pending if report is not None else None,
        "file_name": getattr(form.cleaned_data.get("file"), "name", "")
        if report is not None
        else "",
        "columns": template_columns(),
    }
    return render(request, "coordinator/import.html", context)


@coordinator_required
@require_POST
def import_confirm(request: HttpRequest) -> HttpResponse:
    """Step 3: import the previewed file, then forget it. All or nothing, unless the
    coordinator chose to import the valid rows and skip the others (``skip_invalid``, as
    ``manage.py import_organizations --skip-invalid``). The file is checked again: the
    registry may have changed since the preview."""
    pending, path = _pending_file(request)
    if pending is None or request.POST.get("token") != pending["token"]:
        messages.error(
            request, gettext("確認するファイルが見つかりません。もう一度アップロードしてください。")
        )
        return redirect("coord:import")
    skip_invalid = request.POST.get("skip_invalid") == "1"
    report = import_organizations(
        path.read_bytes(), source=pending["source"], skip_invalid=skip_invalid
    )
    _forget(request)
    if not report.imported:
        messages.error(
            request,
            gettext("取り込みませんでした。内容を確認してもう一度アップロードしてください。"),
        )
        context = {"form": ImportUploadForm(), "report": report, "pending": None,
                   "file_name": pending["name"], "columns": template_columns()}  # fmt: skip
        return render(request, "coordinator/import.html", context)
    text = gettext("取り込みました: 作成 %(created)d・更新 %(updated)d・変更なし %(unchanged)d") % {
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
    }
    if report.bad_lines:
        text += gettext("（エラーのある %(count)d 行は取り込んでいません: %(lines)s行目）") % {
            "count": len(report.bad_lines),
            "lines": "、".join(str(line) for line in report.bad_lines),
        }
    messages.success(request, text)
    return redirect("coord:import")


@coordinator_required
@require_POST
def import_cancel(request: HttpRequest) -> HttpResponse:
    _forget(request)
    messages.info(request, gettext("取り込みを取りやめました。"))
    return redirect("coord:import")
