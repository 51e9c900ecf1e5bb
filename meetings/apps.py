from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeetingsConfig(AppConfig):
    name = "meetings"
    verbose_name = _("交流の場")

    def ready(self) -> None:
        # The meetings a person registered for or organizes go into their private
        # calendar feed, which matching serves without importing meetings (the layers):
        # it asks the registry in lib.calendar_feed, where meetings adds itself.
        from lib import calendar_feed
        from meetings import calendar

        calendar_feed.register("meetings", calendar.feed_events)
