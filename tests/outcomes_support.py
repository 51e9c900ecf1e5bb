"""Helpers for the outcome tests (deadlines, evaluations, follow-ups): matches built with
the ORM, without the workflow module (its state field is protected, so states are set
with ``update()``)."""

from __future__ import annotations

import datetime as dt
import sys
import types
from collections.abc import Iterable

from conftest import make_need, make_offer
from django.utils import timezone


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    """An aware datetime in Asia/Tokyo."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


def make_match(
    people,
    *,
    state: str = "completed",
    title: str = "見守り活動の協働",
    completed_on: dt.date | None = dt.date(2026, 3, 31),
    form: str | None = None,
    need_fields: Iterable[str] = (),
    offer_fields: Iterable[str] = (),
    parties: Iterable[str] = ("department", "npo"),
    response_due_on: dt.date | None = None,
    coordinator=None,
):
    from matching.models import Match, MatchParty
    from proposals.models import CollaborationForm

    need = make_need(people["department"], title=f"{title}（ニーズ）", fields=list(need_fields))
    offer = make_offer(people["npo"], title=f"{title}（シーズ）", fields=list(offer_fields))
    match = Match.objects.create(
        title=title,
        need=need,
        offer=offer,
        form=CollaborationForm.objects.get(code=form) if form else None,
        coordinator=coordinator,
        response_due_on=response_due_on,
    )
    roles = {"department": "need_poster", "npo": "offer_poster"}
    for key in parties:
        MatchParty.objects.create(
            match=match, organization=people[key], role=roles.get(key, "partner")
        )
    Match.objects.filter(pk=match.pk).update(
        state=state, completed_at=at(completed_on) if completed_on else None
    )
    return Match.objects.get(pk=match.pk)  # protected field: no refresh_from_db


class WorkflowStub:
    """Stands in for ``matching.workflow`` while it is being written elsewhere: its
    ``mark_evaluated`` moves the match the way the real transition does."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, object, str]] = []
        self.module = types.ModuleType("matching.workflow")
        self.module.mark_evaluated = self.mark_evaluated

    def mark_evaluated(self, match, actor=None, comment: str = "") -> None:
        from matching.models import Match

        assert match.state == "completed"
        self.calls.append((match.pk, actor, comment))
        Match.objects.filter(pk=match.pk).update(state="evaluated", closed_at=timezone.now())

    def install(self, monkeypatch) -> WorkflowStub:
        """Replace ``mark_evaluated`` only (the rest of the real module, if it exists,
        is used by the URLconf); without the module, stand in for all of it."""
        try:
            from matching.matches import workflow
        except ImportError:
            import matching

            monkeypatch.setitem(sys.modules, "matching.workflow", self.module)
            monkeypatch.setattr(matching, "workflow", self.module, raising=False)
        else:
            monkeypatch.setattr(workflow, "mark_evaluated", self.mark_evaluated, raising=False)
        return self
