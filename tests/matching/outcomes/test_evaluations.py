"""Evaluations (A–D, effects, problems, next steps, case-book consent): who may record
them, when, once, and the move to ``evaluated`` when the set is complete."""

from __future__ import annotations

import pytest
from conftest import make_org, make_user
from outcomes_support import WorkflowStub, make_match

from lib import errors as errors_mod
from matching.models import Evaluation, Match, MatchParty
from matching.outcomes import case_book
from matching.outcomes import evaluations as evaluations_mod
from notifications.models import Notification


@pytest.fixture
def workflow(monkeypatch) -> WorkflowStub:
    return WorkflowStub().install(monkeypatch)


@pytest.fixture
def match(people):
    return make_match(people, coordinator=people["coordinator"])


def _state(match) -> str:
    return Match.objects.values_list("state", flat=True).get(pk=match.pk)


def evaluate_all(people, match, consents=(True, True, False)):
    dept, npo, coord = consents
    evaluations_mod.record_evaluation(match, people["staff"], people["department"], "B",
                               "参加者が増えた", "日程調整", "来年度も共催", dept)  # fmt: skip
    evaluations_mod.record_evaluation(match, people["member"], people["npo"], "A",
                               "新しい担い手", "", "", npo)  # fmt: skip
    return evaluations_mod.record_evaluation(
        match, people["coordinator"], None, "B", publish_consent=coord
    )


# --- Rules ------------------------------------------------------------------------------
def test_all_parties_and_coordinator_evaluate_then_evaluated(people, match, workflow):
    first = evaluations_mod.record_evaluation(
        match,
        people["member"],
        people["npo"],
        "A",
        "見守り先が30件増えた",
        "連絡手段",
        "継続",
        True,
    )
    assert first.evaluator == "party" and first.organization == people["npo"]
    assert first.submitted_by == people["member"]
    assert _state(match) == "completed"
    evaluations_mod.record_evaluation(match, people["coordinator"], None, "B")
    assert _state(match) == "completed"  # the department has not evaluated yet
    assert workflow.calls == []
    evaluations_mod.record_evaluation(match, people["staff"], people["department"], "C")
    assert _state(match) == "evaluated"
    assert [call[0] for call in workflow.calls] == [match.pk]
    assert Evaluation.objects.filter(match=match).count() == 3


def test_a_declined_party_is_not_awaited(people, workflow):
    match = make_match(people, parties=("department", "npo", "group"))
    MatchParty.objects.filter(match=match, organization=people["group"]).update(response="declined")
    evaluate_all(people, match)
    assert _state(match) == "evaluated"


def test_evaluation_status(people, match, workflow):
    status = evaluations_mod.evaluation_status(match)
    assert {o.pk for o in status["awaiting"]} == {people["npo"].pk, people["department"].pk}
    assert status["awaiting_coordinator"] is True
    evaluations_mod.record_evaluation(match, people["member"], people["npo"], "B")
    status = evaluations_mod.evaluation_status(match)
    assert [o.pk for o in status["awaiting"]] == [people["department"].pk]


# --- Bad input: a clear error, nothing changed ------------------------------------------
@pytest.mark.parametrize("grade", ["E", "a", "", "AB", None])
def test_grade_outside_a_to_d(people, match, workflow, grade):
    with pytest.raises(errors_mod.Invalid) as err:
        evaluations_mod.record_evaluation(match, people["member"], people["npo"], grade)
    assert err.value.status == 400
    assert "A・B・C・D" in str(err.value.message)
    assert not Evaluation.objects.exists()


def test_second_evaluation_by_the_same_party(people, match, workflow):
    evaluations_mod.record_evaluation(match, people["member"], people["npo"], "B", "効果")
    colleague = make_user("colleague", people["npo"])
    with pytest.raises(errors_mod.Conflict) as err:
        evaluations_mod.record_evaluation(match, colleague, people["npo"], "A", "上書き")
    assert err.value.status == 409
    assert list(Evaluation.objects.values_list("grade", "effects")) == [("B", "効果")]


