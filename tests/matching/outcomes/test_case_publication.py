"""Issue 13: publication in the case book (事例集) is a decision. A completed match is
public only when every party still in has consented (each for itself, revocable) and a
coordinator approved the public text; each decision is in the match's history."""

from __future__ import annotations

import pytest
from workflow_support import drive, two_party_match

from matching.models import MatchTransition
from matching.outcomes import case_book
from notifications.models import Notification

pytestmark = pytest.mark.django_db


def url(match) -> str:
    return f"/api/v1/matches/{match.pk}/publication/"


def as_user(api, user):
    api.force_authenticate(user)
    api.default_format = "json"
    return api


@pytest.fixture
def completed(people):
    return drive(two_party_match(people), "completed", people["coordinator"])


def test_public_only_with_every_consent_and_the_approved_text(people, api, completed):
    assert not case_book.is_public(completed)
    r = as_user(api, people["member"]).post(url(completed), {"action": "consent"})
    assert r.status_code == 200 and r.data["public"] is False, r.data
    r = as_user(api, people["staff"]).post(url(completed), {"action": "consent"})
    assert r.status_code == 200 and r.data["public"] is False  # no approved text yet
    r = as_user(api, people["coordinator"]).post(
        url(completed), {"action": "approve", "text": "高齢者の見守りが北区全体に広がった。"}
    )
    assert r.status_code == 200 and r.data["public"] is True and r.data["approved"] is True
    assert list(case_book.case_book()) == [completed]
    # the parties are told that the text was approved
    assert Notification.objects.filter(recipient=people["member"], kind="match.publication")


def test_a_party_revokes_its_consent_and_the_case_leaves_the_book(people, api, completed):
    for user in (people["member"], people["staff"]):
        as_user(api, user).post(url(completed), {"action": "consent"})
    as_user(api, people["coordinator"]).post(url(completed), {"action": "approve", "text": "事例"})
    assert case_book.is_public(completed)
    r = as_user(api, people["member"]).post(url(completed), {"action": "revoke"})
    assert r.status_code == 200 and r.data["public"] is False
    consents = {p["organization"]: p["consented"] for p in r.data["parties"]}
    assert consents == {people["department"].pk: True, people["npo"].pk: False}
    names = MatchTransition.objects.filter(match=completed).values_list("name", flat=True)
    assert {"consent", "revoke_consent", "approve_publication"} <= set(names)


def test_who_may_decide(people, api, completed):
    # a coordinator cannot consent for a party; a party cannot approve the text
    r = as_user(api, people["coordinator"]).post(
        url(completed), {"action": "consent", "organization": people["npo"].pk}
    )
    assert r.status_code == 403
    r = as_user(api, people["member"]).post(url(completed), {"action": "approve", "text": "x"})
    assert r.status_code == 403
    r = as_user(api, people["other"]).post(url(completed), {"action": "consent"})
    assert r.status_code == 404
    r = as_user(api, people["coordinator"]).post(url(completed), {"action": "approve", "text": " "})
    assert r.status_code == 400 and "text" in r.data
    assert not case_book.is_public(completed)


def test_only_a_finished_match_can_be_published(people, api):
    active = drive(two_party_match(people), "active", people["coordinator"])
    r = as_user(api, people["member"]).post(url(active), {"action": "consent"})
    assert r.status_code == 409
    r = as_user(api, people["coordinator"]).post(url(active), {"action": "approve", "text": "x"})
    assert r.status_code == 409


def test_consent_given_with_the_evaluation_counts(people, completed):
    from matching.outcomes.evaluations import record_evaluation

    record_evaluation(completed, people["member"], people["npo"], "A", publish_consent=True)
    record_evaluation(completed, people["staff"], people["department"], "B")
    case_book.approve_text(completed, people["coordinator"], "事例の文章")
    assert not case_book.is_public(completed)  # the department did not consent
    case_book.set_consent(completed, people["staff"], people["department"], True)
    assert case_book.is_public(completed)


def test_withdrawing_the_approval_unpublishes(people, completed):
    case_book.set_consent(completed, people["member"], people["npo"], True)
    case_book.set_consent(completed, people["staff"], people["department"], True)
    case_book.approve_text(completed, people["coordinator"], "事例の文章")
    assert case_book.is_public(completed)
    case_book.withdraw_approval(completed, people["coordinator"])
    assert not case_book.is_public(completed)
