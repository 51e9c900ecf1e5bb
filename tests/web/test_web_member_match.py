"""The parties' own steps on the match page (/my/matches/<id>/): start consulting, record
the agreement, start and complete the work, reschedule a consultation, evaluate, answer a
continuation follow-up. Bad input comes back as a 400 page with Japanese field errors and
what the user typed; nothing is half-saved."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from outcomes_support import make_match
from workflow_support import drive, two_party_match

from matching.consultations.services import book
from matching.consultations.slots import publish_slot
from matching.matches import workflow
from matching.models import ConsultationBooking, ContinuationFollowUp, Evaluation, Match
from matching.outcomes.follow_ups import schedule_follow_ups
from notifications.models import Notification


def _page(client, match) -> str:
    return client.get(f"/my/matches/{match.pk}/").content.decode()


def test_parties_move_the_match_from_introduced_to_completed(client, people):
    match = drive(two_party_match(people), "introduced", people["coordinator"])
    client.force_login(people["member"])
    client.post(f"/my/matches/{match.pk}/respond/", {"answer": "accept"})
    client.force_login(people["staff"])
    html = _page(client, match)
    assert "事前相談を始める" not in html  # the department has not answered yet
    client.post(f"/my/matches/{match.pk}/respond/", {"answer": "accept"})
    assert "事前相談を始める" in _page(client, match)
    client.post(f"/my/matches/{match.pk}/transition/", {"action": "start_consulting"})
    match.refresh_from_db()
    assert match.state == "consulting"

    html = _page(client, match)
    assert "合意内容の記録" in html
    assert f"{people['npo'].name}の役割" in html and f"{people['department'].name}の役割" in html
    response = client.post(
        f"/my/matches/{match.pk}/agree/",
        {
            "form": match.need.forms.first().pk if match.need.forms.exists() else "",
            "starts_on": "2026-12-01",
            "ends_on": "2027-03-31",
            "budget_note": "会場費は市が負担",
            f"role_{people['department'].pk}": "会場の確保と広報",
            f"role_{people['npo'].pk}": "見守りボランティアの派遣",
        },
    )
    assert response.status_code == 302
    match.refresh_from_db()
    assert match.state == "consulting"  # the NPO confirms the terms too (issue 13)
    client.force_login(people["member"])
    client.post(f"/my/matches/{match.pk}/transition/", {"action": "confirm"})
    client.force_login(people["staff"])
    match.refresh_from_db()
    assert match.state == "agreed" and match.budget_note == "会場費は市が負担"
    assert (
        match.parties.get(organization=people["npo"]).responsibilities == "見守りボランティアの派遣"
    )
    html = _page(client, match)
    assert "見守りボランティアの派遣" in html and "会場費は市が負担" in html

    client.force_login(people["member"])
    client.post(f"/my/matches/{match.pk}/transition/", {"action": "activate"})
    client.post(f"/my/matches/{match.pk}/transition/", {"action": "complete"})
    match.refresh_from_db()
    assert match.state == "completed"
    assert "評価の記入" in _page(client, match)


def test_agree_form_shows_japanese_errors_and_keeps_what_was_typed(client, people):
    match = drive(two_party_match(people), "consulting", people["coordinator"])
    client.force_login(people["member"])
    response = client.post(
        f"/my/matches/{match.pk}/agree/",
        {
            "form": "",
            "starts_on": "2027-03-31",
            "ends_on": "2026-12-01",
            "budget_note": "材料費は団体が負担",
            f"role_{people['npo'].pk}": "講師の派遣",
            f"role_{people['department'].pk}": "",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "協働の形態を選んでください。" in html
    assert "終了日は開始日以降の日付にしてください。" in html
    assert "この団体の役割を入力してください。" in html
    assert "材料費は団体が負担" in html and "講師の派遣" in html  # kept
    match.refresh_from_db()
    assert match.state == "consulting"
    assert match.parties.get(organization=people["npo"]).responsibilities != "講師の派遣"


def test_outsiders_and_wrong_states_cannot_take_steps(client, people):
    match = drive(two_party_match(people), "introduced", people["coordinator"])
    client.force_login(people["other"])
    response = client.post(f"/my/matches/{match.pk}/transition/", {"action": "start_consulting"})
    assert response.status_code == 404
    client.force_login(people["member"])
    response = client.post(
        f"/my/matches/{match.pk}/transition/", {"action": "complete"}, follow=True
    )
    assert "「完了にする」はできません" in response.content.decode()
    response = client.post(f"/my/matches/{match.pk}/transition/", {"action": "cancel"}, follow=True)
    assert "この操作はここではできません。" in response.content.decode()
    match.refresh_from_db()
    assert match.state == "introduced"


def test_reschedule_moves_the_booking_and_frees_the_old_seat(client, people):
    match = drive(two_party_match(people), "introduced", people["coordinator"])
    start = timezone.now() + dt.timedelta(days=3)
    first = publish_slot(people["coordinator"], starts_at=start,
                         ends_at=start + dt.timedelta(hours=1), place="市役所3階")  # fmt: skip
    later = start + dt.timedelta(days=1)
    second = publish_slot(people["coordinator"], starts_at=later,
                          ends_at=later + dt.timedelta(hours=1), place="センター")  # fmt: skip
    booking = book(first, match, people["member"])
    client.force_login(people["staff"])
    html = _page(client, match)
    assert "日時の変更" in html and "この枠に変更する" in html
    client.post(f"/my/consultations/{booking.pk}/reschedule/", {"slot": second.pk})
    booking.refresh_from_db()
    first.refresh_from_db()
    assert booking.slot_id == second.pk and booking.sequence == 1
    assert first.seats_left == 1
    assert Notification.objects.filter(kind="consultation.rescheduled").exists()
    response = client.post(
        f"/my/consultations/{booking.pk}/reschedule/", {"slot": "x"}, follow=True
    )
    assert "変更先の枠を選んでください。" in response.content.decode()
    client.force_login(people["other"])
    assert (
        client.post(f"/my/consultations/{booking.pk}/reschedule/", {"slot": first.pk}).status_code
        == 404
    )
    assert ConsultationBooking.objects.get(pk=booking.pk).slot_id == second.pk


def test_evaluation_errors_keep_the_text_and_success_records_it(client, people):
    match = make_match(people, state="completed")
    client.force_login(people["member"])
    prefix = f"ev{people['npo'].pk}"
    response = client.post(
        f"/my/matches/{match.pk}/evaluate/",
        {"organization": people["npo"].pk, f"{prefix}-effects": "見守りの担い手が増えた"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "この項目は必須です。" in html and "見守りの担い手が増えた" in html
    assert not Evaluation.objects.exists()
    client.post(
        f"/my/matches/{match.pk}/evaluate/",
        {"organization": people["npo"].pk, f"{prefix}-grade": "A",
         f"{prefix}-effects": "見守りの担い手が増えた"},
    )  # fmt: skip
    evaluation = Evaluation.objects.get()
    assert evaluation.grade == "A" and evaluation.effects == "見守りの担い手が増えた"


def test_follow_up_answer_requires_a_reason_when_ended(client, people):
    match = make_match(people, state="evaluated", completed_on=dt.date(2025, 1, 31))
    schedule_follow_ups(match)
    row = ContinuationFollowUp.objects.get(organization=people["npo"], months=6)
    client.force_login(people["member"])
    html = _page(client, match)
    assert "継続状況の確認" in html and "協働は続いていますか" in html
    prefix = f"fu{row.pk}"
    response = client.post(f"/my/follow-ups/{row.pk}/", {f"{prefix}-answer": "ended"})
    assert response.status_code == 400
    assert "終了した場合は、その理由を記入してください。" in response.content.decode()
    row.refresh_from_db()
    assert row.answer == ""
    client.post(
        f"/my/follow-ups/{row.pk}/",
        {f"{prefix}-answer": "continued_other_form", f"{prefix}-reason": "自主事業として継続"},
    )
    row.refresh_from_db()
    assert row.answer == "continued_other_form" and row.answered_by == people["member"]
    client.force_login(people["other"])
    other_row = ContinuationFollowUp.objects.get(organization=people["npo"], months=12)
    assert client.post(f"/my/follow-ups/{other_row.pk}/", {}).status_code == 404


def test_notification_links_open_web_pages_for_their_recipients(client, people):
    match = two_party_match(people)
    workflow.introduce(match, people["coordinator"])
    note = Notification.objects.filter(kind="match.introduce", recipient=people["member"]).first()
    assert note is not None and note.url == f"/my/matches/{match.pk}/"
    client.force_login(people["member"])
    response = client.get(note.url)
    assert response.status_code == 200 and "text/html" in response["Content-Type"]
    assert Match.objects.get(pk=match.pk).title in response.content.decode()


def test_every_notification_link_is_a_web_page_of_this_platform():
    from django.urls import resolve

    from lib import links

    paths = [
        links.match_page(1),
        links.match_page(1, "follow-up"),
        links.coordinator_match_page(1),
        links.suggestions_page("need", 1),
        links.suggestions_page("offer", 1),
        links.post_edit_page("offer", 1),
        links.interest_queue(),
        links.member_home(),
    ]
    for path in paths:
        match = resolve(path.split("#")[0])
        assert not match.route.startswith("api/"), path
