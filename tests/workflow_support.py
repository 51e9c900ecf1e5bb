"""Helpers shared by the workflow tests: suggestions without the engine, and matches
driven to any state through the real workflow functions."""

from __future__ import annotations

import datetime as dt

from conftest import make_need, make_offer
from django.utils import timezone

from matching.matches import workflow
from matching.models import Match, MatchParty, Suggestion
from organizations.services import members_of
from proposals.models import CollaborationForm


def suggest(need, offer, score: float = 0.8) -> Suggestion:
    """A suggestion row as the engine writes it (the engine itself is tested elsewhere)."""
    return Suggestion.objects.create(
        need=need,
        offer=offer,
        score=score,
        components=[],
        reasons=["分野が同じ"],
        weaknesses=[],
        engine_version="test",
        profile_name="標準",
        weights={},
        computed_at=timezone.now(),
    )


def pair(people, **need_extra):
    need = make_need(
        people["department"], fields=["welfare"], areas=["t-kita"],
        forms=["cooperation", "commission"], **need_extra,
    )  # fmt: skip
    offer = make_offer(people["npo"], fields=["welfare"], areas=["t-kita"], forms=["cooperation"])
    return need, offer


def two_party_match(people, coordinator=None) -> Match:
    need, offer = pair(people)
    return workflow.create_match(
        coordinator or people["coordinator"],
        parties=[
            workflow.PartySpec(people["department"], MatchParty.Role.NEED_POSTER),
            workflow.PartySpec(people["npo"], MatchParty.Role.OFFER_POSTER),
        ],
        need=need,
        offer=offer,
        origin=Match.Origin.SUGGESTION,
    )


def agree_terms(match: Match, starts_on: dt.date | None = None) -> dict:
    """Terms starting today (the work may start and complete at once), unless told."""
    starts_on = starts_on or timezone.localdate()
    return {
        "form": CollaborationForm.objects.get(code="cooperation"),
        "responsibilities": {
            p.organization_id: f"{p.organization.name}の役割" for p in match.parties.all()
        },
        "starts_on": starts_on,
        "ends_on": starts_on + dt.timedelta(days=330),
        "budget_note": "会場費は市が負担",
    }


def confirm_all(match: Match) -> Match:
    """Every party still in confirms the recorded terms, through one of its members."""
    for party in workflow.unconfirmed(Match.objects.get(pk=match.pk)):
        member = members_of([party.organization_id]).first()
        assert member is not None, f"{party.organization} has no member to confirm"
        workflow.confirm_terms(match, member, party.organization)
    return Match.objects.get(pk=match.pk)


def drive(match: Match, state: str, coordinator) -> Match:
    """Move ``match`` (proposed) to ``state`` through the workflow, as a coordinator."""
    path = {
        "proposed": [],
        "introduced": ["introduce"],
        "consulting": ["introduce", "accept_all", "start_consulting"],
        "agreed": ["introduce", "accept_all", "start_consulting", "agree"],
        "active": ["introduce", "accept_all", "start_consulting", "agree", "activate"],
        "completed": [
            "introduce", "accept_all", "start_consulting", "agree", "activate", "complete",
        ],
        "evaluated": [
            "introduce", "accept_all", "start_consulting", "agree", "activate", "complete",
            "mark_evaluated",
        ],
        "declined": ["introduce", "decline"],
        "cancelled": ["cancel"],
    }[state]  # fmt: skip
    for step in path:
        if step == "accept_all":
            for party in match.parties.all():
                workflow.respond(match, coordinator, party.organization, True)
        elif step == "agree":
            workflow.agree(match, coordinator, **agree_terms(match))
            confirm_all(match)
        elif step == "decline":
            org = match.parties.get(role=MatchParty.Role.OFFER_POSTER).organization
            workflow.decline(match, coordinator, org, "体制が整わないため")
        elif step == "cancel":
            workflow.cancel(match, coordinator, "事業の中止")
        else:
            getattr(workflow, step)(match, coordinator)
    match = Match.objects.get(pk=match.pk)
    assert match.state == state
    return match
