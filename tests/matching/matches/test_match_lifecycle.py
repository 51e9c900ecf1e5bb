"""Matches through the API: a full lifecycle with each role, every forbidden transition
(409, nothing changed), permissions (403/404), contact disclosure, multi-party matches,
the history and the audit log."""

from __future__ import annotations

import datetime as dt

import pytest
from auditlog.models import LogEntry
from conftest import make_org, make_user
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from workflow_support import agree_terms, drive, pair, suggest, two_party_match

from matching.matches import workflow
from matching.matches.signals import match_transitioned
from matching.models import Match, MatchParty, MatchTransition
from notifications.models import Notification

pytestmark = pytest.mark.django_db

STATES = [s.value for s in Match.State]
ALLOWED = {
    "proposed": {"introduce", "cancel"},
    # start_consulting is allowed from introduced but needs every party's acceptance:
    # tested on its own below.
    "introduced": {"start_consulting", "decline", "cancel"},
    "consulting": {"agree", "decline", "cancel"},
    "agreed": {"activate", "decline", "cancel"},
    "active": {"complete", "cancel"},
    "completed": {"mark_evaluated"},
    "evaluated": set(),
    "declined": set(),
    "cancelled": set(),
}
FORBIDDEN = [
    (state, action)
    for state in STATES
    for action in workflow.TRANSITIONS
    if action not in ALLOWED[state]
]


def url(match, suffix: str = "") -> str:
    return f"/api/v1/matches/{match.pk}/{suffix}"


def as_user(api, user):
    api.force_authenticate(user)
    api.default_format = "json"  # the API parses JSON only
    return api


def party_contact(data: dict, org) -> dict | None:
    return next(p for p in data["parties"] if p["organization"] == org.pk)["contact"]


@pytest.fixture
def signals_seen():
    seen = []

    def receiver(sender, **kwargs):
        seen.append((kwargs["name"], kwargs["source"], kwargs["target"], kwargs["actor"]))

    match_transitioned.connect(receiver, dispatch_uid="test-lifecycle")
    yield seen
    match_transitioned.disconnect(dispatch_uid="test-lifecycle")


