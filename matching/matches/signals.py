"""The ``match_transitioned`` signal: how the rest of matching (scoring, consultations,
outcomes) follows a match's transitions without the workflow importing any of them."""

from __future__ import annotations

from django.dispatch import Signal

# Sent by matching.matches.workflow after every successful match transition (inside its
# transaction): receivers schedule what follows (follow-ups, cancelled bookings, …).
# kwargs: match, name (transition), source, target, actor, comment.
match_transitioned = Signal()
