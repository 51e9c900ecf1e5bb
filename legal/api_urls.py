"""The legal documents' API, mounted at ``/api/v1/``."""

from django.urls import path
from rest_framework import routers

from legal.api import ConsentView, DocumentViewSet

router = routers.SimpleRouter()
router.register("legal/documents", DocumentViewSet, basename="legal-document")

urlpatterns = [
    *router.urls,
    path("legal/consents/", ConsentView.as_view(), name="legal-consents"),
]
