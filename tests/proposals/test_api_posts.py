"""Needs and offers through the REST API, for each role, with good and bad input."""

from __future__ import annotations

import pytest
from conftest import make_need, make_offer

from proposals.models import Need, Offer

pytestmark = pytest.mark.django_db

NEED = {
    "title": "防災訓練の企画・運営パートナー募集",
    "description": "地域の避難所運営訓練を一緒に企画・運営してくれる団体を探しています。",
    "fields": ["disaster", "community"],
    "areas": ["t-kita"],
    "forms": ["co_host", "cooperation"],
    "starts_on": "2026-06-01",
    "ends_on": "2027-02-28",
    "status": "open",
}


def payload(org, **overrides):
    return {**NEED, "organization": org.pk, **overrides}


def test_anonymous_reads_open_needs_but_cannot_write(api, people):
    make_need(people["department"], title="公開中のテーマ")
    make_need(people["department"], title="下書きのテーマ", status="draft")
    response = api.get("/api/v1/needs/")
    assert response.status_code == 200
    assert [n["title"] for n in response.json()["results"]] == ["公開中のテーマ"]
    response = api.post("/api/v1/needs/", payload(people["department"]), format="json")
    assert response.status_code == 401
    assert Need.objects.count() == 2


def test_department_staff_posts_a_theme_as_administrative_need(api, people):
    api.force_authenticate(people["staff"])
    response = api.post("/api/v1/needs/", payload(people["department"]), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["kind"] == "administrative"
    assert body["organization_name"] == "テスト市 高齢福祉課"
    assert sorted(body["fields"]) == ["community", "disaster"]
    assert body["author"] == "staff"
    need = Need.objects.get(pk=body["id"])
    assert set(need.forms.values_list("code", flat=True)) == {"co_host", "cooperation"}


def test_group_cannot_post_administrative_kind(api, people):
    api.force_authenticate(people["member"])
    response = api.post(
        "/api/v1/needs/", payload(people["npo"], kind="administrative"), format="json"
    )
    assert response.status_code == 400
    assert "kind" in response.json()
    # and without a kind, a group's need is a 市民提案
    response = api.post("/api/v1/needs/", payload(people["npo"]), format="json")
    assert response.json()["kind"] == "citizen"


def test_posting_for_another_organization_is_refused(api, people):
    api.force_authenticate(people["other"])
    response = api.post("/api/v1/needs/", payload(people["npo"]), format="json")
    assert response.status_code == 400
    assert "organization" in response.json()
    assert Need.objects.count() == 0


def test_coordinator_may_post_for_any_organization(api, people):
    api.force_authenticate(people["coordinator"])
    response = api.post("/api/v1/offers/", payload(people["npo"], capacity=2), format="json")
    assert response.status_code == 201, response.json()


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "あ" * 201}, "title"),
        ({"description": "説" * 5001}, "description"),
        ({"fields": ["no-such-field"]}, "fields"),
        ({"areas": ["atlantis"]}, "areas"),
        ({"forms": ["bribery"]}, "forms"),
        ({"starts_on": "2026-06-01", "ends_on": "2026-05-01"}, "ends_on"),
        ({"starts_on": "来年"}, "starts_on"),
        ({"status": "flying"}, "status"),
        ({"fields": "disaster"}, "fields"),
        ({"organization": 999999}, "organization"),
        ({"organization": "abc"}, "organization"),
    ],
)
def test_bad_input_gets_field_level_400_and_nothing_saved(api, people, overrides, field):
    api.force_authenticate(people["staff"])
    response = api.post("/api/v1/needs/", payload(people["department"], **overrides), format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert Need.objects.count() == 0


def test_bad_capacity_for_offer(api, people):
    api.force_authenticate(people["member"])
    for capacity in (0, -1, 21, "many"):
        response = api.post(
            "/api/v1/offers/", payload(people["npo"], capacity=capacity), format="json"
        )
        assert response.status_code == 400
        assert "capacity" in response.json()
    assert Offer.objects.count() == 0


def test_invalid_json_is_a_400(api, people):
    api.force_authenticate(people["staff"])
    response = api.post("/api/v1/needs/", data='{"title": "壊れた', content_type="application/json")
    assert response.status_code == 400
    assert Need.objects.count() == 0


def test_errors_are_japanese_by_default_and_english_on_request(api, people):
    api.force_authenticate(people["staff"])
    ja = api.post("/api/v1/needs/", payload(people["department"], title=""), format="json")
    assert ja.json()["title"] == ["この項目は空にできません。"]
    en = api.post(
        "/api/v1/needs/",
        payload(people["department"], title=""),
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert en.json()["title"] == ["This field may not be blank."]
    # our own messages are translated too
    api.force_authenticate(people["member"])
    bad_kind = payload(people["npo"], kind="administrative")
    ja = api.post("/api/v1/needs/", bad_kind, format="json")
    assert ja.json()["kind"] == ["行政提案は市の部署だけが投稿できます。"]
    en = api.post("/api/v1/needs/", bad_kind, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert en.json()["kind"] == [
        "Only a city department can post an administrative proposal (行政提案)."
    ]


def test_members_edit_their_posts_others_get_403(api, people):
    need = make_need(people["npo"], title="元のタイトル")
    api.force_authenticate(people["other"])
    response = api.patch(f"/api/v1/needs/{need.pk}/", {"title": "乗っ取り"}, format="json")
    assert response.status_code == 403
    api.force_authenticate(people["member"])
    response = api.patch(f"/api/v1/needs/{need.pk}/", {"title": "新しいタイトル"}, format="json")
    assert response.status_code == 200
    api.force_authenticate(people["coordinator"])
    response = api.patch(f"/api/v1/needs/{need.pk}/", {"status": "paused"}, format="json")
    assert response.status_code == 200
    need.refresh_from_db()
    assert (need.title, need.status) == ("新しいタイトル", "paused")


def test_anonymous_edit_is_401(api, people):
    offer = make_offer(people["npo"])
    response = api.patch(f"/api/v1/offers/{offer.pk}/", {"title": "x"}, format="json")
    assert response.status_code == 401


def test_organization_of_a_post_cannot_be_changed(api, people):
    need = make_need(people["npo"])
    api.force_authenticate(people["coordinator"])
    response = api.patch(
        f"/api/v1/needs/{need.pk}/", {"organization": people["group"].pk}, format="json"
    )
    assert response.status_code == 400
    need.refresh_from_db()
    assert need.organization == people["npo"]


def test_status_follows_its_lifecycle(api, people):
    need = make_need(people["npo"], status="open")
    api.force_authenticate(people["member"])
    response = api.patch(f"/api/v1/needs/{need.pk}/", {"status": "archived"}, format="json")
    assert response.status_code == 200
    response = api.patch(f"/api/v1/needs/{need.pk}/", {"status": "open"}, format="json")
    assert response.status_code == 400
    assert "status" in response.json()


def test_update_with_bad_period_leaves_post_unchanged(api, people):
    need = make_need(people["npo"], title="元のまま")
    api.force_authenticate(people["member"])
    response = api.patch(
        f"/api/v1/needs/{need.pk}/",
        {"title": "変わってはいけない", "ends_on": "2020-01-01"},
        format="json",
    )
    assert response.status_code == 400
    need.refresh_from_db()
    assert need.title == "元のまま"


def test_drafts_visible_to_own_members_and_coordinators_only(api, people):
    draft = make_offer(people["npo"], status="draft")
    url = f"/api/v1/offers/{draft.pk}/"
    assert api.get(url).status_code == 404
    api.force_authenticate(people["other"])
    assert api.get(url).status_code == 404
    api.force_authenticate(people["member"])
    assert api.get(url).status_code == 200
    api.force_authenticate(people["coordinator"])
    assert api.get(url).status_code == 200


def test_delete_is_not_offered(api, people):
    need = make_need(people["npo"])
    api.force_authenticate(people["member"])
    assert api.delete(f"/api/v1/needs/{need.pk}/").status_code == 405
    assert Need.objects.filter(pk=need.pk).exists()


def test_unknown_id_is_404(api, people):
    assert api.get("/api/v1/needs/999999/").status_code == 404
    assert api.get("/api/v1/offers/999999/").status_code == 404


def test_need_detail_includes_what_the_poster_provides(api, people):
    api.force_authenticate(people["staff"])
    response = api.post(
        "/api/v1/needs/",
        payload(
            people["department"],
            poster_supports=["venue", "publicity"],
            beneficiaries="一人暮らしの高齢者",
            budget_note="委託料は上限30万円",
        ),
        format="json",
    )
    assert response.status_code == 201, response.json()
    detail = api.get(f"/api/v1/needs/{response.json()['id']}/").json()
    assert sorted(detail["poster_supports"]) == ["publicity", "venue"]
    assert detail["beneficiaries"] == "一人暮らしの高齢者"
