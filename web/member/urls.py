"""The signed-in pages of an organization's members, mounted at ``/my/``."""

from django.urls import path

from web.member import (
    matches,
    meeting_day,
    meeting_guests,
    meetings,
    notifications,
    posts,
    privacy,
    requests,
)

urlpatterns = [
    path("", posts.home, name="member-home"),
    # 交流の場 (meetings), before the posts' "<post_type>/…" paths that would take them.
    path("meetings/", meetings.my_meetings, name="member-meetings"),
    path("meetings/new/", meetings.meeting_new, name="member-meeting-new"),
    path("meetings/<int:pk>/", meetings.meeting_manage, name="member-meeting-manage"),
    path("meetings/<int:pk>/edit/", meetings.meeting_edit, name="member-meeting-edit"),
    path("meetings/<int:pk>/publish/", meetings.meeting_publish, name="member-meeting-publish"),
    path("meetings/<int:pk>/cancel/", meetings.meeting_cancel, name="member-meeting-cancel"),
    path("meetings/<int:pk>/capacity/", meetings.meeting_capacity, name="member-meeting-capacity"),
    path("meetings/<int:pk>/invite/", meetings.meeting_invite, name="member-meeting-invite"),
    path(
        "meetings/<int:pk>/registrations/<int:rid>/approve/",
        meetings.registration_decide,
        {"decision": "approve"},
        name="member-registration-approve",
    ),
    path(
        "meetings/<int:pk>/registrations/<int:rid>/decline/",
        meetings.registration_decide,
        {"decision": "decline"},
        name="member-registration-decline",
    ),
    path(
        "meetings/registrations/<int:rid>/cancel/",
        meetings.registration_cancel,
        name="member-registration-cancel",
    ),
    # The organizer's pages of the day and after (meeting_day), and who comes and where
    # they sit (meeting_guests); a registration's own .ics and QR code.
    path(
        "meetings/<int:pk>/suggestions/",
        meeting_guests.suggestions,
        name="member-meeting-suggestions",
    ),
    path("meetings/<int:pk>/tables/", meeting_guests.table_groups, name="member-meeting-tables"),
    path(
        "meetings/<int:pk>/tables/print/",
        meeting_guests.tables_print,
        name="member-meeting-tables-print",
    ),
    path("meetings/<int:pk>/checkin/", meeting_day.checkin_list, name="member-meeting-checkin"),
    path("meetings/<int:pk>/checkin/qr/", meeting_day.qr_codes, name="member-meeting-qr-codes"),
    path(
        "meetings/<int:pk>/checkin/<int:rid>/",
        meeting_day.check_in,
        name="member-meeting-check-in",
    ),
    path(
        "meetings/<int:pk>/checkin/<int:rid>/undo/",
        meeting_day.undo_check_in,
        name="member-meeting-undo-check-in",
    ),
    path("meetings/<int:pk>/held/", meeting_day.mark_held, name="member-meeting-held"),
    path("meetings/<int:pk>/report/", meeting_day.report_page, name="member-meeting-report"),
    path("meetings/<int:pk>/minutes/", meeting_day.save_minutes, name="member-meeting-minutes"),
    path("meetings/<int:pk>/photos/", meeting_day.add_photo, name="member-meeting-photo-add"),
    path(
        "meetings/<int:pk>/photos/<int:pid>/remove/",
        meeting_day.remove_photo,
        name="member-meeting-photo-remove",
    ),
    path("meetings/<int:pk>/wishes/", meeting_day.wishes_received, name="member-meeting-wishes"),
    path(
        "meetings/registrations/<int:rid>.ics",
        meeting_day.registration_ics,
        name="member-registration-ics",
    ),
    path(
        "meetings/registrations/<int:rid>/qr/",
        meeting_day.registration_qr,
        name="member-registration-qr",
    ),
    path("<str:post_type>/new/", posts.post_edit, name="member-post-new"),
    path("<str:post_type>/<int:pk>/edit/", posts.post_edit, name="member-post-edit"),
    path("<str:post_type>/<int:pk>/suggestions/", posts.suggestions, name="member-suggestions"),
    path("<str:post_type>/<int:pk>/interest/", posts.interest, name="member-interest"),
    path("matches/<int:pk>/", matches.match_detail, name="member-match"),
    path("matches/<int:pk>/respond/", matches.match_respond, name="member-match-respond"),
    path("matches/<int:pk>/transition/", matches.match_step, name="member-match-step"),
    path("matches/<int:pk>/agree/", matches.match_agree, name="member-match-agree"),
    path("matches/<int:pk>/book/", matches.match_book, name="member-match-book"),
    path("matches/<int:pk>/evaluate/", matches.match_evaluate, name="member-match-evaluate"),
    path("consultations/<int:pk>/cancel/", matches.booking_cancel, name="member-booking-cancel"),
    path(
        "consultations/<int:pk>/reschedule/",
        matches.booking_reschedule,
        name="member-booking-reschedule",
    ),
    path("follow-ups/<int:pk>/", matches.follow_up_answer, name="member-follow-up"),
    path("consultations/<int:pk>.ics", matches.booking_ics, name="member-booking-ics"),
    path("notifications/", notifications.inbox, name="member-inbox"),
    path(
        "notifications/<int:pk>/open/",
        notifications.open_notification,
        name="member-notification-open",
    ),
    path("requests/", requests.sent_requests, name="member-sent-requests"),
    path("requests/<int:pk>/withdraw/", requests.withdraw_request, name="member-withdraw-request"),
    path("start/", requests.after_login, name="after-login"),
    path(
        "notifications/settings/",
        notifications.notification_settings,
        name="member-notification-settings",
    ),
    path("calendar/rotate/", notifications.rotate_feed, name="member-rotate-feed"),
    path("privacy/", privacy.privacy_home, name="member-privacy"),
    path("privacy/<int:pk>/export.json", privacy.privacy_export, name="member-privacy-export"),
    path("privacy/<int:pk>/delete/", privacy.privacy_delete, name="member-privacy-delete"),
]
