"""Public pages for organizations (団体一覧). Never shows the private contact fields
(``organizations.serializers.PRIVATE_FIELDS``): the templates use only the public ones."""

from __future__ import annotations

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
from organizations.filters import OrganizationFilter
from organizations.models import Area, Field, Organization

SEARCH_PARAMS = ["q", "kind", "field", "area"]
CHOICE_LABELS = {"kind": _("種別"), "field": _("活動分野"), "area": _("地域")}


def public_organizations() -> QuerySet:
    """The directory (団体一覧): active organizations a coordinator has verified. The start
    page counts these too, so both show the same number."""
    return (
        # Unverified (self-registered) organizations appear once a coordinator confirms them.
        Organization.objects.filter(is_active=True, is_verified=True)
        .prefetch_related("fields", "areas")
        .order_by("name", "pk")
    )


def organization_list(request: HttpRequest) -> HttpResponse:
    filterset = OrganizationFilter(
        filter_data(request.GET, SEARCH_PARAMS), queryset=public_organizations()
    )
    chosen = selected(request.GET, SEARCH_PARAMS)
    options = {
        "kind": Organization.Kind.choices,
        "field": list(Field.objects.values_list("code", "name")),
        "area": Area.tree_choices(),
    }
    context = {
        "page": paginate(request, filterset.qs),
        "chosen": chosen,
        "chosen_lists": known_choices(chosen_lists(request.GET, list(CHOICE_LABELS)), options),
        "ignored": ignored_filters(filterset, request.GET, CHOICE_LABELS),
        "searched": any(chosen.values()),
        "kinds": options["kind"],
        "fields": options["field"],
        "areas": options["area"],
    }
    return render(request, "public/organization_list.html", context)


def organization_detail(request: HttpRequest, pk: int) -> HttpResponse:
    organization = get_object_or_404(public_organizations().prefetch_related("resources"), pk=pk)
    context = {
        "organization": organization,
        # Open posts only, as on the 協働メニュー (drafts stay private).
        "needs": organization.need_set.filter(status="open").order_by("-created_at"),
        "offers": organization.offer_set.filter(status="open").order_by("-created_at"),
    }
    return render(request, "public/organization_detail.html", context)
