"""Consent: sign-up requires it (the versions and the time are recorded), and a new version
asks signed-in people to agree again on the pages, while the API keeps answering and says
so (``consent_required``)."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from legal_support import publish

from legal import services
from legal.models import Consent
from organizations.models import User

PASSWORD = "Midori-no-Te-2026"


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()


def signup_data(**overrides) -> dict:
    data = {
        "username": "hidamari",
        "display_name": "佐藤 みどり",
        "email": "midori@example.jp",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "org_name": "南区こども食堂ひまわり",
        "kind": "citizen_group",
        "contact_name": "佐藤 みどり",
        "contact_email": "info@himawari.example.jp",
        "agree": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# --------------------------------------------------------------------------- sign-up
def test_the_signup_page_links_the_versions_it_asks_consent_to(client, db):
    page = client.get("/accounts/signup/").content.decode()
    assert "利用規約とプライバシーポリシーに同意します" in page
    assert 'href="/terms/"' in page and 'href="/privacy/"' in page
    assert 'name="terms_version" value="1"' in page
    assert 'name="privacy_version" value="1"' in page


def test_signup_without_consent_is_refused_and_creates_nothing(client, city):
    response = client.post("/accounts/signup/", signup_data(agree=None))
    assert response.status_code == 200
    assert "利用規約とプライバシーポリシーに同意いただく必要があります。" in (
        response.content.decode()
    )
    assert not User.objects.filter(username="hidamari").exists()


def test_signup_records_the_versions_agreed_to_and_when(client, city):
    client.post("/accounts/signup/", signup_data(terms_version="1", privacy_version="1"))
    user = User.objects.get(username="hidamari")
    consents = {c.kind: c for c in Consent.objects.filter(user=user)}
    assert set(consents) == {"terms", "privacy"}
    assert {c.version for c in consents.values()} == {1}
    assert {c.via for c in consents.values()} == {"signup"}
    assert all(c.agreed_at >= user.date_joined for c in consents.values())
    # Nothing more to agree to: the pages open as usual.
    assert client.get("/my/").status_code == 200


def test_a_version_published_while_the_form_was_open_is_not_agreed_to_unseen(client, people):
    page = client.get("/accounts/signup/")
    assert 'name="privacy_version" value="1"' in page.content.decode()
    publish(people["coordinator"], "privacy")
    response = client.post("/accounts/signup/", signup_data(terms_version="1", privacy_version="1"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "新しい内容をご確認のうえ、もう一度同意してください。" in html
    assert 'name="privacy_version" value="2"' in html  # the form now shows version 2
    box = re.search(r'<input[^>]*name="agree"[^>]*>', html).group(0)
    assert "checked" not in box  # and asks again
    assert not User.objects.filter(username="hidamari").exists()
    client.post("/accounts/signup/", signup_data(terms_version="1", privacy_version="2"))
    user = User.objects.get(username="hidamari")
    assert sorted(user.legal_consents.values_list("kind", "version")) == [
        ("privacy", 2),
        ("terms", 1),
    ]


# --------------------------------------------------------------------------- consent again
def test_a_new_version_sends_signed_in_people_to_the_consent_page_then_back(client, people):
    member = people["member"]
    client.force_login(member)
    assert client.get("/my/").status_code == 200  # account newer than version 1: not asked
    publish(people["coordinator"], "privacy", summary="保存期間を明記しました。")

    response = client.get("/my/?tab=posts")
    assert response.status_code == 302
    assert response["Location"] == "/consent/?next=%2Fmy%2F%3Ftab%3Dposts"
    page = client.get(response["Location"]).content.decode()
    assert "保存期間を明記しました。" in page and "第2版" in page
    # The person can still read the documents and sign out.
    assert client.get("/privacy/").status_code == 200
    assert client.get("/terms/").status_code == 200

    # Without ticking the box nothing is recorded.
    doc = services.current("privacy")
    refused = client.post("/consent/", {"document": doc.pk, "next": "/my/?tab=posts"})
    assert refused.status_code == 200 and not member.legal_consents.exists()
    agreed = client.post("/consent/", {"document": doc.pk, "agree": "on", "next": "/my/?tab=posts"})
    assert agreed.status_code == 302 and agreed["Location"] == "/my/?tab=posts"
    consent = member.legal_consents.get()
    assert (consent.kind, consent.version, consent.via) == ("privacy", 2, "web")
    assert client.get("/my/").status_code == 200


def test_the_consent_page_never_sends_people_off_the_site(client, people):
    client.force_login(people["member"])
    doc = publish(people["coordinator"], "terms")
    response = client.post(
        "/consent/", {"document": doc.pk, "agree": "on", "next": "https://evil.example/"}
    )
    assert response.status_code == 302 and response["Location"] == "/"


def test_a_minor_edit_asks_nobody(client, people):
    client.force_login(people["member"])
    publish(people["coordinator"], "terms", minor=True)
    assert client.get("/my/").status_code == 200


def test_someone_who_agreed_at_signup_agrees_again_to_the_next_version(client, people):
    client.post("/accounts/signup/", signup_data())
    assert client.get("/menu/").status_code == 200
    doc = publish(people["coordinator"], "privacy")
    assert client.get("/menu/")["Location"].startswith("/consent/")
    client.post("/consent/", {"document": doc.pk, "agree": "on"})
    assert client.get("/menu/").status_code == 200
    user = User.objects.get(username="hidamari")
    # Both agreements stay on record: which version, when.
    assert sorted(user.legal_consents.values_list("kind", "version", "via")) == [
        ("privacy", 1, "signup"),
        ("privacy", 2, "web"),
        ("terms", 1, "signup"),
    ]


def test_forms_being_sent_the_api_and_the_admin_are_not_redirected(client, api, people):
    publish(people["coordinator"], "privacy")
    client.force_login(people["member"])
    # A POST is never lost to the redirect (the next page asks).
    response = client.post("/my/notifications/", {"ids": []})
    assert "/consent/" not in response.get("Location", "")
    # The API keeps answering and says what is missing.
    api.force_authenticate(people["member"])
    me = api.get("/api/v1/me/")
    assert me.status_code == 200 and me.json()["consent_required"] is True
    status = api.get("/api/v1/legal/consents/").json()
    assert status["consent_required"] is True
    assert [(d["kind"], d["version"]) for d in status["pending"]] == [("privacy", 2)]
    assert api.get("/api/v1/needs/").status_code == 200
    client.force_login(people["admin"])
    assert client.get("/admin/").status_code == 200


def test_the_api_records_consent_to_the_version_shown(api, people):
    publish(people["coordinator"], "terms")
    api.force_authenticate(people["staff"])
    stale = api.post("/api/v1/legal/consents/", {"kind": "terms", "version": 1}, format="json")
    assert stale.status_code == 400 and "version" in stale.json()
    contact = api.post("/api/v1/legal/consents/", {"kind": "contact", "version": 1}, format="json")
    assert contact.status_code == 400 and "kind" in contact.json()
    done = api.post("/api/v1/legal/consents/", {"kind": "terms", "version": 2}, format="json")
    assert done.status_code == 201
    assert done.json()["version"] == 2 and done.json()["via"] == "api"
    again = api.post("/api/v1/legal/consents/", {"kind": "terms", "version": 2}, format="json")
    assert again.status_code == 201 and people["staff"].legal_consents.count() == 1
    assert api.get("/api/v1/me/").json()["consent_required"] is False


def test_the_documents_are_readable_through_the_api_by_anyone(api, db):
    listed = api.get("/api/v1/legal/documents/")
    assert [d["kind"] for d in listed.json()] == ["terms", "privacy", "contact"]
    english = api.get("/api/v1/legal/documents/privacy/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["language"] == "en" and "Purposes of use" in english["body"]
    assert api.get("/api/v1/legal/documents/nothing/").status_code == 404
    assert api.get("/api/v1/legal/consents/").status_code == 401


def test_an_account_created_after_the_current_version_is_not_asked(client, people):
    publish(people["coordinator"], "privacy")
    newcomer = User.objects.create_user("newcomer", password="pass-Tsunagu-2026")
    client.force_login(newcomer)
    assert client.get("/my/").status_code == 200
