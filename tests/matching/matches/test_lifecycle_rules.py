"""Issue 13, the lifecycle rules in the match services, through the API: every party
confirms the agreement (a change re-opens it), no start before the agreed start date and no
completion before the start (a coordinator may override with a reason, kept in the
history), consulting only once every party said yes, and the history in words."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from workflow_support import agree_terms, confirm_all, drive, two_party_match

from matching.matches import workflow
from matching.models import Match, MatchParty, MatchTransition

pytestmark = pytest.mark.django_db


def url(match, suffix: str = "") -> str:
    return f"/api/v1/matches/{match.pk}/{suffix}"


def as_user(api, user):
    api.force_authenticate(user)
    api.default_format = "json"  # the API parses JSON only
    return api


def terms_body(people, starts_on: dt.date, budget: str = "会場費は市が負担") -> dict:
    return {
        "action": "agree",
        "form": "cooperation",
        "starts_on": starts_on.isoformat(),
        "ends_on": (starts_on + dt.timedelta(days=200)).isoformat(),
        "budget_note": budget,
        "responsibilities": [
            {"organization": people["department"].pk, "responsibilities": "会場と広報"},
            {"organization": people["npo"].pk, "responsibilities": "訪問活動の実施"},
        ],
    }


def _state(match) -> str:
    return Match.objects.values_list("state", flat=True).get(pk=match.pk)


def _confirmed(match) -> dict[int, bool]:
    return {
        p.organization_id: p.confirmed_at is not None
        for p in MatchParty.objects.filter(match=match)
    }


# --- Every party confirms the agreement ---------------------------------------------------
def test_one_party_alone_cannot_agree_the_other_confirms(people, api):
    match = drive(two_party_match(people), "consulting", people["coordinator"])
    today = timezone.localdate()
    r = as_user(api, people["member"]).post(
        url(match, "transition/"), terms_body(people, today), format="json"
    )
    assert r.status_code == 200, r.data
    assert r.data["state"] == "consulting" and r.data["terms_revision"] == 1
    assert _confirmed(match) == {people["npo"].pk: True, people["department"].pk: False}
    # the department is asked to confirm
    assert "confirm" in as_user(api, people["staff"]).get(url(match)).data["available_actions"]
    r = as_user(api, people["staff"]).post(url(match, "confirm/"), {"revision": 1}, format="json")
    assert r.status_code == 200 and r.data["state"] == "agreed", r.data


def test_a_change_by_one_party_reopens_the_others_confirmation(people, api):
    match = drive(two_party_match(people), "consulting", people["coordinator"])
    today = timezone.localdate()
    as_user(api, people["member"]).post(
        url(match, "transition/"), terms_body(people, today), format="json"
    )
    # the department changes the budget: its own confirmation stands, the NPO's is gone
    r = as_user(api, people["staff"]).post(
        url(match, "transition/"), terms_body(people, today, "費用は折半"), format="json"
    )
    assert r.status_code == 200 and r.data["state"] == "consulting", r.data
    assert r.data["terms_revision"] == 2
    assert _confirmed(match) == {people["npo"].pk: False, people["department"].pk: True}
    names = list(MatchTransition.objects.filter(match=match).values_list("name", flat=True))
    assert "change_terms" in names
    # a confirmation of the version the NPO saw before is refused
    r = as_user(api, people["member"]).post(url(match, "confirm/"), {"revision": 1}, format="json")
    assert r.status_code == 409 and r.data["code"] == "terms_changed"
    assert _state(match) == "consulting"
    r = as_user(api, people["member"]).post(url(match, "confirm/"), {"revision": 2}, format="json")
    assert r.status_code == 200 and r.data["state"] == "agreed"
    assert Match.objects.get(pk=match.pk).budget_note == "費用は折半"


def test_the_same_terms_again_only_confirm(people, api):
    match = drive(two_party_match(people), "consulting", people["coordinator"])
    body = terms_body(people, timezone.localdate())
    as_user(api, people["member"]).post(url(match, "transition/"), body, format="json")
    r = as_user(api, people["staff"]).post(url(match, "transition/"), body, format="json")
    assert r.status_code == 200 and r.data["state"] == "agreed" and r.data["terms_revision"] == 1


def test_a_coordinator_records_terms_but_does_not_confirm_for_a_party(people, api):
    match = drive(two_party_match(people), "consulting", people["coordinator"])
    coordinator = as_user(api, people["coordinator"])
    r = coordinator.post(
        url(match, "transition/"), terms_body(people, timezone.localdate()), format="json"
    )
    assert r.status_code == 200 and r.data["state"] == "consulting"
    assert _confirmed(match) == {people["npo"].pk: False, people["department"].pk: False}
    r = coordinator.post(url(match, "confirm/"), {"organization": people["npo"].pk}, format="json")
    assert r.status_code == 403
    # another organization's member cannot confirm for a party either
    r = as_user(api, people["other"]).post(
        url(match, "confirm/"), {"organization": people["npo"].pk}, format="json"
    )
    assert r.status_code == 404
    assert _state(match) == "consulting"


def test_when_the_only_party_still_to_confirm_leaves_the_others_are_agreed(people, api):
    coordinator = people["coordinator"]
    match = two_party_match(people)
    workflow.add_party(match, coordinator, people["group"], MatchParty.Role.PARTNER)
    match = drive(match, "consulting", coordinator)
    workflow.agree(match, people["member"], **agree_terms(match))
    workflow.confirm_terms(match, people["staff"], people["department"])
    assert _state(match) == "consulting"  # the partner has not confirmed
    body = {"action": "decline", "organization": people["group"].pk, "reason": "体制が整わない"}
    r = as_user(api, people["other"]).post(url(match, "transition/"), body, format="json")
    assert r.status_code == 200, r.data
    assert r.data["state"] == "agreed"
    assert Match.objects.get(pk=match.pk).agreed_at is not None
    names = list(MatchTransition.objects.filter(match=match).values_list("name", flat=True))
    assert names[-2:] == ["party_declined", "agree"]


def test_a_party_leaving_before_the_others_confirmed_leaves_it_consulting(people, api):
    coordinator = people["coordinator"]
    match = two_party_match(people)
    workflow.add_party(match, coordinator, people["group"], MatchParty.Role.PARTNER)
    match = drive(match, "consulting", coordinator)
    workflow.agree(match, people["member"], **agree_terms(match))
    body = {"action": "decline", "organization": people["group"].pk, "reason": "体制が整わない"}
    r = as_user(api, people["other"]).post(url(match, "transition/"), body, format="json")
    assert r.status_code == 200 and r.data["state"] == "consulting"


def test_confirming_before_any_terms_is_409(people, api):
    match = drive(two_party_match(people), "consulting", people["coordinator"])
    r = as_user(api, people["member"]).post(url(match, "confirm/"))
    assert r.status_code == 409
    assert "合意内容がまだ記録されていません" in r.data["detail"]


# --- Dates: start and completion ----------------------------------------------------------
def _agreed_from(people, starts_on: dt.date) -> Match:
    match = drive(two_party_match(people), "consulting", people["coordinator"])
    workflow.agree(match, people["coordinator"], **agree_terms(match, starts_on))
    return confirm_all(match)


def test_no_start_before_the_agreed_start_date(people, api):
    starts = timezone.localdate() + dt.timedelta(days=30)
    match = _agreed_from(people, starts)
    assert match.state == "agreed"
    for who in ("member", "coordinator"):
        r = as_user(api, people[who]).post(url(match, "transition/"), {"action": "activate"})
        assert r.status_code == 409, r.data
        assert r.data["code"] == "before_start_date"
        assert f"{starts.year}年{starts.month}月{starts.day}日" in r.data["detail"]
    # a party cannot give itself the exception
    r = as_user(api, people["member"]).post(
        url(match, "transition/"), {"action": "activate", "override_reason": "早く始めたい"}
    )
    assert r.status_code == 403
    assert _state(match) == "agreed"


def test_a_coordinator_overrides_the_start_date_with_a_reason(people, api):
    match = _agreed_from(people, timezone.localdate() + dt.timedelta(days=30))
    r = as_user(api, people["coordinator"]).post(
        url(match, "transition/"),
        {"action": "activate", "override_reason": "準備が早く整ったため"},
    )
    assert r.status_code == 200 and r.data["state"] == "active", r.data
    entry = r.data["history"][-1]
    assert entry["name"] == "activate" and entry["override_reason"] == "準備が早く整ったため"
    # completing still waits for the start date, unless overridden again
    r = as_user(api, people["staff"]).post(url(match, "transition/"), {"action": "complete"})
    assert r.status_code == 409 and r.data["code"] == "before_start_date"
    r = as_user(api, people["coordinator"]).post(
        url(match, "transition/"), {"action": "complete", "override_reason": "事業が前倒しで終了"}
    )
    assert r.status_code == 200 and r.data["state"] == "completed"


def test_start_and_complete_on_or_after_the_start_date(people, api):
    match = _agreed_from(people, timezone.localdate())
    r = as_user(api, people["member"]).post(url(match, "transition/"), {"action": "activate"})
    assert r.status_code == 200 and r.data["state"] == "active"
    r = as_user(api, people["member"]).post(url(match, "transition/"), {"action": "complete"})
    assert r.status_code == 200 and r.data["state"] == "completed"
    assert not MatchTransition.objects.filter(match=match).exclude(override_reason="").exists()


# --- Consulting waits for every answer -----------------------------------------------------
def test_consulting_is_refused_while_a_party_has_not_answered(people, api):
    match = drive(two_party_match(people), "introduced", people["coordinator"])
    workflow.respond(match, people["staff"], people["department"], True)
    coordinator = as_user(api, people["coordinator"])
    assert "start_consulting" not in coordinator.get(url(match)).data["available_actions"]
    r = coordinator.post(url(match, "transition/"), {"action": "start_consulting"})
    assert r.status_code == 409
    assert "すべての団体が前向きに回答してから" in r.data["detail"]
    assert people["npo"].name in r.data["detail"]
    assert _state(match) == "introduced"


# --- The history in words ------------------------------------------------------------------
def test_history_is_told_in_words(people, api):
    match = drive(two_party_match(people), "agreed", people["coordinator"])
    data = as_user(api, people["coordinator"]).get(url(match)).data
    words = [h["description"] for h in data["history"]]
    assert f"{people['department'].name}が前向きと回答" in words
    assert f"{people['npo'].name}が合意内容を確認" in words
    assert "すべての団体が合意内容を確認し、合意が成立" in words
    assert "コーディネーターが合意内容を記録" in words
    assert not any("→" in w for w in words)
