"""An inbox that drives the work: notifications link to what they are about, the header
counts the unread ones, 「この団体と話したい」 works from the suggestions page and says when
it was sent, 「送った依頼」 lists each request's status, and login lands where the work is."""

from __future__ import annotations

import pytest
from conftest import make_need, make_offer
from django.urls import resolve
from workflow_support import suggest

from lib import links
from matching.matches.interest import accept_interest_request, decline_interest_request
from matching.models import InterestRequest
from notifications.models import Notification
from notifications.services import notify

pytestmark = pytest.mark.django_db

PASSWORD = "pass-Tsunagu-2026"


@pytest.fixture(autouse=True)
def _fresh_lockouts(db):
    from axes.models import AccessAttempt

    AccessAttempt.objects.all().delete()


# --- links ------------------------------------------------------------------------------
def test_the_new_links_are_pages():
    assert resolve(links.sent_requests()).url_name == "member-sent-requests"
    assert resolve(links.coordinator_home()).url_name == "home"


def test_each_notification_in_the_inbox_links_to_its_page_and_opening_marks_it_read(client, people):
    [note] = notify([people["member"]], "match.introduce", "紹介のお知らせ", url="/my/matches/7/")
    client.force_login(people["member"])
    html = client.get("/my/notifications/").content.decode()
    assert f'href="/my/notifications/{note.pk}/open/"' in html
    response = client.get(f"/my/notifications/{note.pk}/open/")
    assert response.status_code == 302 and response["Location"] == "/my/matches/7/"
    note.refresh_from_db()
    assert note.read_at is not None


def test_a_link_elsewhere_is_not_followed_and_others_notifications_are_404(client, people):
    [away] = notify([people["member"]], "test", "外部へ", url="https://evil.example/")
    [theirs] = notify([people["other"]], "test", "他人の通知", url="/my/")
    client.force_login(people["member"])
    html = client.get("/my/notifications/").content.decode()
    assert "外部へ" in html and f"/my/notifications/{away.pk}/open/" not in html
    response = client.get(f"/my/notifications/{away.pk}/open/")
    assert response["Location"] == "/my/notifications/"
    assert client.get(f"/my/notifications/{theirs.pk}/open/").status_code == 404
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_a_coordinator_is_sent_to_the_coordinators_match_page(client, people):
    [note] = notify([people["coordinator"]], "match.respond", "回答", url="/my/matches/5/")
    client.force_login(people["coordinator"])
    response = client.get(f"/my/notifications/{note.pk}/open/")
    assert response["Location"] == "/coord/matches/5/"


def test_a_notification_without_url_links_by_its_payload(client, people):
    [note] = notify([people["member"]], "match.respond", "回答", payload={"match": 3})
    client.force_login(people["member"])
    assert client.get(f"/my/notifications/{note.pk}/open/")["Location"] == "/my/matches/3/"


# --- the header -------------------------------------------------------------------------
def test_the_header_shows_the_unread_count_on_every_page(client, people):
    for i in range(3):
        notify([people["member"]], "test", f"お知らせ{i}")
    client.force_login(people["member"])
    for url in ("/", "/menu/", "/my/"):
        html = client.get(url).content.decode()
        assert 'class="unread-count"' in html and "未読 3" in html, url
    Notification.objects.filter(recipient=people["member"]).update(read_at="2026-01-01T00:00Z")
    assert 'class="unread-count"' not in client.get("/").content.decode()


def test_the_header_count_costs_one_query(client, people, django_assert_max_num_queries):
    notify([people["member"]], "test", "お知らせ")
    client.force_login(people["member"])
    client.get("/about/")  # warm the session and caches
    with django_assert_max_num_queries(6):
        html = client.get("/about/").content.decode()
    assert "未読 1" in html


