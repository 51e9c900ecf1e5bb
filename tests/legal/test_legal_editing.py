"""Editing the documents without a deploy: coordinators at /coord/legal/, platform admins
also in the admin. Saving publishes a new version; nobody else may."""

from __future__ import annotations

import pytest

from legal import services
from legal.models import Document


def edit_data(**overrides) -> dict:
    data = {
        "title": "プライバシーポリシー",
        "body": "# 1. 利用目的\nマッチングのために使います。",
        "title_en": "Privacy policy",
        "body_en": "# 1. Purposes\nFor matching.",
        "summary": "利用目的を短くしました。",
    }
    data.update(overrides)
    return data


def test_a_coordinator_sees_each_document_and_publishes_a_new_version(client, people):
    client.force_login(people["coordinator"])
    listing = client.get("/coord/legal/").content.decode()
    for label in ("利用規約", "プライバシーポリシー", "問い合わせ先"):
        assert label in listing
    assert 'href="/coord/legal/privacy/edit/"' in listing
    form = client.get("/coord/legal/privacy/edit/").content.decode()
    assert "第1版" in form and "利用目的" in form  # starts from the current text

    response = client.post("/coord/legal/privacy/edit/", edit_data(), follow=True)
    assert "「プライバシーポリシー」第2版を公開しました。" in response.content.decode()
    new = services.current("privacy")
    assert (new.version, new.requires_consent, new.published_by) == (
        2,
        True,
        people["coordinator"],
    )
    assert new.summary == "利用目的を短くしました。"
    page = client.get("/privacy/").content.decode()
    assert "マッチングのために使います。" in page and "第2版" in page
    assert Document.objects.get(kind="privacy", version=1).body != new.body


def test_the_minor_box_publishes_without_asking_for_consent_again(client, people):
    client.force_login(people["coordinator"])
    client.post("/coord/legal/terms/edit/", edit_data(title="利用規約", minor="on"))
    assert services.current("terms").version == 2
    assert not services.current("terms").requires_consent
    # The contact page has no such box: nobody agrees to it.
    assert 'name="minor"' not in client.get("/coord/legal/contact/edit/").content.decode()


def test_a_refusal_is_shown_on_the_form_and_publishes_nothing(client, people):
    client.force_login(people["coordinator"])
    now = services.current("contact")
    same = {
        "title": now.title,
        "body": now.body,
        "title_en": now.title_en,
        "body_en": now.body_en,
    }
    response = client.post("/coord/legal/contact/edit/", same)
    assert response.status_code == 200
    assert "現在の版と同じ内容です。" in response.content.decode()
    assert services.current("contact").version == 1
    assert client.get("/coord/legal/nothing/edit/").status_code == 404


@pytest.mark.parametrize("role", ["member", "other", "staff"])
def test_outsiders_cannot_edit(client, people, role):
    client.force_login(people[role])
    assert client.get("/coord/legal/").status_code == 403
    response = client.post("/coord/legal/privacy/edit/", edit_data())
    assert response.status_code == 403
    assert "コーディネーターだけが使えるページです。" in response.content.decode()
    assert services.current("privacy").version == 1


def test_anonymous_visitors_are_sent_to_the_login(client, db):
    response = client.post("/coord/legal/privacy/edit/", edit_data())
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert services.current("privacy").version == 1


def test_a_platform_admin_publishes_in_the_admin_and_nobody_changes_a_published_version(
    client, people
):
    client.force_login(people["admin"])
    form = client.get("/admin/legal/document/add/?kind=terms").content.decode()
    assert "第1条（目的）" in form  # starts from the current terms
    response = client.post(
        "/admin/legal/document/add/",
        {"kind": "terms", **edit_data(title="利用規約", body="# 改定\n新しい規約。")},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    new = services.current("terms")
    assert (new.version, new.body, new.published_by) == (2, "# 改定\n新しい規約。", people["admin"])
    first = Document.objects.get(kind="terms", version=1)
    change = client.post(
        f"/admin/legal/document/{first.pk}/change/", {"kind": "terms", "title": "x", "body": "y"}
    )
    assert change.status_code == 403
    first.refresh_from_db()
    assert first.title == "利用規約"
    unchanged = client.post("/admin/legal/document/add/", {"kind": "terms", **edit_data(
        title="利用規約", body="# 改定\n新しい規約。")})  # fmt: skip
    assert unchanged.status_code == 200 and "現在の版と同じ内容です。" in unchanged.content.decode()
    assert services.current("terms").version == 2
