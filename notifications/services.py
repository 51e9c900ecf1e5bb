"""``notify(...)``: the one function the other apps call. It imports none of them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from .models import Notification


@transaction.atomic
def notify(
    recipients: Iterable[Any],
    kind: str,
    title: str,
    body: str = "",
    *,
    url: str = "",
    payload: dict | None = None,
    dedupe_key: str | None = None,
) -> list[Notification]:
    """Record a notification for each recipient (users; duplicates and inactive users are
    skipped), inside the caller's transaction: if the event rolls back, so does its
    notification. With ``dedupe_key``, a recipient already notified of this event is not
    notified again."""
    seen: set[int] = set()
    created: list[Notification] = []
    for user in recipients:
        if user is None or user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        if dedupe_key:
            row, made = Notification.objects.get_or_create(
                recipient=user,
                dedupe_key=dedupe_key,
                defaults={
                    "kind": kind,
                    "title": title[:200],
                    "body": body,
                    "url": url,
                    "payload": payload or {},
                },
            )
            if made:
                created.append(row)
            continue
        created.append(
            Notification.objects.create(
                recipient=user,
                kind=kind,
                title=title[:200],
                body=body,
                url=url,
                payload=payload or {},
            )
        )
    return created
