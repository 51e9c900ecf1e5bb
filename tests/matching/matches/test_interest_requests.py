"""「この団体と話したい」: requests for an introduction go to the coordinators, who turn
them into matches or decline them; the requester may withdraw."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry
from conftest import make_user
from django.contrib.contenttypes.models import ContentType
from workflow_support import pair

from matching.models import InterestRequest, Match
from notifications.models import Notification

pytestmark = pytest.mark.django_db

URL = "/api/v1/interest-requests/"


def as_user(api, user):
    api.force_authenticate(user)
    api.default_format = "json"
    return api


@pytest.fixture
def posts(people):
    need, offer = pair(people)
    return {"need": need, "offer": offer}


def test_request_accept_and_introduce(api, people, posts):
    # the citizen group wants to talk to the department about its need
    r = as_user(api, people["other"]).post(
        URL, {"need": posts["need"].pk, "message": "子育て世代の見守りで協力できます。"}
    )
    assert r.status_code == 201, r.data
    assert r.data["organization"] == people["group"].pk and r.data["status"] == "pending"
    request_id = r.data["id"]
    # the coordinators are told; the department is not (the coordinator stays in the loop)
    assert Notification.objects.filter(
        recipient=people["coordinator"], kind="interest.received"
    ).exists()
    assert not Notification.objects.filter(recipient=people["staff"]).exists()
    # who sees it
    assert as_user(api, people["coordinator"]).get(URL).data["count"] == 1
    assert as_user(api, people["other"]).get(URL).data["count"] == 1
    assert as_user(api, people["staff"]).get(URL).data["count"] == 0
    assert api.get(f"{URL}{request_id}/").status_code == 404
    # only coordinators handle it
    r = as_user(api, people["other"]).post(f"{URL}{request_id}/accept/")
    assert r.status_code == 403
    r = as_user(api, people["coordinator"]).post(
        f"{URL}{request_id}/accept/", {"comment": "紹介します"}
    )
    assert r.status_code == 200, r.data
    assert r.data["status"] == "accepted" and r.data["handled_by"] == "coordinator"
    match = Match.objects.get(pk=r.data["match"])
    assert match.origin == "interest" and match.need == posts["need"] and match.state == "proposed"
    roles = dict(match.parties.values_list("organization_id", "role"))
    assert roles == {people["department"].pk: "need_poster", people["group"].pk: "offer_poster"}
    assert Notification.objects.filter(recipient=people["other"], kind="interest.accepted").exists()
    # handled once only
    r = api.post(f"{URL}{request_id}/decline/", {"comment": "x"})
    assert r.status_code == 409
    # the match follows the usual workflow
    r = api.post(f"/api/v1/matches/{match.pk}/transition/", {"action": "introduce"})
    assert r.status_code == 200 and r.data["state"] == "introduced"
    # audited, with the actor
    ct = ContentType.objects.get_for_model(InterestRequest)
    assert LogEntry.objects.filter(content_type=ct, actor=people["other"]).exists()
    assert LogEntry.objects.filter(content_type=ct, actor=people["coordinator"]).exists()


def test_request_about_an_offer_makes_the_requester_the_need_side(api, people, posts):
    r = as_user(api, people["staff"]).post(URL, {"offer": posts["offer"].pk})
    assert r.status_code == 201, r.data
    r = as_user(api, people["coordinator"]).post(f"{URL}{r.data['id']}/accept/")
    match = Match.objects.get(pk=r.data["match"])
    roles = dict(match.parties.values_list("organization_id", "role"))
    assert roles == {people["npo"].pk: "offer_poster", people["department"].pk: "need_poster"}


def test_bad_requests(api, people, posts):
    as_user(api, people["member"])
    # its own organization's post
    r = api.post(URL, {"offer": posts["offer"].pk})
    assert r.status_code == 400 and "offer" in r.data
    # both or neither post
    assert api.post(URL, {}).status_code == 400
    r = api.post(URL, {"need": posts["need"].pk, "offer": posts["offer"].pk})
    assert r.status_code == 400
    # for an organization the user is not a member of
    r = api.post(URL, {"need": posts["need"].pk, "organization": people["group"].pk})
    assert r.status_code == 403
    # one pending request per organization and post
    assert api.post(URL, {"need": posts["need"].pk}).status_code == 201
    r = api.post(URL, {"need": posts["need"].pk})
    assert r.status_code == 400 and "need" in r.data
    # a post that is not open
    posts["need"].status = "paused"
    posts["need"].save()
    r = as_user(api, people["other"]).post(URL, {"need": posts["need"].pk})
    assert r.status_code == 400 and "need" in r.data
    # coordinators with no organization cannot request for none
    r = as_user(api, people["coordinator"]).post(URL, {"offer": posts["offer"].pk})
    assert r.status_code == 400 and "organization" in r.data
    assert InterestRequest.objects.count() == 1


def test_a_user_in_two_organizations_names_one(api, people, posts):
    both = make_user("both", people["group"])
    both.memberships.create(organization=people["department"])
    r = as_user(api, both).post(URL, {"offer": posts["offer"].pk})
    assert r.status_code == 400 and "organization" in r.data
    r = api.post(URL, {"offer": posts["offer"].pk, "organization": people["group"].pk})
    assert r.status_code == 201


def test_decline_needs_a_comment_and_tells_the_requester(api, people, posts):
    r = as_user(api, people["other"]).post(URL, {"need": posts["need"].pk})
    pk = r.data["id"]
    as_user(api, people["coordinator"])
    r = api.post(f"{URL}{pk}/decline/")
    assert r.status_code == 400 and "comment" in r.data
    r = api.post(f"{URL}{pk}/decline/", {"comment": "すでに別の団体と進めています。"})
    assert r.status_code == 200 and r.data["status"] == "declined"
    note = Notification.objects.get(recipient=people["other"], kind="interest.declined")
    assert "別の団体" in note.body
    assert not Match.objects.exists()
    # a new request is possible once the old one is closed
    assert as_user(api, people["other"]).post(URL, {"need": posts["need"].pk}).status_code == 201


def test_withdraw(api, people, posts):
    r = as_user(api, people["other"]).post(URL, {"need": posts["need"].pk})
    pk = r.data["id"]
    # not by a coordinator, not by another organization
    assert as_user(api, people["coordinator"]).post(f"{URL}{pk}/withdraw/").status_code == 403
    assert as_user(api, people["member"]).post(f"{URL}{pk}/withdraw/").status_code == 404
    r = as_user(api, people["other"]).post(f"{URL}{pk}/withdraw/")
    assert r.status_code == 200 and r.data["status"] == "withdrawn"
    assert api.post(f"{URL}{pk}/withdraw/").status_code == 409
    r = as_user(api, people["coordinator"]).post(f"{URL}{pk}/accept/")
    assert r.status_code == 409 and "取り下げ" in r.data["detail"]
    assert not Match.objects.exists()


def test_filter_by_status(api, people, posts):
    as_user(api, people["other"]).post(URL, {"need": posts["need"].pk})
    as_user(api, people["staff"]).post(URL, {"offer": posts["offer"].pk})
    as_user(api, people["coordinator"])
    assert api.get(URL, {"status": "pending"}).data["count"] == 2
    assert api.get(URL, {"status": "accepted"}).data["count"] == 0
    assert api.get(URL, {"organization": people["group"].pk}).data["count"] == 1