def test_second_coordinator_evaluation(people, match, workflow):
    evaluations_mod.record_evaluation(match, people["coordinator"], None, "B")
    other = make_user("coordinator2", is_coordinator=True)
    with pytest.raises(errors_mod.Conflict):
        evaluations_mod.record_evaluation(match, other, None, "D")
    assert Evaluation.objects.get().grade == "B"


@pytest.mark.parametrize("state", ["introduced", "consulting", "agreed", "active", "cancelled"])
def test_match_not_completed(people, workflow, state):
    match = make_match(people, state=state, completed_on=None)
    with pytest.raises(errors_mod.Conflict) as err:
        evaluations_mod.record_evaluation(match, people["member"], people["npo"], "A")
    assert err.value.status == 409
    assert "完了" in str(err.value.message)
    assert not Evaluation.objects.exists()


def test_already_evaluated_match(people, match, workflow):
    evaluate_all(people, match)
    with pytest.raises(errors_mod.Conflict):
        evaluations_mod.record_evaluation(match, people["member"], people["npo"], "A")


def test_non_party(people, match, workflow):
    # A member of an organization that is not a party …
    with pytest.raises(errors_mod.Forbidden) as err:
        evaluations_mod.record_evaluation(match, people["other"], people["group"], "A")
    assert err.value.status == 403
    # … a member of another party evaluating on behalf of the NPO …
    with pytest.raises(errors_mod.Forbidden):
        evaluations_mod.record_evaluation(match, people["staff"], people["npo"], "A")
    # … a party member writing the coordinator's evaluation.
    with pytest.raises(errors_mod.Forbidden):
        evaluations_mod.record_evaluation(match, people["member"], None, "A")
    # A coordinator does not write a party's evaluation either.
    with pytest.raises(errors_mod.Forbidden):
        evaluations_mod.record_evaluation(match, people["coordinator"], people["npo"], "A")
    assert not Evaluation.objects.exists()


def test_database_refuses_a_grade_outside_a_to_d(people, match):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Evaluation.objects.create(match=match, evaluator="coordinator", grade="E")


# --- Case book ----------------------------------------------------------------------------
def test_case_book_needs_every_party_consent(people, workflow):
    published = make_match(people, title="公開される協働")
    evaluate_all(people, published, consents=(True, True, False))
    refused = make_match(people, title="同意のない協働")
    evaluate_all(people, refused, consents=(True, False, True))
    pending = make_match(people, title="評価中の協働")
    evaluations_mod.record_evaluation(
        pending, people["member"], people["npo"], "A", publish_consent=True
    )
    for match in (published, refused, pending):
        case_book.approve_text(match, people["coordinator"], "地域の見守りが広がった事例")
    assert list(case_book.case_book()) == [published]


# --- Requests at completion ---------------------------------------------------------------
def test_completion_requests_evaluations(people, match):
    from matching.matches.signals import match_transitioned

    match_transitioned.send(
        sender=Match, match=match, name="complete", source="active", target="completed",
        actor=people["coordinator"], comment="",
    )  # fmt: skip
    for user in ("member", "staff", "coordinator"):
        kinds = Notification.objects.filter(recipient=people[user]).values_list("kind", flat=True)
        assert list(kinds) == ["match.evaluation_request"], user
    assert not Notification.objects.filter(recipient=people["other"]).exists()


# --- API ------------------------------------------------------------------------------------
def url(match) -> str:
    return f"/api/v1/matches/{match.pk}/evaluations/"


def test_api_post_and_get(api, people, match, workflow):
    api.force_authenticate(people["member"])
    answer = api.post(
        url(match),
        {"grade": "A", "effects": "担い手が増えた", "problems": "", "next_steps": "継続",
         "publish_consent": True},
        format="json",
    )  # fmt: skip
    assert answer.status_code == 201, answer.data
    assert answer.data["organization"] == people["npo"].pk  # inferred: the user's only party
    assert answer.data["grade_label"] == "A: 目標を上回った"

    api.force_authenticate(people["staff"])
    api.post(url(match), {"grade": "B"}, format="json")
    body = api.get(url(match)).data
    # Until the match is evaluated, a party sees only its own evaluation.
    assert [e["organization"] for e in body["evaluations"]] == [people["department"].pk]
    assert body["awaiting"] == [] and body["awaiting_coordinator"] is True

    api.force_authenticate(people["coordinator"])
    assert len(api.get(url(match)).data["evaluations"]) == 2
    assert api.post(url(match), {"grade": "C"}, format="json").status_code == 201
    api.force_authenticate(people["staff"])
    body = api.get(url(match)).data
    assert body["state"] == "evaluated" and len(body["evaluations"]) == 3


