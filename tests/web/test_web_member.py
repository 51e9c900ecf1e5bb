"""The logged-in pages under /my/ (マイページ): home, post forms, suggestions, interest
requests, matches, notifications. Rendered with Django's test client (force_login: axes)."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import make_need, make_offer
from django.utils import timezone
from workflow_support import suggest, two_party_match

from matching.matches import workflow
from matching.models import ConsultationBooking, InterestRequest
from notifications.models import Preference
from notifications.services import notify, unread_count
from proposals.models import Need, Offer

PAGES = ["/my/", "/my/needs/new/", "/my/offers/new/", "/my/notifications/",
         "/my/notifications/settings/"]  # fmt: skip


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_is_sent_to_login(client, people, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/my/")


@pytest.mark.parametrize("url", PAGES)
def test_pages_render_for_a_member(client, people, url):
    client.force_login(people["member"])
    html = client.get(url).content.decode()
    assert '<html lang="ja">' in html
    assert "csrfmiddlewaretoken" in html


def test_home_lists_own_posts_suggestions_and_notifications(client, people):
    need = make_need(people["department"], title="自分の部署のテーマ")
    draft = make_offer(people["department"], title="下書きのシーズ", status="draft")
    make_need(people["npo"], title="よその団体のテーマ")
    suggest(need, make_offer(people["npo"]))
    notify([people["staff"]], "match.introduce", "紹介のお知らせ", "本文")
    client.force_login(people["staff"])
    html = client.get("/my/").content.decode()
    assert "自分の部署のテーマ" in html and "下書きのシーズ" in html
    assert "よその団体のテーマ" not in html
    assert "募集中" in html and "下書き" in html
    assert f"/my/needs/{need.pk}/suggestions/" in html and "1 件" in html
    assert f"/my/offers/{draft.pk}/edit/" in html
    assert "紹介のお知らせ" in html and "未読 1 件" in html


def test_home_shows_match_next_step(client, people):
    match = two_party_match(people)
    workflow.introduce(match, people["coordinator"])
    client.force_login(people["member"])
    html = client.get("/my/").content.decode()
    assert match.title in html and "紹介への回答をお願いします" in html


# --- posts --------------------------------------------------------------------------------
def need_data(people, **extra):
    data = {
        "organization": people["department"].pk,
        "title": "公園の花壇づくり",
        "description": "市民と一緒に花壇を作りたい。",
        "fields": ["environment"],
        "areas": ["t-kita"],
        "forms": ["cooperation"],
        "starts_on": "2026-05-01",
        "ends_on": "2026-09-30",
        "status": "open",
        "kind": "",
        "beneficiaries": "近隣住民",
    }
    data.update(extra)
    return data


def test_create_need_saves_and_redirects(client, people):
    client.force_login(people["staff"])
    response = client.post("/my/needs/new/", need_data(people), follow=True)
    need = Need.objects.get(title="公園の花壇づくり")
    assert need.kind == "administrative"  # default for a city department, as in the API
    assert [a.code for a in need.areas.all()] == ["t-kita"]
    assert need.beneficiaries == "近隣住民"
    assert "保存しました" in response.content.decode()


def test_bad_input_shows_japanese_errors_and_keeps_text(client, people):
    client.force_login(people["staff"])
    data = need_data(people, title="  ", ends_on="2026-04-01", description="入力した説明文")
    response = client.post("/my/needs/new/", data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "入力した説明文" in html and 'value="2026-04-01"' in html
    assert "必須" in html or "入力してください" in html
    assert not Need.objects.filter(description="入力した説明文").exists()
    # Period check comes from the API serializer.
    response = client.post("/my/needs/new/", need_data(people, ends_on="2026-04-01"))
    assert "終了日は開始日以降の日付にしてください。" in response.content.decode()
    assert not Need.objects.filter(title="公園の花壇づくり").exists()


def test_citizen_group_cannot_post_administrative_need(client, people):
    client.force_login(people["other"])
    data = need_data(people, organization=people["group"].pk, kind="administrative")
    html = client.post("/my/needs/new/", data).content.decode()
    assert "行政提案は市の部署だけが投稿できます。" in html
    assert not Need.objects.exists()


def test_cannot_post_for_another_organization(client, people):
    client.force_login(people["other"])
    client.post("/my/needs/new/", need_data(people))  # department is not theirs
    assert not Need.objects.exists()


def test_create_offer_and_capacity_check(client, people):
    client.force_login(people["member"])
    data = {"organization": people["npo"].pk, "title": "出前講座", "description": "講座をします",
            "status": "open", "capacity": "50"}  # fmt: skip
    html = client.post("/my/offers/new/", data).content.decode()
    assert "出前講座" in html and not Offer.objects.exists()
    data["capacity"] = "3"
    assert client.post("/my/offers/new/", data).status_code == 302
    assert Offer.objects.get().capacity == 3


def test_edit_post_permissions_and_save(client, people):
    offer = make_offer(people["npo"], title="元のタイトル")
    client.force_login(people["other"])
    assert client.get(f"/my/offers/{offer.pk}/edit/").status_code == 403
    client.force_login(people["member"])
    html = client.get(f"/my/offers/{offer.pk}/edit/").content.decode()
    assert 'value="元のタイトル"' in html
    data = {"title": "新しいタイトル", "description": "説明", "status": "paused", "capacity": "2",
            "organization": people["group"].pk}  # fmt: skip
    assert client.post(f"/my/offers/{offer.pk}/edit/", data).status_code == 302
    offer.refresh_from_db()
    assert offer.title == "新しいタイトル" and offer.status == "paused"
    assert offer.organization == people["npo"]  # cannot be changed
    client.force_login(people["coordinator"])
    assert client.get(f"/my/offers/{offer.pk}/edit/").status_code == 200


def test_edit_refuses_impossible_status(client, people):
    offer = make_offer(people["npo"], status="archived")
    client.force_login(people["member"])
    data = {"title": "t", "description": "d", "status": "open", "capacity": "1"}
    assert client.post(f"/my/offers/{offer.pk}/edit/", data).status_code == 200
    offer.refresh_from_db()
    assert offer.status == "archived"


# --- suggestions --------------------------------------------------------------------------
def test_suggestions_show_reasons_and_breakdown(client, people):
    need = make_need(people["department"])
    row = suggest(need, make_offer(people["npo"], title="候補のシーズ"))
    row.weaknesses = ["地域が少し離れている"]
    row.components = [{"name": "field", "label": "分野", "value": 1.0, "weight": 0.05,
                       "contribution": 0.05}]  # fmt: skip
    row.save()
    client.force_login(people["staff"])
    html = client.get(f"/my/needs/{need.pk}/suggestions/").content.decode()
    assert "候補のシーズ" in html and "分野が同じ" in html and "地域が少し離れている" in html
    assert "0.050" in html
    client.force_login(people["other"])
    assert client.get(f"/my/needs/{need.pk}/suggestions/").status_code == 403
    client.force_login(people["coordinator"])
    assert client.get(f"/my/needs/{need.pk}/suggestions/").status_code == 200


# --- interest -----------------------------------------------------------------------------
def test_interest_button_and_request_flow(client, people):
    need = make_need(people["department"])
    client.force_login(people["member"])
    assert f"/my/needs/{need.pk}/interest/" in client.get(f"/needs/{need.pk}/").content.decode()
    response = client.post(
        f"/my/needs/{need.pk}/interest/",
        {"organization": people["npo"].pk, "message": "ぜひお話を"},
        follow=True,
    )
    assert "紹介の依頼を受け付けました" in response.content.decode()
    request = InterestRequest.objects.get()
    assert request.need == need and request.message == "ぜひお話を"
    html = client.post(
        f"/my/needs/{need.pk}/interest/", {"organization": people["npo"].pk}
    ).content.decode()
    assert "この投稿への依頼はすでに受け付けています。" in html
    assert InterestRequest.objects.count() == 1
    # Not for one's own organization's post.
    client.force_login(people["staff"])
    assert "/interest/" not in client.get(f"/needs/{need.pk}/").content.decode()
    assert client.get(f"/my/needs/{need.pk}/interest/").status_code == 403


# --- matches ------------------------------------------------------------------------------
def test_match_page_hides_contacts_before_introduction(client, people):
    match = two_party_match(people)
    client.force_login(people["member"])
    html = client.get(f"/my/matches/{match.pk}/").content.decode()
    assert people["department"].contact_email not in html
    assert "紹介したあとに表示" in html
    workflow.introduce(match, people["coordinator"])
    html = client.get(f"/my/matches/{match.pk}/").content.decode()
    assert people["department"].contact_email in html
    client.force_login(people["other"])
    assert client.get(f"/my/matches/{match.pk}/").status_code == 404


def test_match_respond_and_decline(client, people):
    match = two_party_match(people)
    workflow.introduce(match, people["coordinator"])
    client.force_login(people["member"])
    client.post(f"/my/matches/{match.pk}/respond/", {"answer": "accept"})
    assert match.parties.get(organization=people["npo"]).response == "accepted"
    client.force_login(people["staff"])
    response = client.post(f"/my/matches/{match.pk}/respond/", {"answer": "decline"})
    assert response.status_code == 400
    assert "この項目は必須です。" in response.content.decode()
    match.refresh_from_db()
    assert match.state == "introduced"
    client.post(f"/my/matches/{match.pk}/respond/", {"answer": "decline", "reason": "予算がない"})
    match.refresh_from_db()
    assert match.state == "declined"


def test_book_a_consultation_and_ics(client, people):
    from matching.consultations.slots import publish_slot

    match = two_party_match(people)
    workflow.introduce(match, people["coordinator"])
    start = timezone.now() + dt.timedelta(days=3)
    slot = publish_slot(people["coordinator"], starts_at=start,
                        ends_at=start + dt.timedelta(hours=1), place="市役所3階")  # fmt: skip
    client.force_login(people["member"])
    html = client.get(f"/my/matches/{match.pk}/").content.decode()
    assert "市役所3階" in html and "残り 1 枠" in html
    client.post(f"/my/matches/{match.pk}/book/", {"slot": slot.pk})
    booking = ConsultationBooking.objects.get(match=match)
    assert "市役所3階" in client.get("/my/").content.decode()
    response = client.get(f"/my/consultations/{booking.pk}.ics")
    assert response.status_code == 200 and b"BEGIN:VCALENDAR" in response.content
    client.force_login(people["other"])
    assert client.get(f"/my/consultations/{booking.pk}.ics").status_code == 404


# --- notifications ------------------------------------------------------------------------
def test_inbox_mark_read(client, people):
    user = people["member"]
    first, _second = (notify([user], "match.introduce", f"お知らせ{n}")[0] for n in (1, 2))
    client.force_login(user)
    html = client.get("/my/notifications/").content.decode()
    assert "お知らせ1" in html and "お知らせ2" in html
    client.post("/my/notifications/", {"ids": [first.pk]})
    assert unread_count(user) == 1
    client.post("/my/notifications/", {"all": "1"})
    assert unread_count(user) == 0


def test_preferences_save_and_feed_rotate(client, people):
    from matching.models import CalendarFeed

    user = people["member"]
    client.force_login(user)
    html = client.get("/my/notifications/settings/").content.decode()
    assert "協働の相手のご紹介" in html and "/calendar/" in html
    data = {"kind__*": "email", "kind__match.introduce": "digest_daily"}
    response = client.post("/my/notifications/settings/", data)
    assert response.status_code == 302
    assert Preference.objects.get(user=user, kind="match.introduce").channel == "digest_daily"
    html = client.post("/my/notifications/settings/", {"kind__*": "bogus"}).content.decode()
    assert "入力内容を確認してください" in html
    token = CalendarFeed.objects.get(user=user).token
    client.post("/my/calendar/rotate/")
    assert CalendarFeed.objects.get(user=user).token != token


def test_user_text_is_escaped(client, people):
    make_need(people["department"], title="<script>alert(1)</script>")
    notify([people["staff"]], "match.introduce", "<b>太字</b>")
    client.force_login(people["staff"])
    for url in ("/my/", "/my/notifications/"):
        html = client.get(url).content.decode()
        assert "<script>alert(1)</script>" not in html and "<b>太字</b>" not in html, url