def test_full_lifecycle_through_the_api_with_each_role(people, api, signals_seen):
    coordinator, member, staff = people["coordinator"], people["member"], people["staff"]
    need, offer = pair(people)
    suggest(need, offer, 0.82)

    # coordinator approves the suggestion → a proposed match
    r = as_user(api, coordinator).post(
        "/api/v1/review-queue/decide/",
        {"need": need.pk, "offer": offer.pk, "decision": "approved"},
        format="json",
    )
    assert r.status_code == 200, r.data
    match = Match.objects.get(pk=r.data["results"][0]["match"])
    assert match.state == "proposed" and match.coordinator == coordinator
    assert match.origin == "suggestion" and match.score == pytest.approx(0.82)
    roles = dict(match.parties.values_list("organization_id", "role"))
    assert roles == {people["department"].pk: "need_poster", people["npo"].pk: "offer_poster"}

    # a party member cannot introduce; the coordinator does
    assert (
        as_user(api, member).post(url(match, "transition/"), {"action": "introduce"}).status_code
        == 403
    )
    r = as_user(api, coordinator).post(url(match, "transition/"), {"action": "introduce"})
    assert r.status_code == 200, r.data
    assert r.data["state"] == "introduced" and r.data["response_due_on"]

    # each party answers; consulting needs every answer
    r = as_user(api, staff).post(url(match, "respond/"), {"accepted": True}, format="json")
    assert r.status_code == 200, r.data
    r = as_user(api, member).post(url(match, "transition/"), {"action": "start_consulting"})
    assert r.status_code == 409 and people["npo"].name in r.data["detail"]
    r = as_user(api, member).post(url(match, "respond/"), {"accepted": True}, format="json")
    assert r.status_code == 200
    assert {p["response"] for p in r.data["parties"]} == {"accepted"}
    r = as_user(api, member).post(url(match, "transition/"), {"action": "start_consulting"})
    assert r.status_code == 200 and r.data["state"] == "consulting"

    # agree: form, each party's role, period, budget — recorded by one party, confirmed
    # by the other
    today = timezone.localdate()
    terms = {
        "action": "agree",
        "form": "cooperation",
        "starts_on": today.isoformat(),
        "ends_on": (today + dt.timedelta(days=300)).isoformat(),
        "budget_note": "会場費は市が負担",
        "responsibilities": [
            {"organization": people["department"].pk, "responsibilities": "会場と広報"},
            {"organization": people["npo"].pk, "responsibilities": "訪問活動の実施"},
        ],
    }
    r = as_user(api, staff).post(url(match, "transition/"), terms, format="json")
    assert r.status_code == 200, r.data
    assert r.data["state"] == "consulting" and r.data["form"] == "cooperation"
    confirmed = {p["organization"]: bool(p["confirmed_at"]) for p in r.data["parties"]}
    assert confirmed == {people["department"].pk: True, people["npo"].pk: False}
    assert "confirm" in as_user(api, member).get(url(match)).data["available_actions"]
    r = as_user(api, member).post(url(match, "confirm/"), {"revision": 1}, format="json")
    assert r.status_code == 200, r.data
    assert r.data["state"] == "agreed"
    assert r.data["budget_note"] == "会場費は市が負担" and r.data["agreed_at"]
    assert {p["responsibilities"] for p in r.data["parties"]} == {"会場と広報", "訪問活動の実施"}

    r = as_user(api, member).post(url(match, "transition/"), {"action": "activate"})
    assert r.status_code == 200 and r.data["state"] == "active" and r.data["started_at"]
    r = as_user(api, staff).post(url(match, "transition/"), {"action": "complete"})
    assert r.status_code == 200 and r.data["state"] == "completed" and r.data["completed_at"]
    # evaluated: when the evaluations are in (the system) or a coordinator — not a party
    r = as_user(api, member).post(url(match, "transition/"), {"action": "mark_evaluated"})
    assert r.status_code == 403
    r = as_user(api, coordinator).post(
        url(match, "transition/"), {"action": "mark_evaluated", "comment": "評価完了"}
    )
    assert r.status_code == 200 and r.data["state"] == "evaluated" and r.data["closed_at"]

    # the full history, with actors and comments
    history = [(h["name"], h["source"], h["target"], h["actor"]) for h in r.data["history"]]
    assert history == [
        ("create", "proposed", "proposed", "coordinator"),
        ("introduce", "proposed", "introduced", "coordinator"),
        ("respond", "introduced", "introduced", "staff"),
        ("respond", "introduced", "introduced", "member"),
        ("start_consulting", "introduced", "consulting", "member"),
        ("record_terms", "consulting", "consulting", "staff"),
        ("confirm", "consulting", "consulting", "staff"),
        ("confirm", "consulting", "consulting", "member"),
        ("agree", "consulting", "agreed", "member"),
        ("activate", "agreed", "active", "member"),
        ("complete", "active", "completed", "staff"),
        ("mark_evaluated", "completed", "evaluated", "coordinator"),
    ]
    assert r.data["history"][-1]["comment"] == "評価完了"
    words = [h["description"] for h in r.data["history"]]
    assert f"{people['department'].name}が前向きと回答" in words
    assert f"{people['npo'].name}が合意内容を確認" in words
    assert not any("→" in w for w in words)
    # the signal for every state change, inside the transaction
    assert [s[0] for s in signals_seen] == [
        "introduce", "start_consulting", "agree", "activate", "complete", "mark_evaluated",
    ]  # fmt: skip
    assert signals_seen[0][3] == coordinator
    # notifications: parties were told of the introduction, the coordinator of answers
    assert Notification.objects.filter(recipient=member, kind="match.introduce").exists()
    assert Notification.objects.filter(recipient=coordinator, kind="match.respond").count() == 2
    # the audit log names who changed what
    ct = ContentType.objects.get_for_model(Match)
    entries = LogEntry.objects.filter(content_type=ct, object_pk=str(match.pk))
    assert entries.filter(actor=coordinator).exists()
    assert entries.filter(actor=staff).exists() and entries.filter(actor=member).exists()
    state_changes = [e.changes_dict.get("state") for e in entries if "state" in e.changes_dict]
    assert ["consulting", "agreed"] in state_changes
    party_ct = ContentType.objects.get_for_model(MatchParty)
    assert LogEntry.objects.filter(content_type=party_ct, actor=member).exists()


