"""The coordinators' match rounds (マッチングラウンド): start one, follow its progress, read
what it proposed and go on to the review queue with its pairs. A thin view over
``matching.rounds.services`` and ``results``. Behind ``coordinator_required``.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from lib.pages import paginate
from matching.models import MatchRound, RoundNeed
from matching.rounds import results, services
from web.coordinator.helpers import coordinator_required
from web.errors import REFUSALS, report

NEEDS_PER_PAGE = 30


@coordinator_required
def rounds(request: HttpRequest) -> HttpResponse:
    """The recent rounds and the button that starts one."""
    recent = MatchRound.objects.select_related("requested_by")[:10]
    return render(request, "coordinator/rounds.html", {"recent": recent})


@coordinator_required
@require_POST
def round_start(request: HttpRequest) -> HttpResponse:
    try:
        round_ = services.start_round(request.user)
    except REFUSALS as exc:
        report(request, exc)
        return redirect("coord:rounds")
    messages.success(request, gettext("マッチングラウンドを始めました。"))
    return redirect("coord:round-detail", round_.pk)


def _figures(summary: dict) -> list[dict]:
    """The round beside per-need greedy choices, one row each."""
    labels = {
        "round": gettext("このラウンド（全体で最適化）"),
        "round_without_fairness": gettext("同じく偏りの調整なし（合計点が最大）"),
        "greedy_top1": gettext("各テーマが第1候補を取る（枠を見ない）"),
        "greedy_in_turn": gettext("テーマ順に空いている最良の候補を取る"),
    }
    rows = []
    for key, label in labels.items():
        fig = summary.get(key)
        if fig:
            share = fig.get("exposure", {}).get("top10_share", 0.0)
            rows.append({"key": key, "label": label, "top10_pct": f"{100 * share:.1f}%", **fig})
    return rows


@coordinator_required
def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = get_object_or_404(MatchRound.objects.select_related("requested_by"), pk=pk)
    outcome = request.GET.get("outcome", "")
    if outcome not in RoundNeed.Outcome.values:
        outcome = ""
    context = {
        "round": round_,
        "api_url": reverse("match-round-detail", args=[round_.pk]),
        "outcome": outcome,
        "outcomes": RoundNeed.Outcome.choices,
    }
    if round_.status == MatchRound.Status.DONE:
        page = paginate(request, results.outcomes(round_, outcome), per_page=NEEDS_PER_PAGE)
        context.update(
            page=page,
            needs=results.need_rows(round_, page.object_list),
            figures=_figures(round_.summary),
            summary=round_.summary,
            review_url=f"{reverse('coord:review')}?round={round_.pk}",
        )
    return render(request, "coordinator/round_detail.html", context)
