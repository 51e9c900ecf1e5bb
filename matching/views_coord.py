"""The coordinators' pages (``/coord/``): review queue, interest requests, match board,
consultation slots, organizations to verify, full re-score, registry import.

Thin views: every decision goes through the services (``review``, ``workflow``,
``consultations``, ``services``, ``organizations.imports``), whose Japanese messages are
shown as they are. Only users who ``can_coordinate`` get in (others 403; anonymous → login).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections import OrderedDict
from functools import wraps
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from organizations.imports import default_source, import_organizations, parse_organizations
from organizations.models import Area, Organization
from organizations.privacy import log_personal_data_access
from proposals.models import Need, Offer
from tsunagu.pages import paginate

from . import consultations, review, services, workflow
from .api_consultations import fiscal_year_bounds
from .audit import audit_actor
from .engine import COMPONENT_LABELS
from .forms_coord import (
    CancelMatchForm,
    CommentForm,
    DecisionFields,
    ImportUploadForm,
    QueueFilterForm,
    RequiredCommentForm,
    SlotCancelForm,
    SlotForm,
)
from .models import ConsultationSlot, InterestRequest, Match, RescoreRun
from .permissions import is_coordinator

State = Match.State


def coordinator_required(view):
    """Anonymous → the login page; logged in without ``can_coordinate`` → 403."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_coordinator(request.user):
            raise PermissionDenied(gettext("コーディネーターだけが使えるページです。"))
        return view(request, *args, **kwargs)

    return wrapped


def _errors_text(exc: ValidationError) -> str:
    return " ".join(str(m) for m in exc.messages)


def _form_errors(form) -> str:
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