@pytest.mark.parametrize(("state", "action"), FORBIDDEN)
def test_every_forbidden_transition_answers_409_and_changes_nothing(people, api, state, action):
    coordinator = people["coordinator"]
    match = drive(two_party_match(people), state, coordinator)
    before = (match.state, match.updated_at, MatchTransition.objects.count())
    notes = Notification.objects.count()
    body = {"action": action, "reason": "理由", "organization": people["npo"].pk}
    if action == "agree":
        body.update(form="cooperation", starts_on="2026-05-01", ends_on="2027-03-31")
    r = as_user(api, coordinator).post(url(match, "transition/"), body, format="json")
    assert r.status_code == 409, r.data
    assert r.data["code"] == "invalid_transition"
    assert r.data["state"] == state and r.data["action"] == action
    assert str(Match.State(state).label) in r.data["detail"]
    assert str(workflow.ACTION_LABELS[action]) in r.data["detail"]
    match = Match.objects.get(pk=match.pk)
    assert (match.state, match.updated_at, MatchTransition.objects.count()) == before
    assert Notification.objects.count() == notes


def test_409_message_is_japanese_and_names_state_and_action(people, api):
    match = drive(two_party_match(people), "active", people["coordinator"])
    r = as_user(api, people["coordinator"]).post(url(match, "transition/"), {"action": "introduce"})
    assert r.status_code == 409
    assert r.data["detail"] == "「実施中」の状態のマッチでは「紹介する」はできません。"


@pytest.mark.parametrize("state", ["declined", "completed", "agreed", "evaluated", "cancelled"])
def test_respond_out_of_order_is_409(people, api, state):
    match = drive(two_party_match(people), state, people["coordinator"])
    r = as_user(api, people["member"]).post(url(match, "respond/"), {"accepted": True})
    assert r.status_code == 409
    assert r.data["action"] == "respond"


def test_answering_twice_is_409(people, api):
    match = drive(two_party_match(people), "introduced", people["coordinator"])
    assert (
        as_user(api, people["member"]).post(url(match, "respond/"), {"accepted": True}).status_code
        == 200
    )
    r = api.post(url(match, "respond/"), {"accepted": True})
    assert r.status_code == 409 and "すでに回答" in r.data["detail"]


def test_permissions(people, api):
    coordinator, member, other = people["coordinator"], people["member"], people["other"]
    match = drive(two_party_match(people), "introduced", coordinator)
    # not a party: the match does not exist for them
    assert as_user(api, other).get(url(match)).status_code == 404
    assert (
        api.post(url(match, "transition/"), {"action": "cancel", "reason": "x"}).status_code == 404
    )
    assert api.get("/api/v1/matches/").data["count"] == 0
    # anonymous
    api.force_authenticate(None)
    assert api.get("/api/v1/matches/").status_code in (401, 403)
    # a party member: coordinator-only actions are 403
    as_user(api, member)
    assert api.get("/api/v1/matches/").data["count"] == 1
    for body in ({"action": "cancel", "reason": "x"}, {"action": "introduce"}):
        r = api.post(url(match, "transition/"), body, format="json")
        assert r.status_code == 403, (body, r.data)
    assert api.post(url(match, "parties/"), {"organization": people["group"].pk}).status_code == 403
    r = api.post("/api/v1/matches/", {"parties": []}, format="json")
    assert r.status_code == 403
    # answering for another organization
    r = api.post(
        url(match, "respond/"),
        {"accepted": True, "organization": people["department"].pk},
        format="json",
    )
    assert r.status_code == 403
    # declining for another organization
    r = api.post(
        url(match, "transition/"),
        {"action": "decline", "organization": people["department"].pk, "reason": "x"},
        format="json",
    )
    assert r.status_code == 403
    assert Match.objects.get(pk=match.pk).state == "introduced"


