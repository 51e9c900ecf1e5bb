from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from lib.api import text_search
from organizations.models import Area, Field, Organization


def area_ids_covering(areas: list[Area]) -> set[int]:
    """Areas whose posts are relevant to a place: the place itself, the districts inside
    it, and the areas containing it (a citywide post covers every ward)."""
    roots = [a.pk for a in areas]
    return Area.descendant_ids(roots) | Area.ancestor_ids(roots)


@extend_schema_field(OpenApiTypes.STR)
class CodeMultipleFilter(django_filters.ModelMultipleChoiceFilter):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("to_field_name", "code")
        kwargs.setdefault("distinct", True)
        super().__init__(*args, **kwargs)


class AreaFilterMixin(django_filters.FilterSet):
    area = django_filters.ModelMultipleChoiceFilter(
        queryset=Area.objects.all(),
        to_field_name="code",
        method="filter_area",
        label=_("地域（下位の地域と市全体を含む）"),
    )

    @extend_schema_field(OpenApiTypes.STR)
    def filter_area(self, queryset: QuerySet, name: str, value) -> QuerySet:
        if not value:
            return queryset
        return queryset.filter(areas__in=area_ids_covering(list(value))).distinct()


class TextSearchMixin(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("キーワード"), max_length=200)

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return text_search(queryset, value) if value.strip() else queryset


class OrganizationFilter(AreaFilterMixin, TextSearchMixin):
    field = CodeMultipleFilter(field_name="fields__code", queryset=Field.objects.all())
    kind = django_filters.MultipleChoiceFilter(choices=Organization.Kind.choices)
    npo_status = django_filters.ChoiceFilter(choices=Organization.NpoStatus.choices[1:])
    ordering = django_filters.OrderingFilter(fields=["name", "created_at", "updated_at"])

    class Meta:
        model = Organization
        fields = ["is_active", "is_verified"]
