"""The coordinators' match board (open, done and ended matches, with each one's next step)
and a match's page with the actions a coordinator may take on it.

Thin views over ``matching.matches.workflow``, whose Japanese messages are shown as they
are. Behind ``coordinator_required``.
"""

from __future__ import annotations

from collections import OrderedDict

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from matching.matches import workflow
from matching.models import Match
from organizations.privacy import log_personal_data_access
from web.coordinator.forms import (
    CancelMatchForm,
    CommentForm,
)
from web.coordinator.helpers import coordinator_required, form_errors
from web.errors import REFUSALS, report

State = Match.State

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
    return render(request, "coordinator/matches.html", context)


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
    return render(request, "coordinator/match_detail.html", context)


@coordinator_required
@require_POST
def match_action(request: HttpRequest, pk: int) -> HttpResponse:
    match = get_object_or_404(Match, pk=pk)
    action = request.POST.get("action", "")
    try:
        if action == "cancel":
            form = CancelMatchForm(request.POST)
            if not form.is_valid():
                messages.error(request, form_errors(form))
                return redirect("coord:match-detail", pk=pk)
            workflow.cancel(match, request.user, form.cleaned_data["reason"])
        elif action in PAGE_ACTIONS:
            form = CommentForm(request.POST)
            if not form.is_valid():
                messages.error(request, form_errors(form))
                return redirect("coord:match-detail", pk=pk)
            getattr(workflow, action)(match, request.user, comment=form.cleaned_data["comment"])
        else:
            messages.error(request, gettext("この操作はできません。"))
            return redirect("coord:match-detail", pk=pk)
    except REFUSALS as exc:
        report(request, exc)
    else:
        messages.success(
            request,
            gettext("「%(action)s」を実行しました。") % {"action": workflow.ACTION_LABELS[action]},
        )
    return redirect("coord:match-detail", pk=pk)