def test_bad_agreement_is_400_field_by_field_and_saves_nothing(people, api):
    match = drive(two_party_match(people), "consulting", people["coordinator"])
    as_user(api, people["member"])
    r = api.post(
        url(match, "transition/"),
        {
            "action": "agree",
            "form": "no-such-form",
            "starts_on": "2026-05-01",
            "ends_on": "2026-04-01",
        },
        format="json",
    )
    assert r.status_code == 400 and "form" in r.data
    r = api.post(
        url(match, "transition/"),
        {
            "action": "agree",
            "form": "cooperation",
            "starts_on": "2026-05-01",
            "ends_on": "2026-04-01",
            "responsibilities": [{"organization": people["npo"].pk, "responsibilities": "訪問"}],
        },
        format="json",
    )
    assert r.status_code == 400
    assert "ends_on" in r.data and "responsibilities" in r.data  # the department has no role
    match = Match.objects.get(pk=match.pk)
    assert match.state == "consulting" and match.form is None and match.starts_on is None
    assert not match.parties.exclude(responsibilities="").exists()
    r = api.post(url(match, "transition/"), {"action": "fly"}, format="json")
    assert r.status_code == 400 and "action" in r.data


def test_decline_and_cancel_need_a_reason(people, api):
    match = drive(two_party_match(people), "introduced", people["coordinator"])
    r = as_user(api, people["member"]).post(url(match, "transition/"), {"action": "decline"})
    assert r.status_code == 400 and "reason" in r.data
    r = api.post(url(match, "respond/"), {"accepted": False}, format="json")
    assert r.status_code == 400 and "comment" in r.data
    r = as_user(api, people["coordinator"]).post(url(match, "transition/"), {"action": "cancel"})
    assert r.status_code == 400 and "reason" in r.data
    assert Match.objects.get(pk=match.pk).state == "introduced"


def test_a_party_declines_with_a_reason(people, api, signals_seen):
    match = drive(two_party_match(people), "consulting", people["coordinator"])
    r = as_user(api, people["member"]).post(
        url(match, "transition/"), {"action": "decline", "reason": "人手が足りません"}
    )
    assert r.status_code == 200, r.data
    assert r.data["state"] == "declined" and "人手が足りません" in r.data["decline_reason"]
    assert people["npo"].name in r.data["decline_reason"]
    assert signals_seen[-1][:3] == ("decline", "consulting", "declined")
    assert Notification.objects.filter(recipient=people["staff"], kind="match.decline").exists()
    assert Notification.objects.filter(
        recipient=people["coordinator"], kind="match.decline"
    ).exists()


def test_coordinator_cancels_an_active_match(people, api, signals_seen):
    match = drive(two_party_match(people), "active", people["coordinator"])
    r = as_user(api, people["member"]).post(
        url(match, "transition/"), {"action": "cancel", "reason": "x"}
    )
    assert r.status_code == 403
    r = as_user(api, people["coordinator"]).post(
        url(match, "transition/"), {"action": "cancel", "reason": "予算がつかなかった"}
    )
    assert r.status_code == 200 and r.data["state"] == "cancelled"
    assert signals_seen[-1][:3] == ("cancel", "active", "cancelled")
    assert Notification.objects.filter(recipient=people["member"], kind="match.cancel").exists()


def test_contact_details_hidden_before_introduced(people, api):
    coordinator, member, staff = people["coordinator"], people["member"], people["staff"]
    dept, npo = people["department"], people["npo"]
    match = two_party_match(people)
    # proposed: each party sees its own details, not the other's
    data = as_user(api, member).get(url(match)).data
    assert data["contacts_revealed"] is False
    assert party_contact(data, npo)["contact_email"] == npo.contact_email
    assert party_contact(data, dept) is None
    listed = api.get("/api/v1/matches/").data["results"][0]
    assert party_contact(listed, dept) is None
    assert dept.contact_email not in str(api.get(url(match)).content)
    assert party_contact(as_user(api, staff).get(url(match)).data, npo) is None
    # nothing the parties were told before the introduction reveals the other's details
    for note in Notification.objects.filter(recipient__in=[member, staff]):
        for secret in (dept.contact_email, npo.contact_email, dept.contact_phone):
            assert secret not in note.title + note.body
    # coordinators see everything
    data = as_user(api, coordinator).get(url(match)).data
    assert party_contact(data, dept)["contact_phone"] == dept.contact_phone
    # introduced: the parties see each other
    workflow.introduce(match, coordinator)
    data = as_user(api, member).get(url(match)).data
    assert data["contacts_revealed"] is True
    assert party_contact(data, dept)["contact_email"] == dept.contact_email
    assert party_contact(as_user(api, staff).get(url(match)).data, npo)["address"] == npo.address
    # … but never another organization
    assert as_user(api, people["other"]).get(url(match)).status_code == 404


