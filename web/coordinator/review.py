"""The coordinators' review queue (suggested pairs to approve, reject or defer, one by one
or in bulk) and the interest requests (「この団体と話したい」) to accept or decline.

Thin views over ``matching.review.services`` and ``matching.matches.interest``, whose
Japanese messages are shown as they are. Behind ``coordinator_required``.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_POST

from lib.pages import paginate
from matching.engine import COMPONENT_LABELS
from matching.matches import interest as interest_mod
from matching.models import InterestRequest
from matching.review import services as review
from organizations.models import Area
from proposals.models import Need, Offer
from web.coordinator.forms import (
    CommentForm,
    DecisionFields,
    QueueFilterForm,
    RequiredCommentForm,
)
from web.coordinator.helpers import back, coordinator_required, form_errors
from web.errors import REFUSALS, report


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


# Themes (needs) per page: each comes with all its waiting suggestions, the first
# ``per_theme`` shown and the rest folded.
THEMES_PER_PAGE = 10


def _per_theme(request: HttpRequest) -> int:
    """How many suggestions to show per theme before folding (?per_theme=, 1–50)."""
    value = request.GET.get("per_theme", "")
    if not value.isdigit():
        return review.DEFAULT_PER_THEME
    return min(max(int(value), 1), review.MAX_PER_THEME)


@coordinator_required
def review_queue(request: HttpRequest) -> HttpResponse:
    """Suggested pairs grouped by theme, best theme first, with the filters kept in the form."""
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
    per_theme = _per_theme(request)
    # ?round=N: only the pairs a match round proposed (the link from its page).
    round_id = request.GET.get("round", "")
    if round_id.isdigit():
        params["round_id"] = int(round_id)
    queue = review.review_queue(**params)
    # Group and order the pairs on their ids alone (one narrow query), then load the shown
    # page's rows: sorting every wide row (texts, reasons, breakdowns) cost more than the
    # rest of the page on a large city (docs/benchmarks.md, web pages).
    groups = review.group_by_theme(list(queue.values_list("pk", "need_id")))
    pair_count = sum(len(pks) for _need, pks in groups)
    page = paginate(request, groups, per_page=THEMES_PER_PAGE)
    shown = [pk for _need, pks in page.object_list for pk in pks]
    rows = (
        queue.model.objects.filter(pk__in=shown)
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
    themes = []
    for _need_id, pks in page.object_list:
        suggestions = [by_pk[pk] for pk in pks if pk in by_pk]
        if not suggestions:
            continue
        for suggestion in suggestions:
            suggestion.breakdown_rows = _breakdown(suggestion)
            suggestion.key = f"{suggestion.need_id}:{suggestion.offer_id}"
            suggestion.level = review.score_level(suggestion.score)
        themes.append(
            {
                "need": suggestions[0].need,
                "top": suggestions[:per_theme],
                "rest": suggestions[per_theme:],
                "count": len(suggestions),
            }
        )
    context = {
        "filters": filters,
        "page": page,
        "themes": themes,
        "pair_count": pair_count,
        "per_theme": per_theme,
        "round_id": params.get("round_id"),
        "max_per_theme": review.MAX_PER_THEME,
        "reasons": review.active_reasons(),
        "decisions": DecisionFields.base_fields["decision"].choices,
        "here": request.get_full_path(),
        "tomorrow": timezone.localdate() + dt.timedelta(days=1),
    }
    return render(request, "coordinator/review.html", context)


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
        return back(request, default)
    form = DecisionFields(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return back(request, default)
    needs = Need.objects.in_bulk([pair[0] for pair in pairs])
    offers = Offer.objects.in_bulk([pair[1] for pair in pairs])
    if any(n not in needs or o not in offers for n, o in pairs):
        messages.error(request, gettext("選んだ組合せが見つかりません。"))
        return back(request, default)
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
        for item, errors in zip(items, exc.errors["items"], strict=True):
            if errors:
                text = " ".join(str(m) for msgs in errors.values() for m in msgs)
                messages.error(request, f"{_item_label(item)}: {text}")
        return back(request, default)
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
    return back(request, default)


@coordinator_required
def interest_list(request: HttpRequest) -> HttpResponse:
    pending = InterestRequest.objects.filter(status=InterestRequest.Status.PENDING).select_related(
        "organization", "need__organization", "offer__organization", "requested_by"
    )
    return render(request, "coordinator/interest.html", {"page": paginate(request, pending)})


@coordinator_required
@require_POST
def interest_handle(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    item = get_object_or_404(InterestRequest, pk=pk)
    form = (RequiredCommentForm if action == "decline" else CommentForm)(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return redirect("coord:interest")
    try:
        if action == "accept":
            item = interest_mod.accept_interest_request(
                request.user, item, form.cleaned_data["comment"]
            )
            messages.success(
                request,
                gettext("依頼を受け付け、マッチ「%(title)s」を作成しました。")
                % {"title": item.match.title},
            )
        else:
            interest_mod.decline_interest_request(request.user, item, form.cleaned_data["comment"])
            messages.success(request, gettext("依頼を見送りにしました。"))
    except REFUSALS as exc:
        report(request, exc)
    return redirect("coord:interest")
