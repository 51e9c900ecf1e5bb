"""The coordinators' home (``/coord/``): what needs their action, first thing after login.

Overdue deadlines (``matching.matches.deadlines``: answers, minutes, follow-ups) with a
link to each match, then the queues that wait for a coordinator (interest requests,
matches to introduce, to start consulting, to evaluate, case texts to approve,
organizations to verify) and their unread notifications. Counts
only; each links to the page where the work is done.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from matching.matches import deadlines, workflow
from matching.models import ConsultationBooking, InterestRequest, Match
from matching.outcomes import case_book
from matching.outcomes.evaluations import awaiting_coordinator_evaluation
from meetings.models import Meeting, Registration
from notifications import services as notices
from organizations.models import Organization
from web.coordinator.helpers import coordinator_required

# The overdue items listed on the home page (the rest are on the match board).
HOME_ITEMS = 20


@require_GET
@coordinator_required
def home(request: HttpRequest) -> HttpResponse:
    items = deadlines.overdue_items()
    now = timezone.now()
    today_end = timezone.localtime(now).replace(hour=23, minute=59, second=59)
    queues = [
        {
            "label": _("紹介の依頼（未対応）"),
            "count": InterestRequest.objects.filter(status=InterestRequest.Status.PENDING).count(),
            "url": "coord:interest",
        },
        {
            "label": _("紹介を待つマッチ（提案段階）"),
            "count": Match.objects.filter(state=Match.State.PROPOSED).count(),
            "url": "coord:matches",
        },
        # The coordinator's own steps of the lifecycle (issue 13); the board's cards say
        # the same next step.
        {
            "label": _("相談を始められるマッチ（すべての団体が前向き）"),
            "count": workflow.ready_to_consult().count(),
            "url": "coord:matches",
        },
        {
            "label": _("コーディネーターの評価を待つマッチ"),
            "count": awaiting_coordinator_evaluation().count(),
            "url": "coord:matches",
        },
        {
            "label": _("事例集の公開文の承認を待つ事例（すべての団体が同意済み）"),
            "count": case_book.awaiting_approval().count(),
            "url": "coord:matches",
        },
        # 交流の場: the organizer's pages are the members' (/my/meetings/), open to
        # coordinators for every meeting.
        {
            "label": _("交流の場: 承認待ちの参加申込"),
            "count": Registration.objects.filter(
                status=Registration.Status.PENDING_APPROVAL, meeting__starts_at__gt=now
            ).count(),
            "url": "member-meetings",
        },
        {
            "label": _("未確認の団体"),
            "count": Organization.objects.filter(is_verified=False, is_active=True).count(),
            "url": "coord:unverified",
        },
    ]
    context = {
        "summary": deadlines.summary(items),
        "items": items[:HOME_ITEMS],
        "more": max(0, len(items) - HOME_ITEMS),
        "queues": queues,
        "upcoming_meetings": Meeting.objects.filter(ends_at__gt=now)
        .exclude(status=Meeting.Status.CANCELLED)
        .count(),
        "today_consultations": ConsultationBooking.objects.filter(
            status=ConsultationBooking.Status.BOOKED,
            slot__starts_at__gte=now,
            slot__starts_at__lte=today_end,
        )
        .select_related("slot", "match")
        .order_by("slot__starts_at"),
        "unread": notices.unread_count(request.user),
        "notifications": notices.inbox(request.user)
        .filter(read_at__isnull=True)
        .order_by("-created_at", "-pk")[:5],
    }
    return render(request, "coordinator/home.html", context)