def test_api_errors(api, people, match, workflow):
    api.force_authenticate(people["member"])
    bad = api.post(url(match), {"grade": "E"}, format="json")
    assert bad.status_code == 400 and "A・B・C・D" in str(bad.data["grade"])
    assert api.post(url(match), {"grade": "B"}, format="json").status_code == 201
    again = api.post(url(match), {"grade": "A"}, format="json")
    assert again.status_code == 409 and "一度だけ" in str(again.data["detail"])

    api.force_authenticate(people["other"])
    assert api.get(url(match)).status_code == 403
    denied = api.post(url(match), {"grade": "A", "organization": people["group"].pk}, format="json")
    assert denied.status_code == 403

    api.force_authenticate(people["staff"])
    active = make_match(people, state="active", completed_on=None)
    early = api.post(url(active), {"grade": "A"}, format="json")
    assert early.status_code == 409 and "完了" in str(early.data["detail"])

    api.force_authenticate(None)
    assert api.post(url(match), {"grade": "A"}, format="json").status_code == 401
    assert Evaluation.objects.count() == 1


def test_api_member_of_two_parties_must_choose(api, people, match, workflow):
    both = make_user("both", people["npo"])
    from organizations.models import Membership

    Membership.objects.create(user=both, organization=people["department"])
    api.force_authenticate(both)
    unclear = api.post(url(match), {"grade": "A"}, format="json")
    assert unclear.status_code == 400 and "organization" in unclear.data
    chosen = api.post(
        url(match), {"grade": "A", "organization": people["department"].pk}, format="json"
    )
    assert chosen.status_code == 201


def test_with_the_real_workflow(people, match):
    """With the real workflow (no stub), the last evaluation fires its transition."""
    evaluate_all(people, match)
    assert _state(match) == "evaluated"


def test_inactive_organization_member_cannot_evaluate(people, match, workflow):
    closed = make_org("解散した団体", "citizen_group", is_active=False)
    MatchParty.objects.create(match=match, organization=closed, role="partner")
    member = make_user("former", closed)
    with pytest.raises(errors_mod.Forbidden):
        evaluations_mod.record_evaluation(match, member, closed, "A")


# --- Concurrency (PostgreSQL) -------------------------------------------------------------
@pytest.mark.postgres
@pytest.mark.postgres_db  # on a SQLite session: in a child on PostgreSQL (postgres_child.py)
def test_simultaneous_last_evaluations_fire_the_transition_once(
    transactional_db, people, monkeypatch
):
    """The two last parties submit at the same moment: the match row lock serializes
    them, so the second sees the complete set and the transition fires exactly once."""
    import threading

    from conftest import require_postgres
    from django.db import connection

    require_postgres()
    stub = WorkflowStub().install(monkeypatch)
    match = make_match(people)
    evaluations_mod.record_evaluation(match, people["coordinator"], None, "B")
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def submit(user, organization) -> None:
        try:
            barrier.wait()
            evaluations_mod.record_evaluation(match, user, organization, "B")
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=submit, args=(people["staff"], people["department"])),
        threading.Thread(target=submit, args=(people["member"], people["npo"])),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert _state(match) == "evaluated"
    assert len(stub.calls) == 1


def test_the_admin_neither_adds_grades_nor_changes_them(people, match, workflow, client):
    # A grade given in the admin would skip the service (and the close of the evaluation
    # step); the admin reads grades and may only correct the notes.
    evaluation = evaluations_mod.record_evaluation(
        match, people["member"], people["npo"], "B", effects="担い手が増えた"
    )
    client.force_login(people["admin"])
    assert client.get("/admin/matching/evaluation/add/").status_code == 403
    page = client.get(f"/admin/matching/evaluation/{evaluation.pk}/change/").content.decode()
    assert page.count('name="effects"') == 1
    assert 'name="grade"' not in page and 'name="organization"' not in page
