"""Where an interest request came from (``origin_note``, written by the post-meeting form
in meetings.day.wishes): the match a coordinator makes of it keeps it, as origin "meeting"."""

from __future__ import annotations

import pytest
from workflow_support import pair

from matching.matches import interest
from matching.models import Match

pytestmark = pytest.mark.django_db

NOTE = "交流の場「子育て支援の交流会」（2026年11月5日(木)）から"


def test_a_request_with_an_origin_note_makes_a_match_from_a_meeting(people):
    need, _offer = pair(people)
    request = interest.create_interest_request(
        people["other"], people["group"], need=need, message="また話したい", origin_note=NOTE
    )
    assert request.origin_note == NOTE
    accepted = interest.accept_interest_request(people["coordinator"], request)
    match = Match.objects.get(pk=accepted.match_id)
    assert match.origin == Match.Origin.MEETING
    assert match.origin_note == NOTE


def test_a_request_without_one_stays_an_interest_request_match(people):
    need, _offer = pair(people)
    request = interest.create_interest_request(people["other"], people["group"], need=need)
    match = Match.objects.get(
        pk=interest.accept_interest_request(people["coordinator"], request).match_id
    )
    assert match.origin == Match.Origin.INTEREST and match.origin_note == ""


def test_the_note_is_updated_on_the_request_and_its_match(people):
    need, _offer = pair(people)
    request = interest.create_interest_request(
        people["other"], people["group"], need=need, origin_note=NOTE
    )
    accepted = interest.accept_interest_request(people["coordinator"], request)
    interest.update_origin_note(request.pk, NOTE + "（双方が希望）")
    accepted.refresh_from_db()
    assert accepted.origin_note.endswith("（双方が希望）")
    assert Match.objects.get(pk=accepted.match_id).origin_note == NOTE + "（双方が希望）"
