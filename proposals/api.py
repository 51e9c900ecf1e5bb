from __future__ import annotations

from django.db.models import Q, QuerySet
from rest_framework import mixins, permissions, viewsets

from organizations.api import ReferenceViewSet
from organizations.permissions import IsPostEditor
from proposals.filters import NeedFilter, OfferFilter
from proposals.models import CollaborationForm, Need, Offer, Status, Support
from proposals.serializers import (
    CollaborationFormSerializer,
    NeedSerializer,
    OfferSerializer,
    SupportSerializer,
)


class CollaborationFormViewSet(ReferenceViewSet):
    """The 8 forms of collaboration."""

    queryset = CollaborationForm.objects.all()
    serializer_class = CollaborationFormSerializer


class SupportViewSet(ReferenceViewSet):
    queryset = Support.objects.all()
    serializer_class = SupportSerializer


def visible_posts(queryset: QuerySet, user) -> QuerySet:
    """Open posts of active, verified organizations for everyone; drafts, closed posts and
    posts of organizations awaiting verification only to their organization and to
    coordinators."""
    if user.is_authenticated and user.can_coordinate:
        return queryset
    public = Q(status=Status.OPEN, organization__is_active=True, organization__is_verified=True)
    if user.is_authenticated:
        return queryset.filter(public | Q(organization__in=user.organization_ids()))
    return queryset.filter(public)


class PostViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    # Posts are archived, never deleted, so that matches keep their history.
    permission_classes = [permissions.IsAuthenticatedOrReadOnly, IsPostEditor]
    model: type[Need] | type[Offer]

    def get_queryset(self) -> QuerySet:
        qs = self.model.objects.select_related("organization", "author").prefetch_related(
            "fields", "areas", "forms", "resources"
        )
        return visible_posts(qs, self.request.user)


class NeedViewSet(PostViewSet):
    """Needs (協働テーマ): what a department or group wants a partner for."""

    model = Need
    serializer_class = NeedSerializer
    filterset_class = NeedFilter

    def get_queryset(self) -> QuerySet:
        return super().get_queryset().prefetch_related("poster_supports")


class OfferViewSet(PostViewSet):
    """Offers (シーズ): what an organization can provide."""

    model = Offer
    serializer_class = OfferSerializer
    filterset_class = OfferFilter
