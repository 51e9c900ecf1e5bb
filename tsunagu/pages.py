"""Plain helpers for the public web pages (used by the apps' page views)."""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, QueryDict

PAGE_SIZE = 20


def paginate(request: HttpRequest, queryset: QuerySet, per_page: int = PAGE_SIZE) -> Page:
    """The requested page (``?page=``); a missing or impossible number gives the first
    or the last page rather than an error."""
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def filter_data(params: QueryDict, names: list[str]) -> QueryDict:
    """Only the named, non-empty parameters: a blank select means "any"."""
    data = QueryDict(mutable=True)
    for name in names:
        values = [v for v in params.getlist(name) if v.strip()]
        if values:
            data.setlist(name, values)
    return data


def selected(params: QueryDict, names: list[str]) -> dict[str, str]:
    """What the user chose, to keep in the search form (the first value of each)."""
    return {name: params.get(name, "").strip() for name in names}
