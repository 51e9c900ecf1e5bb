"""Matching's URLs outside the API: the consultation calendar feed that calendar apps
subscribe to (token in the path, no login)."""

from django.urls import path

from matching.consultations.api import calendar_feed

urlpatterns = [
    path("calendar/<slug:token>.ics", calendar_feed, name="calendar-feed"),
]
