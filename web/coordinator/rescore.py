"""The coordinators' full re-score: start one and follow its progress (a thin view over
``matching.scoring.services``). Behind ``coordinator_required``.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext

from matching.models import RescoreRun
from matching.scoring import services
from web.coordinator.helpers import coordinator_required


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
    return render(request, "coordinator/rescore.html", context)
