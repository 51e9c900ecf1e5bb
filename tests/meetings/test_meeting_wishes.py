"""The post-meeting form (meetings.day.wishes): wishes become interest requests in the
coordinators' queue marked with the meeting, mutual wishes are marked on both, the match
keeps the origin, a target without an open post keeps the wish, outsiders are refused,
and the form has its window."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import make_need, make_offer
from day_support import ended, meeting_with_registrants, started
from django.utils import timezone
from workflow_support import suggest

from lib.errors import Conflict, Forbidden, Invalid
from matching.matches import interest
from matching.models import InterestRequest, Match
from meetings import services
from meetings.day import attendance, wishes
from meetings.models import Wish
from notifications.models import Notification

pytestmark = pytest.mark.django_db

Outcome = wishes.Outcome


@pytest.fixture
def day(people):
    """A department's 交流会 that ended an hour ago; three organizations took part, each
    with an open offer; the department has an open need."""
    day = meeting_with_registrants(people)
    for i, r in enumerate(day["reg"]):
        r["offer"] = make_offer(r["org"], f"参加団体{i}のできること")
    day["need"] = make_need(people["department"], "子育て支援課の協働テーマ")
    ended(day["meeting"])
    return day


def _submit(day, i, targets, message=""):
    r = day["reg"][i]
    return wishes.submit_wishes(day["meeting"], r["user"], r["org"], targets, message)


def _note(day, mutual=False):
    return wishes.origin_note(day["meeting"], mutual)


# --- wishes → interest requests -----------------------------------------------------------
def test_a_wish_becomes_an_interest_request_marked_with_the_meeting(day, people):
    a, b = day["reg"][0], day["reg"][1]
    result = _submit(day, 0, [b["org"].pk], "防災訓練を一緒に企画したいです。")
    [outcome] = result.outcomes
    assert outcome.outcome == Outcome.REQUESTED and not outcome.mutual
    request = outcome.wish.interest_request
    assert request.organization == a["org"] and request.offer == b["offer"]
    assert request.status == InterestRequest.Status.PENDING
    assert request.requested_by == a["user"]
    assert "防災訓練を一緒に企画したいです。" in request.message
    assert "参加団体1" in request.message
    meeting = day["meeting"]
    assert request.origin_note.startswith(f"交流の場「{meeting.title}」（")
    assert request.origin_note.endswith("）から")
    assert str(timezone.localdate(meeting.starts_at).day) in request.origin_note
    # In the coordinators' queue, like any 「この団体と話したい」.
    assert Notification.objects.filter(
        recipient=people["coordinator"], kind="interest.received"
    ).exists()


def test_the_request_points_at_the_targets_best_fitting_open_post(day, people):
    department = people["department"]
    wisher = day["reg"][0]
    fitting = make_need(department, "参加団体0にぴったりのテーマ")
    newest = make_need(department, "いちばん新しいテーマ")
    suggest(fitting, wisher["offer"], score=0.9)
    suggest(day["need"], wisher["offer"], score=0.4)
    result = _submit(day, 0, [department.pk])
    assert result.outcomes[0].wish.interest_request.need == fitting
    # Without any score between the two organizations: the target's newest open post.
    result = _submit(day, 1, [department.pk])
    assert result.outcomes[0].wish.interest_request.need == newest


def test_a_closed_post_is_never_pointed_at(day):
    target = day["reg"][1]
    target["offer"].status = "closed"
    target["offer"].save()
    result = _submit(day, 0, [target["org"].pk])
    assert result.outcomes[0].outcome == Outcome.NO_OPEN_POST


def test_mutual_wishes_mark_both_requests(day):
    a, b = day["reg"][0], day["reg"][1]
    first = _submit(day, 0, [b["org"].pk]).outcomes[0]
    assert first.wish.interest_request.origin_note == _note(day)
    second = _submit(day, 1, [a["org"].pk]).outcomes[0]
    assert second.mutual
    assert second.wish.interest_request.origin_note == _note(day, mutual=True)
    first.wish.interest_request.refresh_from_db()
    assert first.wish.interest_request.origin_note.endswith("（双方が希望）")
    assert wishes.mutual_pairs(day["meeting"]) == {
        (a["org"].pk, b["org"].pk),
        (b["org"].pk, a["org"].pk),
    }


def test_the_match_keeps_the_meeting_as_its_origin(day, people):
    a, b = day["reg"][0], day["reg"][1]
    _submit(day, 0, [b["org"].pk])
    request = _submit(day, 1, [a["org"].pk]).outcomes[0].wish.interest_request
    accepted = interest.accept_interest_request(people["coordinator"], request)
    match = Match.objects.get(pk=accepted.match_id)
    assert match.origin == Match.Origin.MEETING
    assert match.origin_note == _note(day, mutual=True)
    assert {p.organization_id for p in match.parties.all()} == {a["org"].pk, b["org"].pk}


def test_a_target_without_an_open_post_keeps_the_wish(day, people):
    silent = day["reg"][2]
    silent["offer"].delete()
    result = _submit(day, 0, [silent["org"].pk, day["reg"][1]["org"].pk], "また会いたい")
    outcomes = {o.wish.target_id: o.outcome for o in result.outcomes}
    assert outcomes == {
        silent["org"].pk: Outcome.NO_OPEN_POST,
        day["reg"][1]["org"].pk: Outcome.REQUESTED,
    }
    kept = Wish.objects.get(target=silent["org"])
    assert kept.interest_request is None and kept.message == "また会いたい"
    assert [w.pk for w in result.without_post] == [kept.pk]
    # The coordinators hear of it all the same.
    told = Notification.objects.get(
        recipient=people["coordinator"], kind="meeting.wish_without_post"
    )
    assert silent["org"].name in told.body


def test_a_pending_request_of_the_organization_is_joined_not_repeated(day):
    a, b = day["reg"][0], day["reg"][1]
    asked = interest.create_interest_request(
        a["user"], a["org"], offer=b["offer"], message="前から"
    )
    result = _submit(day, 0, [b["org"].pk])
    assert result.outcomes[0].outcome == Outcome.ALREADY_REQUESTED
    assert result.outcomes[0].wish.interest_request == asked
    assert InterestRequest.objects.filter(organization=a["org"]).count() == 1


def test_a_new_answer_replaces_the_wishes_not_yet_requested(day):
    a, b, c = day["reg"]
    c["offer"].delete()
    _submit(day, 0, [b["org"].pk, c["org"].pk], "最初の回答")
    result = _submit(day, 0, [b["org"].pk], "二度目の回答")
    assert [o.outcome for o in result.outcomes] == [Outcome.KEPT]
    # The request already in the queue stays; the wish without a request is replaced.
    remaining = Wish.objects.filter(organization=a["org"])
    assert [w.target_id for w in remaining] == [b["org"].pk]
    assert remaining[0].message == "最初の回答"
    assert InterestRequest.objects.filter(organization=a["org"]).count() == 1


# --- who ----------------------------------------------------------------------------------
def test_participants_are_those_checked_in_and_the_organizer(day, people):
    meeting = day["meeting"]
    everyone = {r["org"].pk for r in day["reg"]} | {people["department"].pk}
    assert wishes.participant_ids(meeting) == everyone
    started(meeting, ago=dt.timedelta(hours=1))
    attendance.check_in(day["reg"][0]["registration"], day["organizer"])
    attendance.check_in(day["reg"][1]["registration"], day["organizer"])
    ended(meeting)
    assert wishes.participant_ids(meeting) == {
        day["reg"][0]["org"].pk,
        day["reg"][1]["org"].pk,
        people["department"].pk,
    }
    # Not checked in: no longer a participant, neither to answer nor to be named.
    with pytest.raises(Forbidden):
        _submit(day, 2, [day["reg"][0]["org"].pk])
    with pytest.raises(Invalid) as exc:
        _submit(day, 0, [day["reg"][2]["org"].pk])
    assert exc.value.field == "targets"
    # The organizer organization answers too (its staff were in the room).
    result = wishes.submit_wishes(
        meeting, people["staff"], people["department"], [day["reg"][0]["org"].pk]
    )
    assert result.outcomes[0].outcome == Outcome.REQUESTED


def test_outsiders_are_refused(day, people):
    meeting = day["meeting"]
    a, b = day["reg"][0], day["reg"][1]
    # Not a member of the organization answered for.
    with pytest.raises(Forbidden):
        wishes.submit_wishes(meeting, b["user"], a["org"], [b["org"].pk])
    with pytest.raises(Forbidden):
        wishes.submit_wishes(meeting, people["coordinator"], a["org"], [b["org"].pk])
    # An organization that did not take part.
    with pytest.raises(Forbidden):
        wishes.submit_wishes(meeting, day["outsider"], day["outsider_org"], [a["org"].pk])
    # Only other participants may be named.
    with pytest.raises(Invalid):
        _submit(day, 0, [day["outsider_org"].pk])
    with pytest.raises(Invalid):
        _submit(day, 0, [a["org"].pk])
    assert not Wish.objects.exists() and not InterestRequest.objects.exists()


def test_a_waitlisted_organization_did_not_take_part(people):
    day = meeting_with_registrants(people, count=2)
    from conftest import make_org, make_user

    services.update_meeting(day["meeting"], day["organizer"], capacity=4)
    late = make_org("キャンセル待ちの会", "citizen_group")
    late_user = make_user("late", late)
    services.register(day["meeting"], late, late_user, 1)
    ended(day["meeting"])
    with pytest.raises(Forbidden):
        wishes.submit_wishes(day["meeting"], late_user, late, [day["reg"][0]["org"].pk])


# --- when ---------------------------------------------------------------------------------
def test_the_form_opens_at_the_end_and_closes_after_30_days(day):
    meeting = day["meeting"]
    target = [day["reg"][1]["org"].pk]
    started(meeting)
    with pytest.raises(Conflict) as exc:
        _submit(day, 0, target)
    assert exc.value.code == "too_early"
    assert not wishes.is_open(meeting)
    ended(meeting, ago=dt.timedelta(days=wishes.WISH_DAYS, minutes=1))
    with pytest.raises(Conflict) as exc:
        _submit(day, 0, target)
    assert exc.value.code == "deadline"
    ended(meeting, ago=dt.timedelta(days=wishes.WISH_DAYS - 1))
    assert wishes.is_open(meeting)
    assert _submit(day, 0, target).outcomes[0].outcome == Outcome.REQUESTED


def test_no_form_for_a_cancelled_meeting(day):
    services.cancel_meeting(day["meeting"], day["coordinator"])
    with pytest.raises(Conflict):
        _submit(day, 0, [day["reg"][1]["org"].pk])


# --- the API ------------------------------------------------------------------------------
def _url(day):
    return f"/api/v1/meetings/{day['meeting'].pk}/wishes/"


def test_api_submit_and_see_ones_own(api, day):
    a, b, c = day["reg"]
    c["offer"].delete()
    api.force_authenticate(a["user"])
    body = {"organization": a["org"].pk, "targets": [b["org"].pk, c["org"].pk], "message": "ぜひ"}
    r = api.post(_url(day), body, format="json")
    assert r.status_code == 201, r.data
    assert {w["target_name"]: w["outcome"] for w in r.data} == {
        "参加団体1": "requested",
        "参加団体2": "no_open_post",
    }
    api.force_authenticate(b["user"])
    r = api.post(_url(day), {"organization": b["org"].pk, "targets": [a["org"].pk]}, format="json")
    assert r.status_code == 201 and r.data[0]["mutual"] is True
    # b sees its own wish only; the organizer sees all three.
    r = api.get(_url(day))
    assert r.status_code == 200 and r.data["open"] is True
    assert [w["organization"] for w in r.data["wishes"]] == [b["org"].pk]
    assert {p["name"] for p in r.data["participants"]} >= {"参加団体0", "参加団体1"}
    api.force_authenticate(day["organizer"])
    r = api.get(_url(day))
    assert len(r.data["wishes"]) == 3
    assert {w["interest_request_status"] for w in r.data["wishes"]} == {"pending", None}


def test_api_outsiders_are_refused(api, day):
    a = day["reg"][0]
    assert api.get(_url(day)).status_code == 401
    api.force_authenticate(day["outsider"])
    assert api.get(_url(day)).status_code == 403
    body = {"organization": day["outsider_org"].pk, "targets": [a["org"].pk]}
    assert api.post(_url(day), body, format="json").status_code == 403
    body = {"organization": a["org"].pk, "targets": [day["reg"][1]["org"].pk]}
    assert api.post(_url(day), body, format="json").status_code == 403
    api.force_authenticate(a["user"])
    body = {"organization": a["org"].pk, "targets": [day["outsider_org"].pk]}
    r = api.post(_url(day), body, format="json")
    assert r.status_code == 400 and "targets" in r.data
    assert not Wish.objects.exists()


# --- the coordinators' pages --------------------------------------------------------------
def test_the_coordinators_queue_and_match_page_show_the_meeting(client, day, people):
    a, b = day["reg"][0], day["reg"][1]
    _submit(day, 0, [b["org"].pk])
    request = _submit(day, 1, [a["org"].pk]).outcomes[0].wish.interest_request
    client.force_login(people["coordinator"])
    page = client.get("/coord/interest/").content.decode()
    assert "交流の場から" in page
    assert _note(day, mutual=True) in page
    accepted = interest.accept_interest_request(people["coordinator"], request)
    page = client.get(f"/coord/matches/{accepted.match_id}/").content.decode()
    assert "交流の場での出会い" in page and _note(day, mutual=True) in page
