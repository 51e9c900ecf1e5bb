"""Public pages for needs (協働テーマ) and offers (シーズ): the 協働メニュー and details.

Thin views: the API's visibility rule (``visible_posts``) and filters do the work.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext_lazy as _

from lib.pages import (
    chosen_lists,
    filter_data,
    ignored_filters,
    known_choices,
    paginate,
    selected,
)
from organizations.models import Area, Field
from proposals.api import visible_posts
from proposals.filters import NeedFilter, OfferFilter
from proposals.models import CollaborationForm, Need, Offer

SEARCH_PARAMS = ["q", "field", "area", "form"]
CHOICE_LABELS = {"field": _("活動分野"), "area": _("地域"), "form": _("協働の形態")}
TYPES = {"needs": (Need, NeedFilter), "offers": (Offer, OfferFilter)}


def public_posts(model: type[Need] | type[Offer]) -> QuerySet:
    """Open posts of active organizations: what anyone may see, whoever is logged in."""
    qs = model.objects.select_related("organization").prefetch_related("fields", "areas", "forms")
    return visible_posts(qs, AnonymousUser())


def menu(request: HttpRequest) -> HttpResponse:
    """協働メニュー: search open needs or offers by words, field, area and form."""
    post_type = request.GET.get("type")
    if post_type not in TYPES:
        post_type = "needs"
    model, filter_class = TYPES[post_type]
    filterset = filter_class(filter_data(request.GET, SEARCH_PARAMS), queryset=public_posts(model))
    options = {
        "field": list(Field.objects.values_list("code", "name")),
        "area": Area.tree_choices(),
        "form": list(CollaborationForm.objects.values_list("code", "name")),
    }
    context = {
        "post_type": post_type,
        "is_need": post_type == "needs",
        "page": paginate(request, filterset.qs),
        "chosen": selected(request.GET, SEARCH_PARAMS),
        "chosen_lists": known_choices(chosen_lists(request.GET, list(CHOICE_LABELS)), options),
        "ignored": ignored_filters(filterset, request.GET, CHOICE_LABELS),
        "searched": any(selected(request.GET, SEARCH_PARAMS).values()),
        "fields": options["field"],
        "areas": options["area"],
        "forms": options["form"],
    }
    return render(request, "public/menu.html", context)


def need_detail(request: HttpRequest, pk: int) -> HttpResponse:
    need = get_object_or_404(public_posts(Need).prefetch_related("poster_supports"), pk=pk)
    return render(request, "public/post_detail.html", {"post": need, "is_need": True})


def offer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    offer = get_object_or_404(public_posts(Offer).prefetch_related("resources"), pk=pk)
    return render(request, "public/post_detail.html", {"post": offer, "is_need": False})