def test_multi_party_match(people, api):
    coordinator = people["coordinator"]
    need, offer = pair(people)
    chonaikai = make_org("北一丁目町内会", "neighborhood_association")
    school = make_org("テスト市立北小学校", "school")
    shops = make_org("北口商店街振興組合", "business")
    chonaikai_member = make_user("chonaikai", chonaikai)
    school_member = make_user("teacher", school)

    r = as_user(api, coordinator).post(
        "/api/v1/matches/",
        {
            "title": "北区みまもりネットワーク",
            "need": need.pk,
            "offer": offer.pk,
            "parties": [
                {"organization": people["department"].pk},
                {"organization": people["npo"].pk},
                {"organization": chonaikai.pk},
            ],
        },
        format="json",
    )
    assert r.status_code == 201, r.data
    match = Match.objects.get(pk=r.data["id"])
    assert match.origin == "coordinator" and r.data["state"] == "proposed"
    assert {p["role"] for p in r.data["parties"]} == {"need_poster", "offer_poster", "partner"}
    r = api.post(url(match, "parties/"), {"organization": school.pk}, format="json")
    assert r.status_code == 201 and r.data["role"] == "partner"
    assert api.post(url(match, "parties/"), {"organization": school.pk}).status_code == 400
    assert api.post(url(match, "transition/"), {"action": "introduce"}).status_code == 200
    r = api.post(url(match, "parties/"), {"organization": shops.pk}, format="json")
    assert r.status_code == 201
    assert match.parties.count() == 5

    # the school says no: it leaves; the match goes on with the others
    r = as_user(api, school_member).post(
        url(match, "respond/"), {"accepted": False, "comment": "今年度は行事が多いため"}
    )
    assert r.status_code == 200, r.data
    match.refresh_from_db(fields=["updated_at"])
    assert Match.objects.get(pk=match.pk).state == "introduced"
    assert MatchTransition.objects.filter(match=match, name="party_declined").exists()
    # a party that left cannot move the match
    r = api.post(url(match, "transition/"), {"action": "start_consulting"})
    assert r.status_code == 403
    for user in (people["member"], people["staff"], chonaikai_member):
        assert (
            as_user(api, user).post(url(match, "respond/"), {"accepted": True}).status_code == 200
        )
    r = as_user(api, coordinator).post(
        url(match, "respond/"), {"accepted": True, "organization": shops.pk}, format="json"
    )
    assert r.status_code == 200
    r = as_user(api, chonaikai_member).post(
        url(match, "transition/"), {"action": "start_consulting"}
    )
    assert r.status_code == 200, r.data
    # agreeing needs a role for each of the four remaining parties (not the school)
    remaining = [p for p in match.parties.all() if p.organization_id != school.pk]
    body = {
        "action": "agree",
        "form": "executive_committee",
        "starts_on": "2026-06-01",
        "ends_on": "2027-03-31",
        "responsibilities": [
            {"organization": p.organization_id, "responsibilities": "役割"} for p in remaining[:3]
        ],
    }
    r = api.post(url(match, "transition/"), body, format="json")
    assert r.status_code == 400 and "responsibilities" in r.data
    body["responsibilities"].append(
        {"organization": remaining[3].organization_id, "responsibilities": "役割"}
    )
    r = api.post(url(match, "transition/"), body, format="json")
    assert r.status_code == 200, r.data
    # recorded by the 町内会: it has confirmed, the others have not
    assert r.data["state"] == "consulting"
    # each party confirms for itself; the coordinator may not confirm for a party that
    # has members, only for one without (the 商店街 has no account)
    r = as_user(api, coordinator).post(
        url(match, "confirm/"), {"organization": people["npo"].pk}, format="json"
    )
    assert r.status_code == 403
    for user in (people["member"], people["staff"]):
        assert as_user(api, user).post(url(match, "confirm/")).status_code == 200
    r = as_user(api, coordinator).post(
        url(match, "confirm/"), {"organization": shops.pk}, format="json"
    )
    assert r.status_code == 200 and r.data["state"] == "agreed", r.data
    # parties cannot be added after the agreement
    r = as_user(api, coordinator).post(url(match, "parties/"), {"organization": school.pk})
    assert r.status_code == 409
    # the NPO (a poster) declining ends the match
    r = as_user(api, people["member"]).post(
        url(match, "transition/"), {"action": "decline", "reason": "代表者の交代"}
    )
    assert r.status_code == 200 and r.data["state"] == "declined"


