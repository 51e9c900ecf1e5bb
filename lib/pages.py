"""Plain helpers for the web pages (``web/``): pagination, and the search forms' filters
of the public lists."""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, QueryDict
from django.utils.translation import gettext as _

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


def chosen_lists(params: QueryDict, names: list[str]) -> dict[str, list[str]]:
    """Every value the user chose for each multi-choice filter (checkboxes)."""
    return {name: [v.strip() for v in params.getlist(name) if v.strip()] for name in names}


def ignored_filters(filterset, params: QueryDict, labels: dict[str, str]) -> list[str]:
    """Say which filter values could not be used (an old link, a typo in a shared URL):
    the search runs without them rather than failing, but the user is told."""
    notes = []
    for name in filterset.errors:
        if name not in labels:
            continue
        valid = {str(v) for v, _label in getattr(filterset.filters[name].field, "choices", [])}
        values = [v for v in params.getlist(name) if v.strip() and v not in valid]
        notes.append(
            _("「%(label)s」の「%(values)s」は見つからないため、この条件を外して検索しました。")
            % {"label": labels[name], "values": "、".join(values or params.getlist(name))}
        )
    return notes


def known_choices(
    chosen: dict[str, list[str]], options: dict[str, list[tuple[str, str]]]
) -> dict[str, list[str]]:
    """Only the chosen values that are real options, for the 「N件選択」 badge and the
    ticked boxes: an unknown code (an old link, a typo) is not used by the search, so it
    is not counted either (``ignored_filters`` tells the user it was dropped)."""
    out = {}
    for name, values in chosen.items():
        valid = {str(value) for value, _label in options.get(name, [])}
        out[name] = [v for v in dict.fromkeys(values) if v in valid]
    return out
