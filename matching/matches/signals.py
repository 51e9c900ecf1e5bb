"""Matching listens to proposals (proposals never imports matching)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent by matching.workflow after every successful match transition (inside its
# transaction): receivers schedule what follows (follow-ups, cancelled bookings, …).
# kwargs: match, name (transition), source, target, actor, comment.
match_transitioned = Signal()
