"""Issue 13 on the match pages (/my/matches/<id>/ and /coord/matches/<id>/): who has
confirmed the agreement and the confirm button, 相談を始める refused (and disabled) while
a party has not answered, the coordinator's exception to the start date, the history in
words, 回答期限 only while answers are awaited, the coordinator's evaluation beside the
parties' grades with the right 「次にすること」, and the case-book decision."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from workflow_support import agree_terms, confirm_all, drive, two_party_match

from matching.matches import workflow
from matching.models import Match, MatchTransition
from matching.outcomes import case_book
from matching.outcomes.evaluations import record_evaluation


def _member_page(client, match) -> str:
    return client.get(f"/my/matches/{match.pk}/").content.decode()


def _coord_page(client, match) -> str:
    return client.get(f"/coord/matches/{match.pk}/").content.decode()


def _state(match) -> str:
    return Match.objects.values_list("state", flat=True).get(pk=match.pk)


def test_the_other_party_sees_the_terms_to_confirm_and_confirms(client, people):
    match = drive(two_party_match(people), "consulting", people["coordinator"])
    workflow.agree(match, people["member"], **agree_terms(match))
    client.force_login(people["staff"])
    html = _member_page(client, match)
    assert "未確認" in html and "確認済み" in html
    button = f"{people['department'].name}としてこの内容を確認する"
    assert button in html
    client.force_login(people["coordinator"])
    html = _coord_page(client, match)
    assert "未確認" in html and "合意内容の確認を待つ" in html
    assert people["department"].name in html
    client.force_login(people["staff"])
    response = client.post(
        f"/my/matches/{match.pk}/transition/", {"action": "confirm", "revision": "1"}, follow=True
    )
    assert "合意内容を確認しました。" in response.content.decode()
    assert _state(match) == "agreed"


def test_consulting_button_is_disabled_and_refused_while_a_party_has_not_answered(client, people):
    match = drive(two_party_match(people), "introduced", people["coordinator"])
    workflow.respond(match, people["staff"], people["department"], True)
    client.force_login(people["coordinator"])
    html = _coord_page(client, match)
    assert 'value="start_consulting"' not in html  # no form that would send it
    assert "disabled" in html and f"未回答: {people['npo'].name}" in html
    response = client.post(
        f"/coord/matches/{match.pk}/action/", {"action": "start_consulting"}, follow=True
    )
    assert "すべての団体が前向きに回答してから相談を始められます" in response.content.decode()
    assert _state(match) == "introduced"


def test_response_deadline_only_while_answers_are_awaited(client, people):
    match = drive(two_party_match(people), "introduced", people["coordinator"])
    client.force_login(people["member"])
    assert "回答期限" in _member_page(client, match)
    client.force_login(people["coordinator"])
    assert "回答期限" in _coord_page(client, match)
    consulting = drive(two_party_match(people), "consulting", people["coordinator"])
    assert Match.objects.get(pk=consulting.pk).response_due_on  # kept, but not shown
    assert "回答期限" not in _coord_page(client, consulting)
    client.force_login(people["member"])
    assert "回答期限" not in _member_page(client, consulting)


def test_history_in_words_on_both_pages(client, people):
    match = drive(two_party_match(people), "consulting", people["coordinator"])
    for user, page in (("member", _member_page), ("coordinator", _coord_page)):
        client.force_login(people[user])
        html = page(client, match)
        assert f"{people['npo'].name}が前向きと回答" in html
        assert "紹介済み → 紹介済み" not in html and "提案段階 → 提案段階" not in html


def test_coordinator_starts_before_the_agreed_date_only_with_a_reason(client, people):
    match = drive(two_party_match(people), "consulting", people["coordinator"])
    starts = timezone.localdate() + dt.timedelta(days=20)
    workflow.agree(match, people["coordinator"], **agree_terms(match, starts))
    confirm_all(match)
    client.force_login(people["member"])
    response = client.post(
        f"/my/matches/{match.pk}/transition/", {"action": "activate"}, follow=True
    )
    assert "より前には協働を開始できません" in response.content.decode()
    assert _state(match) == "agreed"
    client.force_login(people["coordinator"])
    assert "開始日より前に進める理由" in _coord_page(client, match)
    client.post(f"/coord/matches/{match.pk}/action/", {"action": "activate"})
    assert _state(match) == "agreed"
    client.post(
        f"/coord/matches/{match.pk}/action/",
        {"action": "activate", "override_reason": "会場の都合で前倒し"},
    )
    assert _state(match) == "active"
    html = _coord_page(client, match)
    assert "開始日より前の開始をコーディネーターが例外として認めました" in html
    assert "会場の都合で前倒し" in html
    row = MatchTransition.objects.filter(match=match, name="activate").get()
    assert row.override_reason == "会場の都合で前倒し"


def test_coordinator_evaluates_beside_the_parties_grades(client, people):
    match = drive(two_party_match(people), "completed", people["coordinator"])
    record_evaluation(match, people["member"], people["npo"], "A", "担い手が増えた", "連絡手段")
    record_evaluation(match, people["staff"], people["department"], "B", "参加者が倍増")
    client.force_login(people["coordinator"])
    html = _coord_page(client, match)
    assert "評価の回答を待つ" not in html
    assert "コーディネーターの評価を記入する" in html
    assert "A: 目標を上回った" in html and "B: 目標を達成した" in html
    assert "担い手が増えた" in html and "連絡手段" in html
    response = client.post(f"/coord/matches/{match.pk}/action/", {"action": "evaluate"})
    assert response.status_code == 400
    assert "入力内容を確認してください。" in response.content.decode()
    client.post(
        f"/coord/matches/{match.pk}/action/",
        {"action": "evaluate", "grade": "B", "effects": "地域の担い手が育った",
         "problems": "連絡の遅れ"},
    )  # fmt: skip
    assert _state(match) == "evaluated"
    html = _coord_page(client, match)
    assert "地域の担い手が育った" in html and "連絡の遅れ" in html


def test_the_board_card_says_what_the_match_page_says(client, people):
    coordinator = people["coordinator"]
    client.force_login(coordinator)
    answered = drive(two_party_match(people), "introduced", coordinator)
    for party in answered.parties.all():
        workflow.respond(answered, coordinator, party.organization, True)
    evaluated = drive(two_party_match(people), "completed", coordinator)
    record_evaluation(evaluated, people["member"], people["npo"], "A", "担い手が増えた")
    record_evaluation(evaluated, people["staff"], people["department"], "B", "参加者が倍増")
    html = client.get("/coord/matches/").content.decode()

    def card(match) -> str:
        start = html.index(f"/coord/matches/{match.pk}/")
        end = html.find('<li class="coord-card', start)
        return html[start : end if end > 0 else len(html)]

    assert "次にすること: 相談を始める" in card(answered)
    assert "各団体の回答を待つ" not in card(answered)
    assert "次にすること: コーディネーターの評価を記入する" in card(evaluated)


def test_parties_consent_and_the_coordinator_approves_the_public_text(client, people):
    match = drive(two_party_match(people), "completed", people["coordinator"])
    for user, org in (("member", "npo"), ("staff", "department")):
        client.force_login(people[user])
        html = _member_page(client, match)
        assert f"{people[org].name}として事例集への掲載に同意する" in html
        client.post(f"/my/matches/{match.pk}/transition/", {"action": "consent"})
    assert not case_book.is_public(match)
    client.force_login(people["coordinator"])
    client.post(
        f"/coord/matches/{match.pk}/action/",
        {"action": "approve_publication", "text": "北区の見守りが広がった協働です。"},
    )
    assert case_book.is_public(match)
    assert "北区の見守りが広がった協働です。" in client.get("/cases/").content.decode()
    client.force_login(people["member"])
    client.post(f"/my/matches/{match.pk}/transition/", {"action": "revoke_consent"})
    assert "北区の見守りが広がった協働です。" not in client.get("/cases/").content.decode()


def test_an_overdue_answer_is_flagged_on_the_coordinator_match_page(client, people):
    match = drive(two_party_match(people), "introduced", people["coordinator"])
    Match.objects.filter(pk=match.pk).update(
        response_due_on=timezone.localdate() - dt.timedelta(days=16)
    )
    client.force_login(people["coordinator"])
    html = _coord_page(client, match)
    assert "deadline-list" in html and "16日超過" in html


def test_an_overdue_answer_is_flagged_for_the_party_that_owes_it(client, people):
    match = drive(two_party_match(people), "introduced", people["coordinator"])
    workflow.respond(match, people["staff"], people["department"], True)
    Match.objects.filter(pk=match.pk).update(
        response_due_on=timezone.localdate() - dt.timedelta(days=16)
    )
    client.force_login(people["member"])  # the NPO has not answered
    html = _member_page(client, match)
    assert "回答期限を過ぎています" in html and "16日超過" in html and "deadline-late" in html
    client.force_login(people["staff"])  # the department has answered: nothing to flag
    html = _member_page(client, match)
    assert "回答期限を過ぎています" not in html and "回答期限" in html


def test_the_coordinators_home_counts_their_own_lifecycle_steps(client, people):
    coordinator = people["coordinator"]

    def counts() -> dict[str, str]:
        html = client.get("/coord/").content.decode()
        found = {}
        for label in ("相談を始められるマッチ", "コーディネーターの評価を待つマッチ",
                      "事例集の公開文の承認を待つ事例"):  # fmt: skip
            start = html.index(label)
            number = html[start : html.index("</span>", start)].rsplit(">", 1)[1]
            found[label] = number
        return found

    client.force_login(coordinator)
    assert set(counts().values()) == {"0"}
    answered = drive(two_party_match(people), "introduced", coordinator)
    for party in answered.parties.all():
        workflow.respond(answered, coordinator, party.organization, True)
    done = drive(two_party_match(people), "completed", coordinator)
    for user, org in (("member", "npo"), ("staff", "department")):
        record_evaluation(done, people[user], people[org], "A", publish_consent=True)
    assert counts() == {"相談を始められるマッチ": "1", "コーディネーターの評価を待つマッチ": "1",
                        "事例集の公開文の承認を待つ事例": "1"}  # fmt: skip
    record_evaluation(done, coordinator, None, "B")
    case_book.approve_text(done, coordinator, "北区の見守りが広がった協働です。")
    workflow.start_consulting(answered, coordinator)
    assert set(counts().values()) == {"0"}


def test_my_page_tells_each_match_as_it_stands(client, people):
    # マイページ's list says what the match page says: not 「評価の記入をお願いします」 once
    # the party has evaluated, and the terms to confirm while consulting.
    coordinator = people["coordinator"]
    done = drive(two_party_match(people), "completed", coordinator)
    record_evaluation(done, people["member"], people["npo"], "A", "担い手が増えた")
    terms = drive(two_party_match(people), "consulting", coordinator)
    workflow.agree(terms, people["staff"], **agree_terms(terms))
    client.force_login(people["member"])
    html = client.get("/my/").content.decode()
    assert "ほかの団体とコーディネーターの評価を待っています" in html
    assert "評価の記入をお願いします" not in html
    assert "記録された合意内容を確認してください" in html
