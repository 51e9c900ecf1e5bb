"""The meetings API, mounted at ``/api/v1/``."""

from rest_framework import routers

from meetings.api import MeetingViewSet
from meetings.day.api import MeetingDayViewSet

router = routers.SimpleRouter()
router.register("meetings", MeetingViewSet, basename="meeting")
# The day and after, on the same prefix: detail actions only (no list or detail route).
router.register("meetings", MeetingDayViewSet, basename="meeting-day")

urlpatterns = router.urls