def test_creating_a_match_validates_its_parties(people, api):
    need, _offer = pair(people)
    as_user(api, people["coordinator"])
    r = api.post(
        "/api/v1/matches/",
        {"need": need.pk, "parties": [{"organization": people["npo"].pk},
                                      {"organization": people["group"].pk}]},
        format="json",
    )  # fmt: skip
    assert r.status_code == 400 and "need" in r.data
    r = api.post(
        "/api/v1/matches/",
        {"parties": [{"organization": people["npo"].pk}, {"organization": people["npo"].pk}]},
        format="json",
    )
    assert r.status_code == 400 and "parties" in r.data
    assert not Match.objects.exists()


def test_list_filters_and_visibility(people, api):
    coordinator = people["coordinator"]
    first = drive(two_party_match(people), "active", coordinator)
    second = two_party_match(people)
    group_match = workflow.create_match(
        coordinator,
        parties=[workflow.PartySpec(people["group"]), workflow.PartySpec(people["npo"])],
        title="子育てサロン",
    )
    as_user(api, coordinator)
    assert api.get("/api/v1/matches/").data["count"] == 3
    ids = [m["id"] for m in api.get("/api/v1/matches/?state=active").data["results"]]
    assert ids == [first.pk]
    r = api.get(f"/api/v1/matches/?organization={people['group'].pk}")
    assert [m["id"] for m in r.data["results"]] == [group_match.pk]
    assert api.get(f"/api/v1/matches/?coordinator={coordinator.pk}").data["count"] == 3
    assert api.get("/api/v1/matches/?form=cooperation").data["count"] == 1
    assert api.get("/api/v1/matches/?state=proposed&state=active").data["count"] == 3
    # the department's staff see only their two matches
    r = as_user(api, people["staff"]).get("/api/v1/matches/")
    assert {m["id"] for m in r.data["results"]} == {first.pk, second.pk}


def test_available_actions_follow_state_and_role(people, api):
    match = drive(two_party_match(people), "introduced", people["coordinator"])
    data = as_user(api, people["member"]).get(url(match)).data
    # consulting waits for every answer: not offered yet
    assert set(data["available_actions"]) == {"decline", "respond"}
    data = as_user(api, people["coordinator"]).get(url(match)).data
    assert {"cancel", "introduce"} & set(data["available_actions"]) == {"cancel"}
    assert "add_party" in data["available_actions"]


def test_introduce_sets_the_answer_deadline_in_business_days(people, settings):
    import datetime as dt

    from django.utils import timezone

    from lib.dates import add_business_days

    settings.TSUNAGU_RESPONSE_BUSINESS_DAYS = 5
    match = drive(two_party_match(people), "introduced", people["coordinator"])
    assert match.response_due_on == add_business_days(timezone.localdate(), 5)
    assert match.response_due_on > timezone.localdate() + dt.timedelta(days=4)


def test_system_marks_evaluated(people):
    """The evaluations service calls mark_evaluated with no actor once all are in."""
    match = drive(two_party_match(people), "completed", people["coordinator"])
    workflow.mark_evaluated(match, None, "全ての評価がそろいました")
    row = MatchTransition.objects.filter(match=match).last()
    assert (row.name, row.target, row.actor) == ("mark_evaluated", "evaluated", None)


