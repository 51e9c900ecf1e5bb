from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from lib.dates import DayField
from organizations.filters import AreaFilterMixin, CodeMultipleFilter, TextSearchMixin
from organizations.models import Field, Organization
from proposals.models import CollaborationForm, Need, Offer, Status


class DayFilter(django_filters.DateFilter):
    """A date read as every date parameter is (``lib.dates.parse_day``)."""

    field_class = DayField


class PostFilter(AreaFilterMixin, TextSearchMixin):
    field = CodeMultipleFilter(field_name="fields__code", queryset=Field.objects.all())
    form = CodeMultipleFilter(field_name="forms__code", queryset=CollaborationForm.objects.all())
    status = django_filters.MultipleChoiceFilter(choices=Status.choices)
    organization = django_filters.ModelChoiceFilter(queryset=Organization.objects.all())
    organization_kind = django_filters.MultipleChoiceFilter(
        field_name="organization__kind", choices=Organization.Kind.choices
    )
    active_on = DayFilter(method="filter_active_on", label=_("この日に期間中のもの"))
    ordering = django_filters.OrderingFilter(
        fields=["created_at", "updated_at", "title", "starts_on", "ends_on"]
    )

    def filter_active_on(self, queryset, name, value):
        return queryset.exclude(starts_on__gt=value).exclude(ends_on__lt=value)


class NeedFilter(PostFilter):
    kind = django_filters.MultipleChoiceFilter(choices=Need.Kind.choices)

    class Meta:
        model = Need
        fields: list[str] = []


class OfferFilter(PostFilter):
    class Meta:
        model = Offer
        fields: list[str] = []
