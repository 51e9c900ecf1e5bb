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
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from matching.matches import deadlines, history, workflow
from matching.models import Evaluation, Match
from matching.outcomes import case_book
from matching.outcomes.evaluations import next_evaluation_step, record_evaluation
from organizations.privacy import log_personal_data_access
from web.coordinator.forms import (
    CancelMatchForm,
    CommentForm,
    CoordinatorEvaluationForm,
    PublicationTextForm,
    StepForm,
)
from web.coordinator.helpers import coordinator_required, form_errors
from web.errors import REFUSALS, report

State = Match.State

BOARD_OPEN = [State.PROPOSED, State.INTRODUCED, State.CONSULTING, State.AGREED, State.ACTIVE]

BOARD_DONE = [State.COMPLETED, State.EVALUATED]

BOARD_ENDED = [State.DECLINED, State.CANCELLED]

# Board cards whose next step is worked out as on the match page (cheap: the parties are
# prefetched; a completed match asks which evaluations are in).
BOARD_STEP_STATES = (*BOARD_OPEN, State.COMPLETED)

NEXT_STEPS = {
    State.PROPOSED: _("双方の団体に紹介する"),
    State.INTRODUCED: _("各団体の回答を待つ"),
    State.CONSULTING: _("合意内容（役割分担・期間）をまとめる"),
    State.AGREED: _("協働の開始を記録する"),
    State.ACTIVE: _("完了したら記録する"),
    State.COMPLETED: _("評価をそろえる（各団体とコーディネーター）"),
}


def _matches():
    return Match.objects.select_related("coordinator", "need", "offer").prefetch_related(
        "parties__organization"
    )


@coordinator_required
def match_board(request: HttpRequest) -> HttpResponse:
    # Overdue answers, minutes and follow-ups (matching.matches.deadlines): a badge on the
    # card, a count on its column and in the header; overdue cards first in their column.
    items = deadlines.overdue_items()
    overdue = deadlines.by_match(items)
    by_state: dict[str, list[Match]] = OrderedDict((s.value, []) for s in State)
    for match in _matches().order_by("-updated_at", "-pk"):
        # The card says what the detail page says (who is still awaited); evaluated
        # matches keep the short form (their publication is decided on the match page).
        match.next_step = (
            next_step(match)
            if match.state in BOARD_STEP_STATES
            else str(NEXT_STEPS.get(match.state, ""))
        )
        match.deadlines = overdue.get(match.pk, [])
        by_state[match.state].append(match)
    for matches in by_state.values():
        matches.sort(key=lambda m: -max((d.days_overdue for d in m.deadlines), default=-1))

    def columns(states):
        return [
            {
                "state": s.value,
                "label": s.label,
                "matches": by_state[s.value],
                "overdue": sum(len(m.deadlines) for m in by_state[s.value]),
                "late": any(d.is_late for m in by_state[s.value] for d in m.deadlines),
            }
            for s in states
        ]

    context = {
        "open_columns": columns(BOARD_OPEN),
        "done_columns": columns(BOARD_DONE),
        "ended_columns": columns(BOARD_ENDED),
        "deadlines": deadlines.summary(items),
    }
    return render(request, "coordinator/matches.html", context)


# Actions the detail page offers as buttons (agree, respond, decline: by the parties).
PAGE_ACTIONS = ("introduce", "start_consulting", "activate", "complete", "mark_evaluated")
# Those that may need a coordinator's reason to go ahead before the agreed start date.
DATED_ACTIONS = ("activate", "complete")


def next_step(match: Match) -> str:
    """What the coordinator does next, from the match as it is now."""
    if match.state == State.INTRODUCED and not workflow.waiting_for_answers(match):
        return gettext("相談を始める")
    if match.state == State.CONSULTING and match.terms_revision:
        waiting = workflow.unconfirmed(match)
        if waiting:
            return gettext("合意内容の確認を待つ（未確認: %(names)s）") % {
                "names": "、".join(p.organization.name for p in waiting)
            }
    if match.state == State.COMPLETED:
        return next_evaluation_step(match) or str(NEXT_STEPS[State.COMPLETED])
    if match.state in case_book.PUBLISHABLE_STATES:
        status = case_book.publication_status(match)
        if not status["approved"]:
            return gettext("事例集の公開文を確認して承認する")
        if not status["public"]:
            return gettext("各団体の掲載への同意を待つ")
    return str(NEXT_STEPS.get(match.state, ""))


