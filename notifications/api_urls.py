"""The notifications API (inbox and delivery preferences), mounted at ``/api/v1/``."""

from django.urls import path
from rest_framework import routers

from notifications.api import NotificationPreferencesView, NotificationViewSet

router = routers.SimpleRouter()
router.register("notifications", NotificationViewSet, basename="notification")

urlpatterns = [
    *router.urls,
    path(
        "notification-preferences/",
        NotificationPreferencesView.as_view(),
        name="notification-preferences",
    ),
]
