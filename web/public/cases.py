"""The public case book (事例集): completed collaborations every party agreed to publish, with
the text a coordinator approved (``matching.outcomes.case_book``)."""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from lib.pages import paginate
from matching.models import Evaluation, MatchParty
from matching.outcomes.case_book import case_book


def case_book_page(request: HttpRequest) -> HttpResponse:
    cases = case_book().prefetch_related(
        Prefetch(
            "parties",
            queryset=MatchParty.objects.exclude(response=MatchParty.Response.DECLINED)
            .select_related("organization")
            .order_by("pk"),
            to_attr="public_parties",
        ),
        Prefetch(
            "evaluations",
            # Grades only: the effects the parties wrote stay private; the public text
            # is the one a coordinator approved.
            queryset=Evaluation.objects.select_related("organization").order_by("evaluator", "pk"),
            to_attr="public_evaluations",
        ),
    )
    return render(request, "public/case_book.html", {"page": paginate(request, cases)})
