"""Helpers for the meetings tests: a published meeting and people to register."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from meetings import services
from meetings.models import Meeting


def make_meeting(organizer, user, *, publish: bool = True, **extra: Any) -> Meeting:
    start = (timezone.now() + dt.timedelta(days=10)).replace(microsecond=0)
    data: dict[str, Any] = {
        "kind": Meeting.Kind.EXCHANGE,
        "title": "子育て支援の交流会",
        "description": "子育て支援に取り組む団体と市の担当課の交流会です。",
        "venue_name": "市民活動サポートセンター",
        "starts_at": start,
        "ends_at": start + dt.timedelta(hours=2),
        "capacity": 5,
    }
    data.update(extra)
    meeting = services.create_meeting(user, organizer, **data)
    if publish:
        meeting = services.publish(meeting, user)
    return meeting
