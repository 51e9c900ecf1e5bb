"""The organizations API, mounted at ``/api/v1/`` by the project URLconf."""

from django.urls import path
from rest_framework import routers

from organizations.api import (
    AreaViewSet,
    FieldViewSet,
    MeView,
    OrganizationViewSet,
    ResourceKindViewSet,
)

router = routers.SimpleRouter()
router.register("organizations", OrganizationViewSet, basename="organization")
router.register("fields", FieldViewSet, basename="field")
router.register("areas", AreaViewSet, basename="area")
router.register("resource-kinds", ResourceKindViewSet, basename="resource-kind")

urlpatterns = [
    *router.urls,
    path("me/", MeView.as_view(), name="me"),
]