def _before_start(match: Match) -> bool:
    return bool(match.starts_on and timezone.localdate() < match.starts_on)


@coordinator_required
def match_detail(request: HttpRequest, pk: int, **forms) -> HttpResponse:
    match = get_object_or_404(_matches(), pk=pk)
    available = workflow.available_actions(request.user, match)
    parties = list(match.parties.all())
    evaluations = list(match.evaluations.select_related("organization").order_by("evaluator", "pk"))
    coordinator_done = any(e.evaluator == Evaluation.Evaluator.COORDINATOR for e in evaluations)
    publication = case_book.publication_status(match)
    context = {
        "match": match,
        "parties": parties,
        "history": history.entries(match),
        "actions": [(a, workflow.ACTION_LABELS[a]) for a in PAGE_ACTIONS if a in available],
        "dated_actions": DATED_ACTIONS if _before_start(match) else (),
        "can_cancel": "cancel" in available,
        "next_step": next_step(match),
        "show_due": match.state == State.INTRODUCED and match.response_due_on,
        # What is overdue on this match, flagged as on the board (matching.matches.deadlines).
        "deadlines": deadlines.overdue_items(match_ids=[match.pk]),
        # 相談を始める stays visible, disabled, while a party has not said yes.
        "waiting_answers": (
            [p.organization.name for p in workflow.waiting_for_answers(match)]
            if match.state == State.INTRODUCED
            else []
        ),
        "terms_recorded": bool(match.terms_revision),
        "evaluations": evaluations,
        "evaluation_form": (
            forms.get("evaluation_form") or CoordinatorEvaluationForm()
            if match.state == State.COMPLETED and not coordinator_done
            else None
        ),
        "publication": publication,
        "publication_form": forms.get("publication_form")
        or PublicationTextForm(initial={"text": _draft_text(match, publication, evaluations)}),
        "comment_form": CommentForm(),
        "cancel_form": CancelMatchForm(),
    }
    # The page shows every party's contact details: log the coordinator's access.
    log_personal_data_access(
        request.user,
        [p.organization for p in parties],
        via="web:coord-match",
        request=request,
        record=f"match:{match.pk}",
    )
    status = 400 if forms else 200
    return render(request, "coordinator/match_detail.html", context, status=status)


def _draft_text(match: Match, publication, evaluations) -> str:
    """The approved text, else a draft from the effects the evaluations describe."""
    if publication["publication"] is not None:
        return publication["publication"].text
    return "\n".join(e.effects for e in evaluations if e.effects)


def _redirect(pk: int, anchor: str = "") -> HttpResponse:
    return redirect(reverse("coord:match-detail", args=[pk]) + (f"#{anchor}" if anchor else ""))


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
        elif action == "evaluate":
            form = CoordinatorEvaluationForm(request.POST)
            if not form.is_valid():
                messages.error(request, gettext("入力内容を確認してください。"))
                return match_detail(request, pk, evaluation_form=form)
            record_evaluation(match, request.user, None, **form.cleaned_data)
        elif action == "approve_publication":
            form = PublicationTextForm(request.POST)
            if not form.is_valid():
                messages.error(request, gettext("入力内容を確認してください。"))
                return match_detail(request, pk, publication_form=form)
            case_book.approve_text(match, request.user, form.cleaned_data["text"])
        elif action == "withdraw_publication":
            case_book.withdraw_approval(match, request.user)
        elif action in PAGE_ACTIONS:
            form = StepForm(request.POST)
            if not form.is_valid():
                messages.error(request, form_errors(form))
                return redirect("coord:match-detail", pk=pk)
            extra = {}
            if action in DATED_ACTIONS:
                extra["override_reason"] = form.cleaned_data["override_reason"]
            getattr(workflow, action)(
                match, request.user, comment=form.cleaned_data["comment"], **extra
            )
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
    anchor = {"evaluate": "evaluations"}.get(action, "")
    if action.endswith("_publication"):
        anchor = "publication"
    return _redirect(pk, anchor)