# --- 「この団体と話したい」 on the suggestions page ------------------------------------------
def test_interest_from_the_suggestions_page_then_the_button_says_it_was_sent(client, people):
    need = make_need(people["department"], title="子育て支援のテーマ")
    offer = make_offer(people["npo"], title="親子の居場所づくり")
    suggest(need, offer)
    client.force_login(people["staff"])
    page = f"/my/needs/{need.pk}/suggestions/"
    html = client.get(page).content.decode()
    assert "この団体と話したい" in html and f'action="/my/offers/{offer.pk}/interest/"' in html

    response = client.post(
        f"/my/offers/{offer.pk}/interest/",
        {"organization": people["department"].pk, "next": page},
    )
    assert response.status_code == 302 and response["Location"] == page
    request = InterestRequest.objects.get()
    assert request.offer == offer and request.organization == people["department"]

    html = client.get(page).content.decode()
    assert "依頼を送りました" in html and "disabled" in html
    assert f'action="/my/offers/{offer.pk}/interest/"' not in html
    # The offer's own page says so too.
    html = client.get(f"/offers/{offer.pk}/").content.decode()
    assert "依頼を送りました" in html


def test_a_refused_request_from_the_suggestions_page_is_shown_there(client, people):
    need = make_need(people["department"])
    offer = make_offer(people["npo"])
    suggest(need, offer)
    InterestRequest.objects.create(organization=people["department"], offer=offer)
    client.force_login(people["staff"])
    page = f"/my/needs/{need.pk}/suggestions/"
    response = client.post(
        f"/my/offers/{offer.pk}/interest/",
        {"organization": people["department"].pk, "next": page},
        follow=True,
    )
    assert "この投稿への依頼はすでに受け付けています。" in response.content.decode()
    assert InterestRequest.objects.count() == 1


def test_next_must_be_one_of_our_pages(client, people):
    offer = make_offer(people["npo"])
    client.force_login(people["staff"])
    response = client.post(
        f"/my/offers/{offer.pk}/interest/",
        {"organization": people["department"].pk, "next": "https://evil.example/my/"},
    )
    assert response["Location"] == f"/offers/{offer.pk}/"


# --- 「送った依頼」 ------------------------------------------------------------------------
def test_sent_requests_list_each_status_and_the_outcome_links_there(client, people):
    waiting = make_offer(people["npo"], title="待っているシーズ")
    taken = make_offer(people["npo"], title="紹介へ進んだシーズ")
    refused = make_offer(people["npo"], title="見送られたシーズ")
    rows = {
        offer: InterestRequest.objects.create(
            organization=people["department"], offer=offer, requested_by=people["staff"]
        )
        for offer in (waiting, taken, refused)
    }
    accepted = accept_interest_request(people["coordinator"], rows[taken])
    decline_interest_request(people["coordinator"], rows[refused], "時期が合わないため")
    make_offer(people["group"], title="よその団体の依頼先")
    InterestRequest.objects.create(organization=people["group"], need=make_need(people["npo"]))

    client.force_login(people["staff"])
    html = client.get("/my/requests/").content.decode()
    for title in ("待っているシーズ", "紹介へ進んだシーズ", "見送られたシーズ"):
        assert title in html
    assert "コーディネーターの確認待ちです。" in html
    assert f"/my/matches/{accepted.match_id}/" in html
    assert "時期が合わないため" in html
    assert "よその団体" not in html
    note = Notification.objects.get(recipient=people["staff"], kind="interest.declined")
    assert note.url == "/my/requests/"
    # Filter by status, and withdraw a pending one.
    assert "待っているシーズ" not in client.get("/my/requests/?status=declined").content.decode()
    response = client.post(f"/my/requests/{rows[waiting].pk}/withdraw/", follow=True)
    assert "依頼を取り下げました。" in response.content.decode()
    assert InterestRequest.objects.get(pk=rows[waiting].pk).status == "withdrawn"


def test_only_own_requests_can_be_withdrawn(client, people):
    row = InterestRequest.objects.create(
        organization=people["group"], offer=make_offer(people["npo"])
    )
    client.force_login(people["staff"])
    assert client.post(f"/my/requests/{row.pk}/withdraw/").status_code == 404


# --- after login ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "who, lands", [("member", "/my/"), ("staff", "/my/"), ("coordinator", "/coord/")]
)
def test_after_login_each_lands_where_their_work_is(client, people, who, lands):
    response = client.post("/accounts/login/", {"username": who, "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == lands


def test_login_from_the_start_page_does_not_send_back_to_it(client, people):
    html = client.get("/").content.decode()
    assert 'href="/accounts/login/"' in html
    html = client.get("/menu/").content.decode()
    assert 'href="/accounts/login/?next=/menu/"' in html
