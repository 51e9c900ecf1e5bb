"""マイページ: 「送った依頼」, the interest requests (「この団体と話したい」) the user's
organizations sent, each with what became of it; and where a person lands after login.

Thin views over ``matching.matches.interest``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lib.pages import paginate
from matching.matches.interest import withdraw_interest_request
from matching.models import InterestRequest
from web.errors import REFUSALS, report


@login_required
def sent_requests(request: HttpRequest) -> HttpResponse:
    rows = (
        InterestRequest.objects.filter(organization_id__in=request.user.organization_ids())
        .select_related("organization", "need__organization", "offer__organization", "match")
        .order_by("-created_at", "-pk")
    )
    status = request.GET.get("status", "")
    if status in InterestRequest.Status.values:
        rows = rows.filter(status=status)
    else:
        status = ""
    context = {
        "page": paginate(request, rows),
        "status": status,
        "statuses": InterestRequest.Status.choices,
    }
    return render(request, "member/sent_requests.html", context)


@login_required
@require_POST
def withdraw_request(request: HttpRequest, pk: int) -> HttpResponse:
    interest = InterestRequest.objects.filter(
        pk=pk, organization_id__in=request.user.organization_ids()
    ).first()
    if interest is None:
        raise Http404
    try:
        withdraw_interest_request(request.user, interest)
    except REFUSALS as exc:
        report(request, exc)
    else:
        messages.success(request, _("依頼を取り下げました。"))
    return redirect("member-sent-requests")


@login_required
def after_login(request: HttpRequest) -> HttpResponse:
    """Where the login page sends someone without a ``next``: a coordinator to their home
    (what needs action), everyone else to マイページ."""
    if request.user.can_coordinate:
        return redirect("coord:home")
    return redirect("member-home")