def test_agreement_terms_helper_matches_the_service(people):
    # the helper used above drives the service with the same data the API sends
    match = drive(two_party_match(people), "agreed", people["coordinator"])
    assert match.form.code == "cooperation" and match.starts_on and match.ends_on
    assert set(agree_terms(match)["responsibilities"]) == set(
        match.parties.values_list("organization_id", flat=True)
    )


def test_admin_pages(people, client):
    match = drive(two_party_match(people), "consulting", people["coordinator"])
    client.force_login(people["admin"])
    for path in (
        "/admin/matching/match/",
        f"/admin/matching/match/{match.pk}/change/",
        "/admin/matching/match/?state__exact=consulting&q=みどり",
        "/admin/matching/matchtransition/",
        "/admin/matching/reviewdecision/",
        "/admin/matching/interestrequest/",
        "/admin/matching/rejectionreason/",
    ):
        assert client.get(path).status_code == 200, path
    # the state is read-only in the admin: it moves only through the workflow
    page = client.get(f"/admin/matching/match/{match.pk}/change/").content.decode()
    assert 'name="state"' not in page and "相談中" in page


def test_admin_cannot_add_or_remove_parties_behind_the_workflow(people, client):
    # A party added in the admin while consulting would skip the confirmation of the
    # terms (and the history); parties come and go only through the workflow.
    match = drive(two_party_match(people), "consulting", people["coordinator"])
    parties = list(match.parties.order_by("pk"))
    client.force_login(people["admin"])
    page = client.get(f"/admin/matching/match/{match.pk}/change/").content.decode()
    assert 'name="parties-0-organization"' not in page  # the rows are read-only
    data = {
        "title": match.title, "origin": match.origin, "need": match.need_id,
        "offer": match.offer_id, "coordinator": people["coordinator"].pk,
        "decline_reason": "",
        "parties-TOTAL_FORMS": len(parties) + 1, "parties-INITIAL_FORMS": len(parties),
        "parties-MIN_NUM_FORMS": 0, "parties-MAX_NUM_FORMS": 1000,
        f"parties-{len(parties)}-organization": people["group"].pk,
        f"parties-{len(parties)}-role": "partner",
        f"parties-{len(parties)}-match": match.pk,
        "parties-0-DELETE": "on",
        "transitions-TOTAL_FORMS": 0, "transitions-INITIAL_FORMS": 0,
        "transitions-MIN_NUM_FORMS": 0, "transitions-MAX_NUM_FORMS": 1000,
    }  # fmt: skip
    for i, party in enumerate(parties):
        data[f"parties-{i}-id"] = party.pk
        data[f"parties-{i}-match"] = match.pk
        data[f"parties-{i}-organization"] = party.organization_id
        data[f"parties-{i}-role"] = party.role
    client.post(f"/admin/matching/match/{match.pk}/change/", data)
    assert list(match.parties.order_by("pk")) == parties


def test_admin_only_shows_requests_follow_ups_and_cannot_delete_matches(people, client):
    # Interest requests, continuation follow-ups and matches change only through their
    # services (with notices, history and the council's figures); the admin shows them.
    from matching.models import ContinuationFollowUp, InterestRequest

    match = drive(two_party_match(people), "completed", people["coordinator"])
    follow_up = ContinuationFollowUp.objects.filter(match=match).first()  # planned at completion
    assert follow_up is not None
    request = InterestRequest.objects.create(
        organization=people["group"], need=match.need, requested_by=people["other"],
        message="お話ししたいです",
    )  # fmt: skip
    client.force_login(people["admin"])
    for model, pk in (("interestrequest", request.pk), ("continuationfollowup", follow_up.pk)):
        assert client.get(f"/admin/matching/{model}/add/").status_code == 403
        page = client.get(f"/admin/matching/{model}/{pk}/change/").content.decode()
        assert 'name="status"' not in page and 'name="answer"' not in page
        assert client.get(f"/admin/matching/{model}/{pk}/delete/").status_code == 403
    assert client.get(f"/admin/matching/match/{match.pk}/delete/").status_code == 403
    assert InterestRequest.objects.filter(pk=request.pk).exists()
