"""Sign-up (/accounts/signup/): a person registers an organization, which waits for a
coordinator's verification before its posts are public or suggested."""

from __future__ import annotations

import pytest
from conftest import make_need, make_offer
from django.core.cache import cache

PASSWORD = "Midori-no-Te-2026"


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()
    yield
    cache.clear()


def form_data(**overrides) -> dict:
    data = {
        "username": "hidamari",
        "display_name": "佐藤 みどり",
        "email": "midori@example.jp",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "org_name": "南区こども食堂ひまわり",
        "kind": "citizen_group",
        "fields": ["welfare"],
        "areas": ["t-minami"],
        "description": "毎週土曜日にこども食堂を開いています。",
        "website": "https://himawari.example.jp/",
        "contact_name": "佐藤 みどり",
        "contact_email": "info@himawari.example.jp",
        "contact_phone": "045-111-2222",
        "agree": "on",  # the terms and privacy policy (tests/legal/test_consent.py)
    }
    data.update(overrides)
    return data


def test_signup_page_renders_for_anonymous_users(client, db):
    response = client.get("/accounts/signup/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "団体を登録する" in html and "ユーザー名" in html and "団体名" in html
    assert 'value="city_department"' not in html
    assert 'value="npo_corporation"' in html
    # Linked from the login page and the header.
    assert 'href="/accounts/signup/"' in client.get("/accounts/login/").content.decode()
    assert 'href="/accounts/signup/"' in client.get("/").content.decode()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"password2": "Other-Password-2026"}, "password2", "確認用のパスワードが一致しません。"),
        ({"password1": "12345678", "password2": "12345678"}, "password1", "パスワード"),
        ({"username": "member"}, "username", "このユーザー名はすでに使われています。"),
        ({"email": "not-an-email"}, "email", "正しいメールアドレスを入力してください。"),
        ({"kind": ""}, "kind", "この項目は必須です。"),
        ({"kind": "city_department"}, "kind", "一覧から種別を選んでください。"),
    ],
)
def test_bad_input_gives_japanese_errors_and_creates_nothing(
    client, people, overrides, field, message
):
    from organizations.models import Organization, User

    users, orgs = User.objects.count(), Organization.objects.count()
    response = client.post("/accounts/signup/", form_data(**overrides))
    assert response.status_code == 200
    form = response.context["form"]
    assert field in form.errors
    assert any(message in e for e in form.errors[field])
    html = response.content.decode()
    assert "入力内容に誤りがあります" in html
    assert 'value="南区こども食堂ひまわり"' in html  # typed values are kept …
    assert PASSWORD not in html  # … except the passwords
    assert User.objects.count() == users and Organization.objects.count() == orgs
    assert "_auth_user_id" not in client.session


def test_weak_password_error_is_japanese(client, city):
    response = client.post(
        "/accounts/signup/", form_data(password1="hidamari", password2="hidamari")
    )
    errors = " ".join(response.context["form"].errors["password1"])
    assert "パスワード" in errors and "password" not in errors.lower()


def test_signup_creates_an_unverified_organization_and_notifies_coordinators(client, people):
    from notifications.models import Notification
    from organizations.models import Membership, Organization, User

    response = client.post("/accounts/signup/", form_data(), follow=True)
    assert response.redirect_chain[-1] == ("/my/", 302)
    assert "登録しました。コーディネーターが団体を確認するまで、お待ちください。" in (
        response.content.decode()
    )
    user = User.objects.get(username="hidamari")
    assert user.display_name == "佐藤 みどり" and user.email == "midori@example.jp"
    assert user.language == "ja" and user.check_password(PASSWORD)
    assert int(client.session["_auth_user_id"]) == user.pk
    org = Organization.objects.get(name="南区こども食堂ひまわり")
    assert org.is_verified is False and org.kind == "citizen_group"
    assert [f.code for f in org.fields.all()] == ["welfare"]
    assert [a.code for a in org.areas.all()] == ["t-minami"]
    assert org.contact_email == "info@himawari.example.jp"
    assert Membership.objects.get(user=user, organization=org).role == "admin"
    notes = Notification.objects.filter(kind="organization.registered")
    # Every coordinator (and platform admin), not the new member.
    assert {n.recipient for n in notes} == {people["coordinator"], people["admin"]}
    note = notes.first()
    assert note.title == "新しい団体の登録: 南区こども食堂ひまわり"
    assert note.url == "/coord/organizations/unverified/"


def test_unverified_posts_are_hidden_until_a_coordinator_verifies(client, api, people):
    from matching.scoring.adapter import rank_for_need
    from organizations.models import Organization

    client.post("/accounts/signup/", form_data())
    org = Organization.objects.get(name="南区こども食堂ひまわり")
    offer = make_offer(org, title="ひまわりの見守り訪問")
    need = make_need(people["department"], title="高齢者の見守り訪問の担い手募集")

    def public() -> tuple[bool, bool]:
        menu = api.get("/menu/", {"type": "offers"}).content.decode()
        in_menu = (
            "ひまわりの見守り訪問" in menu and api.get(f"/offers/{offer.pk}/").status_code == 200
        )
        titles = [o["title"] for o in api.get("/api/v1/offers/").json()["results"]]
        return in_menu, "ひまわりの見守り訪問" in titles

    assert public() == (False, False)
    # The organization's own member still sees it.
    own = [o["title"] for o in client.get("/api/v1/offers/").json()["results"]]
    assert "ひまわりの見守り訪問" in own
    assert offer.pk not in {int(s.offer_id) for s in rank_for_need(need)}

    coordinator = people["coordinator"]
    client.force_login(coordinator)
    response = client.post(f"/coord/organizations/{org.pk}/verify/")
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.is_verified
    assert public() == (True, True)
    assert offer.pk in {int(s.offer_id) for s in rank_for_need(need)}


def test_sixth_signup_from_one_ip_is_refused(client, city):
    from organizations.models import User

    for i in range(5):
        client.logout()
        response = client.post("/accounts/signup/", form_data(username=f"user{i}"))
        assert response.status_code == 302, i
    client.logout()
    response = client.post("/accounts/signup/", form_data(username="user5"))
    assert response.status_code == 429
    assert "登録が多すぎます" in response.content.decode()
    assert 'value="南区こども食堂ひまわり"' in response.content.decode()
    assert not User.objects.filter(username="user5").exists()
    # Another address may still sign up.
    response = client.post("/accounts/signup/", form_data(username="user6"), REMOTE_ADDR="10.0.0.9")
    assert response.status_code == 302
