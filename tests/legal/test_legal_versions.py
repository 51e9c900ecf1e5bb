"""利用規約・プライバシーポリシー・問い合わせ先: the texts a city starts with, versions that
are never changed once published, and the public pages that show them."""

from __future__ import annotations

import pytest
from legal_support import publish

from legal import services
from legal.models import Document
from legal.text import blocks
from lib.errors import Forbidden, Invalid


def test_a_new_installation_publishes_version_1_of_each_document_in_both_languages(db):
    docs = services.current_documents()
    assert list(docs) == ["terms", "privacy", "contact"]
    assert {d.version for d in docs.values()} == {1}
    privacy = docs["privacy"].body
    # What the Act asks a privacy policy to say (APPI): purposes, sharing, retention,
    # safety measures, where to ask for disclosure / correction / deletion.
    for heading in (
        "利用目的",
        "第三者への提供",
        "保存期間",
        "安全管理措置",
        "開示・訂正・利用停止・削除の請求",
    ):
        assert heading in privacy, heading
    assert "コーディネーター" in privacy and "紹介を受けた協働の相手" in privacy
    for heading in (
        "Purposes of use",
        "Disclosure to third parties",
        "Retention",
        "Safety measures",
    ):
        assert heading in docs["privacy"].body_en, heading
    assert docs["terms"].requires_consent and docs["privacy"].requires_consent
    assert not docs["contact"].requires_consent  # information, nobody agrees to it


def test_publishing_makes_a_new_version_and_leaves_the_old_one_as_it_was(people):
    old = services.current("privacy")
    old_body = old.body
    new = publish(people["coordinator"], "privacy", body="# 新しい方針\n改定しました。")
    assert new.version == old.version + 1
    assert new.published_by == people["coordinator"] and new.requires_consent
    assert services.current("privacy") == new
    old.refresh_from_db()
    assert old.body == old_body  # what people agreed to stays readable
    assert [d.version for d in services.history("privacy")] == [new.version, old.version]


def test_a_minor_edit_and_the_contact_page_ask_nobody_to_agree_again(people):
    minor = publish(people["coordinator"], "terms", minor=True)
    contact = publish(people["coordinator"], "contact")
    assert not minor.requires_consent and not contact.requires_consent
    # The newest version that asks for consent is still version 1.
    assert services.required_versions()["terms"][1] == 1


@pytest.mark.parametrize("role", ["member", "other", "staff"])
def test_only_coordinators_and_admins_may_publish(people, role):
    with pytest.raises(Forbidden):
        publish(people[role], "terms")
    assert services.current("terms").version == 1
    publish(people["admin"], "terms")  # a platform admin may
    assert services.current("terms").version == 2


def test_an_unchanged_or_empty_text_is_refused_with_the_field(people):
    now = services.current("terms")
    with pytest.raises(Invalid) as unchanged:
        services.publish(
            people["coordinator"],
            "terms",
            title=now.title,
            body=now.body + "\n",
            title_en=now.title_en,
            body_en=now.body_en,
        )
    assert "body" in unchanged.value.field_errors()
    with pytest.raises(Invalid) as empty:
        services.publish(people["coordinator"], "terms", title=" ", body="")
    assert set(empty.value.field_errors()) == {"title", "body"}
    assert Document.objects.filter(kind="terms").count() == 1


def test_the_text_format_has_headings_paragraphs_and_lists_and_no_markup():
    found = blocks("# 第1条\n本文の\n一行目\n\n- 一つ目\n・二つ目\n\n## 補足\n<script>x</script>")
    assert [(b.kind, b.text, b.items) for b in found] == [
        ("h2", "第1条", []),
        ("p", "本文の\n一行目", []),
        ("ul", "", ["一つ目", "二つ目"]),
        ("h3", "補足", []),
        ("p", "<script>x</script>", []),
    ]


def test_the_pages_show_the_current_version_its_history_and_an_earlier_one(client, people):
    publish(people["coordinator"], "terms", body="# 改定後\n<b>太字ではない</b>")
    page = client.get("/terms/").content.decode()
    assert "<h2>改定後</h2>" in page and "&lt;b&gt;太字ではない&lt;/b&gt;" in page
    assert "第2版" in page and 'href="?version=1"' in page
    old = client.get("/terms/?version=1").content.decode()
    assert "第1条（目的）" in old and "これは以前の版です。" in old
    assert client.get("/terms/?version=9").status_code == 404
    assert client.get("/terms/?version=abc").status_code == 404
    for url, title in (("/privacy/", "プライバシーポリシー"), ("/contact/", "問い合わせ先")):
        response = client.get(url)
        assert response.status_code == 200 and title in response.content.decode()


def test_english_readers_get_the_english_text(client, db):
    page = client.get("/privacy/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Privacy policy" in page and "Purposes of use" in page
    assert "利用目的" not in page


def test_every_page_links_the_three_documents_in_its_footer(client, people):
    client.force_login(people["member"])
    for url in ("/", "/menu/", "/my/"):
        page = client.get(url).content.decode()
        footer = page[page.index('class="site-footer"') :]
        for link in ('href="/terms/"', 'href="/privacy/"', 'href="/contact/"'):
            assert link in footer, (url, link)
