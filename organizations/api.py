from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet
from rest_framework import generics, mixins, permissions, viewsets

from organizations.filters import OrganizationFilter
from organizations.models import Area, Field, Organization, ResourceKind
from organizations.permissions import IsOrganizationEditor
from organizations.serializers import (
    AreaSerializer,
    FieldSerializer,
    MeSerializer,
    OrganizationSerializer,
    ResourceKindSerializer,
)


class ReferenceViewSet(viewsets.ReadOnlyModelViewSet):
    lookup_field = "code"
    pagination_class = None
    permission_classes = [permissions.AllowAny]


class FieldViewSet(ReferenceViewSet):
    """The 20 activity fields of the NPO Act."""

    queryset = Field.objects.all()
    serializer_class = FieldSerializer


class AreaViewSet(ReferenceViewSet):
    """The area hierarchy: city → ward → district → neighbourhood."""

    queryset = Area.objects.select_related("parent")
    serializer_class = AreaSerializer


class ResourceKindViewSet(ReferenceViewSet):
    queryset = ResourceKind.objects.all()
    serializer_class = ResourceKindSerializer


class OrganizationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Organizations. Anyone may read public fields; contact details are private.

    Organizations are never deleted through the API (``is_active=false`` retires one), so
    that the history of their matches is kept.
    """

    serializer_class = OrganizationSerializer
    filterset_class = OrganizationFilter
    permission_classes = [permissions.IsAuthenticatedOrReadOnly, IsOrganizationEditor]

    def get_queryset(self) -> QuerySet[Organization]:
        qs = Organization.objects.prefetch_related(
            Prefetch("fields", queryset=Field.objects.only("code")),
            Prefetch("areas", queryset=Area.objects.only("code")),
            Prefetch("resources", queryset=ResourceKind.objects.only("code")),
        )
        user = self.request.user
        if not (user.is_authenticated and user.can_coordinate):
            # Retired organizations stay visible to coordinators only; a self-registered one
            # is public once a coordinator has verified it (its own members see it at once).
            public = Q(is_verified=True)
            if user.is_authenticated:
                public |= Q(pk__in=user.organization_ids())
            qs = qs.filter(public, is_active=True)
        return qs.order_by("name", "pk")


class MeView(generics.RetrieveUpdateAPIView):
    """The signed-in user, their organizations and roles."""

    serializer_class = MeSerializer
    permission_classes = [permissions.IsAuthenticated]

    def get_object(self):
        return self.request.user
