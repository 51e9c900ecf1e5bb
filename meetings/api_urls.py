"""The meetings API, mounted at ``/api/v1/``."""

from rest_framework import routers

from meetings.api import MeetingViewSet

router = routers.SimpleRouter()
router.register("meetings", MeetingViewSet, basename="meeting")

urlpatterns = router.urls
