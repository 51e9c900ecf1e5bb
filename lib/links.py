"""Where a notification sends people: the web pages a user reads, not the JSON API.

Paths only (the email renderer makes them absolute with the site URL). The member pages
live under /my/ and the coordinators' under /coord/; both are part of this platform, so
these strings are the contract with web/member/urls.py and web/coordinator/urls.py
(tests/web/test_web_member_match.py resolves every one of them).
"""

from __future__ import annotations


def match_page(match_id: int, anchor: str = "") -> str:
    """The match page every party and coordinator can open (/my/matches/<id>/)."""
    return f"/my/matches/{match_id}/" + (f"#{anchor}" if anchor else "")


def coordinator_match_page(match_id: int) -> str:
    return f"/coord/matches/{match_id}/"


def suggestions_page(side: str, post_id: int) -> str:
    """The suggestions for one's own need or offer (side: "need" or "offer")."""
    return f"/my/{side}s/{post_id}/suggestions/"


def post_edit_page(side: str, post_id: int) -> str:
    return f"/my/{side}s/{post_id}/edit/"


def interest_queue() -> str:
    """Coordinators: the interest requests waiting for a decision."""
    return "/coord/interest/"


def member_home() -> str:
    return "/my/"


def sent_requests() -> str:
    """Members: the interest requests their organizations sent (「送った依頼」)."""
    return "/my/requests/"


def coordinator_home() -> str:
    """Coordinators: what needs their action."""
    return "/coord/"
