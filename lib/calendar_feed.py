"""What else goes into a person's private calendar feed (``/calendar/<token>.ics``).

The feed is matching's (``matching/consultations/ical.py``: the token, the URL, the
consultations), but people also want the meetings (交流の場) they registered for or
organize in the same calendar. ``meetings`` sits above ``matching`` in the layers, so
matching may not ask meetings for them. Instead the apps above **register a provider**
here at start-up (``MeetingsConfig.ready``): a function that takes the user and returns
their iCalendar events. The feed asks this registry and adds whatever the providers give,
without knowing who they are. This module imports no app, like the rest of ``lib``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from icalendar import Event

# user -> that user's events (already filtered to what the user may see)
Provider = Callable[[Any], Iterable[Event]]

_PROVIDERS: dict[str, Provider] = {}


def register(name: str, provider: Provider) -> None:
    """Add (or replace, by name: ``ready()`` may run more than once) a provider."""
    _PROVIDERS[name] = provider


def providers() -> list[str]:
    """The names of the registered providers, in the order their events are added."""
    return sorted(_PROVIDERS)


def events_for(user: Any) -> list[Event]:
    """Every registered provider's events for ``user``, providers in name order."""
    events: list[Event] = []
    for name in providers():
        events.extend(_PROVIDERS[name](user))
    return events
