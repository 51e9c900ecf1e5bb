"""What every page's header needs: the signed-in person's unread notifications.

Lazy: the count is a callable the template calls only where it shows it (the header, once
per page, ``{% with %}``), one indexed ``COUNT`` of the person's unread rows; pages without
a signed-in user cost nothing.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.http import HttpRequest

from notifications import services as notices


def unread_notifications(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    @cache
    def count() -> int:
        return notices.unread_count(user)

    return {"unread_notifications": count}