def _back(request: HttpRequest, default: str) -> HttpResponse:
    """Back to the page the form was on (kept filters), if it is one of ours."""
    target = request.POST.get("next", "")
    if target.startswith("/coord/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(default)


# --------------------------------------------------------------------------- review queue


def _breakdown(suggestion) -> list[dict]:
    rows = []
    for c in suggestion.components or []:
        contribution = float(c.get("contribution", 0))
        rows.append(
            {
                "label": c.get("label") or COMPONENT_LABELS.get(c.get("name"), c.get("name")),
                "contribution": contribution,
                "negative": contribution < 0,
            }
        )
    return rows


@coordinator_required
def review_queue(request: HttpRequest) -> HttpResponse:
    """Suggested pairs, best first, with the filters kept in the form."""
    filters = QueueFilterForm(request.GET or None)
    params: dict = {}
    if filters.is_bound and filters.is_valid():
        data = filters.cleaned_data
        if data.get("field"):
            params["fields"] = [data["field"]]
        if data.get("area"):
            params["areas"] = list(Area.objects.filter(code=data["area"]))
        if data.get("department"):
            params["departments"] = [int(data["department"])]
        if data.get("form"):
            params["forms"] = [data["form"]]
        if data.get("min_score") is not None:
            params["min_score"] = data["min_score"]
    queue = review.review_queue(**params)
    # Count and order the pairs on their ids alone (one narrow query), then load the shown
    # page's rows: sorting every wide row (texts, reasons, breakdowns) cost more than the
    # rest of the page on a large city (docs/benchmarks.md, web pages).
    page = paginate(request, list(queue.values_list("pk", flat=True)))
    rows = (
        queue.model.objects.filter(pk__in=list(page.object_list))
        .select_related("need__organization", "offer__organization")
        .prefetch_related(
            "need__fields",
            "need__areas",
            "need__forms",
            "offer__fields",
            "offer__areas",
            "offer__forms",
        )
    )
    by_pk = {row.pk: row for row in rows}
    page.object_list = [by_pk[pk] for pk in page.object_list if pk in by_pk]
    for suggestion in page:
        suggestion.breakdown_rows = _breakdown(suggestion)
        suggestion.key = f"{suggestion.need_id}:{suggestion.offer_id}"
    context = {
        "filters": filters,
        "page": page,
        "reasons": review.active_reasons(),
        "decisions": DecisionFields.base_fields["decision"].choices,
        "here": request.get_full_path(),
        "tomorrow": timezone.localdate() + dt.timedelta(days=1),
    }
    return render(request, "matching/coord/review.html", context)


def _pairs(values: list[str]) -> list[tuple[int, int]] | None:
    out = []
    for value in values:
        need_id, _sep, offer_id = value.partition(":")
        if not (need_id.isdigit() and offer_id.isdigit()):
            return None
        out.append((int(need_id), int(offer_id)))
    return out


def _item_label(item: review.DecisionItem) -> str:
    return gettext("「%(need)s」×「%(offer)s」") % {
        "need": item.need.title,
        "offer": item.offer.title,
    }


@coordinator_required
@require_POST
def review_decide(request: HttpRequest) -> HttpResponse:
    """One pair (``pair``) or the selected pairs (``selected``): all applied or none."""
    default = reverse("coord:review")
    bulk = "selected" in request.POST or request.POST.get("bulk")
    pairs = _pairs(request.POST.getlist("selected" if bulk else "pair"))
    if not pairs:
        messages.error(request, gettext("組合せを1つ以上選んでください。"))
        return _back(request, default)
    form = DecisionFields(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return _back(request, default)
    needs = Need.objects.in_bulk([pair[0] for pair in pairs])
    offers = Offer.objects.in_bulk([pair[1] for pair in pairs])
    if any(n not in needs or o not in offers for n, o in pairs):
        messages.error(request, gettext("選んだ組合せが見つかりません。"))
        return _back(request, default)
    data = form.cleaned_data
    items = [
        review.DecisionItem(
            need=needs[n],
            offer=offers[o],
            decision=data["decision"],
            reason=data["reason"],
            comment=data["comment"],
            deferred_until=data["deferred_until"],
        )
        for n, o in pairs
    ]
    try:
        results = review.decide(request.user, items)
    except review.ItemErrors as exc:
        messages.error(request, gettext("どの組合せも処理していません。次の点を直してください。"))
        for item, errors in zip(items, exc.errors, strict=True):
            if errors:
                text = " ".join(str(m) for msgs in errors.values() for m in msgs)
                messages.error(request, f"{_item_label(item)}: {text}")
        return _back(request, default)
    labels = dict(DecisionFields.base_fields["decision"].choices)
    if len(results) == 1:
        result = results[0]
        text = gettext("%(pair)sを「%(decision)s」にしました。") % {
            "pair": _item_label(result.item),
            "decision": labels.get(result.item.decision, result.item.decision),
        }
        if result.match is not None:
            text += gettext("マッチ「%(title)s」を作成しました。") % {"title": result.match.title}
        messages.success(request, text)
    else:
        messages.success(
            request,
            ngettext(
                "%(count)d件の組合せを「%(decision)s」にしました。",
                "%(count)d件の組合せを「%(decision)s」にしました。",
                len(results),
            )
            % {"count": len(results), "decision": labels.get(data["decision"], "")},
        )
    return _back(request, default)


# --------------------------------------------------------------------------- interest


@coordinator_required
def interest_list(request: HttpRequest) -> HttpResponse:
    pending = InterestRequest.objects.filter(status=InterestRequest.Status.PENDING).select_related(
        "organization", "need__organization", "offer__organization", "requested_by"
    )
    return render(request, "matching/coord/interest.html", {"page": paginate(request, pending)})


@coordinator_required
@require_POST
def interest_handle(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    item = get_object_or_404(InterestRequest, pk=pk)
    form = (RequiredCommentForm if action == "decline" else CommentForm)(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect("coord:interest")
    try:
        if action == "accept":
            item = review.accept_interest_request(request.user, item, form.cleaned_data["comment"])
            messages.success(
                request,
                gettext("依頼を受け付け、マッチ「%(title)s」を作成しました。")
                % {"title": item.match.title},
            )
        else:
            review.decline_interest_request(request.user, item, form.cleaned_data["comment"])
            messages.success(request, gettext("依頼を見送りにしました。"))
    except workflow.WorkflowConflict as exc:
        messages.error(request, exc.message)
    except ValidationError as exc:
        messages.error(request, _errors_text(exc))
    return redirect("coord:interest")


# --------------------------------------------------------------------------- matches

BOARD_OPEN = [State.PROPOSED, State.INTRODUCED, State.CONSULTING, State.AGREED, State.ACTIVE]
BOARD_DONE = [State.COMPLETED, State.EVALUATED]
BOARD_ENDED = [State.DECLINED, State.CANCELLED]

NEXT_STEPS = {
    State.PROPOSED: _("双方の団体に紹介する"),
    State.INTRODUCED: _("各団体の回答を待つ"),
    State.CONSULTING: _("合意内容（役割分担・期間）をまとめる"),
    State.AGREED: _("協働の開始を記録する"),
    State.ACTIVE: _("完了したら記録する"),
    State.COMPLETED: _("評価の回答を待つ"),
}


def _matches():
    return Match.objects.select_related("coordinator", "need", "offer").prefetch_related(
        "parties__organization"
    )


@coordinator_required
def match_board(request: HttpRequest) -> HttpResponse:
    by_state: dict[str, list[Match]] = OrderedDict((s.value, []) for s in State)
    for match in _matches().order_by("-updated_at", "-pk"):
        match.next_step = str(NEXT_STEPS.get(match.state, ""))
        by_state[match.state].append(match)

    def columns(states):
        return [{"state": s.value, "label": s.label, "matches": by_state[s.value]} for s in states]

    context = {
        "open_columns": columns(BOARD_OPEN),
        "done_columns": columns(BOARD_DONE),
        "ended_columns": columns(BOARD_ENDED),
    }
    return render(request, "matching/coord/matches.html", context)


# Actions the detail page offers as buttons (agree, respond, decline: by the parties).
PAGE_ACTIONS = ("introduce", "start_consulting", "activate", "complete", "mark_evaluated")


@coordinator_required
def match_detail(request: HttpRequest, pk: int) -> HttpResponse:
    match = get_object_or_404(_matches(), pk=pk)
    available = workflow.available_actions(request.user, match)
    context = {
        "match": match,
        "parties": match.parties.all(),
        "history": workflow.history(match),
        "actions": [(a, workflow.ACTION_LABELS[a]) for a in PAGE_ACTIONS if a in available],
        "can_cancel": "cancel" in available,
        "next_step": str(NEXT_STEPS.get(match.state, "")),
        "comment_form": CommentForm(),
        "cancel_form": CancelMatchForm(),
    }
    # The page shows every party's contact details: log the coordinator's access.
    log_personal_data_access(
        request.user,
        [p.organization for p in context["parties"]],
        via="web:coord-match",
        request=request,
        record=f"match:{match.pk}",
    )
    return render(request, "matching/coord/match_detail.html", context)


@coordinator_required
@require_POST
def match_action(request: HttpRequest, pk: int) -> HttpResponse:
    match = get_object_or_404(Match, pk=pk)
    action = request.POST.get("action", "")
    try:
        if action == "cancel":
            form = CancelMatchForm(request.POST)
            if not form.is_valid():
                messages.error(request, _form_errors(form))
                return redirect("coord:match-detail", pk=pk)
            workflow.cancel(match, request.user, form.cleaned_data["reason"])
        elif action in PAGE_ACTIONS:
            form = CommentForm(request.POST)
            if not form.is_valid():
                messages.error(request, _form_errors(form))
                return redirect("coord:match-detail", pk=pk)
            getattr(workflow, action)(match, request.user, comment=form.cleaned_data["comment"])
        else:
            messages.error(request, gettext("この操作はできません。"))
            return redirect("coord:match-detail", pk=pk)
    except workflow.WorkflowConflict as exc:
        messages.error(request, exc.message)
    except ValidationError as exc:
        messages.error(request, _errors_text(exc))
    else:
        messages.success(
            request,
            gettext("「%(action)s」を実行しました。") % {"action": workflow.ACTION_LABELS[action]},
        )
    return redirect("coord:match-detail", pk=pk)


# --------------------------------------------------------------------------- slots

SLOT_ERROR_FIELDS = {"ends_at": "end_time", "starts_at": "date", "place": "place",
                     "capacity": "capacity"}  # fmt: skip


@coordinator_required
def slots(request: HttpRequest) -> HttpResponse:
    form = SlotForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            slot = consultations.publish_slot(
                request.user,
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                place=data["place"],
                online_url=data["online_url"],
                capacity=data["capacity"],
                note=data["note"],
            )
        except consultations.ConsultationError as exc:
            form.add_error(SLOT_ERROR_FIELDS.get(exc.code), str(exc.message))
        else:
            when = timezone.localtime(slot.starts_at)
            messages.success(
                request,
                gettext("%(when)s のコマを公開しました。")
                % {"when": when.strftime("%Y-%m-%d %H:%M")},
            )
            return redirect("coord:slots")
    today = timezone.localdate()
    upcoming = (
        ConsultationSlot.objects.filter(
            starts_at__gte=timezone.make_aware(dt.datetime.combine(today, dt.time.min))
        )
        .select_related("coordinator")
        .order_by("starts_at", "pk")
    )
    days: dict = OrderedDict()
    for slot in upcoming[:200]:
        days.setdefault(timezone.localtime(slot.starts_at).date(), []).append(slot)
    start, end = fiscal_year_bounds(today)
    monday = consultations.week_start(today)
    if request.GET.get("week"):
        try:
            monday = consultations.week_start(dt.date.fromisoformat(request.GET["week"]))
        except ValueError:
            messages.error(
                request, gettext("週の指定が正しくありません（例: 2026-11-23）。今週を表示します。")
            )
    context = {
        "form": form,
        "week": consultations.week_calendar(monday),
        "week_start": monday,
        "week_end": monday + dt.timedelta(days=6),
        "previous_week": monday - dt.timedelta(days=7),
        "next_week": monday + dt.timedelta(days=7),
        "this_week": consultations.week_start(today),
        "days": list(days.items()),
        "usage": consultations.slot_usage(start, end),
        "fiscal_start": start.date(),
        "fiscal_end": (end - dt.timedelta(days=1)).date(),
        "cancel_form": SlotCancelForm(),
    }
    return render(request, "matching/coord/slots.html", context, status=200)


@coordinator_required
@require_POST
def slot_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    slot = get_object_or_404(ConsultationSlot, pk=pk)
    form = SlotCancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect("coord:slots")
    try:
        consultations.cancel_slot(slot, request.user, reason=form.cleaned_data["reason"])
    except consultations.ConsultationError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, gettext("コマを取り消しました。予約していた団体に通知しました。"))
    return redirect("coord:slots")


# --------------------------------------------------------------------------- organizations


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
    return render(request, "matching/coord/unverified.html", {"page": page})


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


# --------------------------------------------------------------------------- re-score


@coordinator_required
def rescore(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        run = services.start_full_rescore(user=request.user)
        messages.success(request, gettext("全体の再計算を始めました。"))
        return redirect(f"{reverse('coord:rescore')}?run={run.pk}")
    run_id = request.GET.get("run", "")
    runs = RescoreRun.objects.select_related("requested_by")
    run = runs.filter(pk=run_id).first() if run_id.isdigit() else runs.first()
    context = {
        "run": run,
        "finished": run is not None
        and run.status in (RescoreRun.Status.DONE, RescoreRun.Status.FAILED),
        "api_url": reverse("rescore-detail", args=[run.pk]) if run else "",
        "recent": runs[:5],
    }
    return render(request, "matching/coord/rescore.html", context)


# --------------------------------------------------------------------------- import

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
    """Step 1 and 2: upload, then preview (parse only: nothing is saved)."""
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        raw = upload.read()
        source = default_source(upload.name)
        report = parse_organizations(raw, source=source)
        _forget(request)
        if report.ok and report.rows:
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
    }
    return render(request, "matching/coord/import.html", context)


@coordinator_required
@require_POST
def import_confirm(request: HttpRequest) -> HttpResponse:
    """Step 3: import the previewed file, all or nothing; then forget it."""
    pending, path = _pending_file(request)
    if pending is None or request.POST.get("token") != pending["token"]:
        messages.error(
            request, gettext("確認するファイルが見つかりません。もう一度アップロードしてください。")
        )
        return redirect("coord:import")
    report = import_organizations(path.read_bytes(), source=pending["source"])
    _forget(request)
    if not report.imported:
        messages.error(
            request,
            gettext("取り込みませんでした。内容を確認してもう一度アップロードしてください。"),
        )
        context = {"form": ImportUploadForm(), "report": report, "pending": None,
                   "file_name": pending["name"]}  # fmt: skip
        return render(request, "matching/coord/import.html", context)
    messages.success(
        request,
        gettext("取り込みました: 作成 %(created)d・更新 %(updated)d・変更なし %(unchanged)d")
        % {"created": report.created, "updated": report.updated, "unchanged": report.unchanged},
    )
    return redirect("coord:import")


@coordinator_required
@require_POST
def import_cancel(request: HttpRequest) -> HttpResponse:
    _forget(request)
    messages.info(request, gettext("取り込みを取りやめました。"))
    return redirect("coord:import")
