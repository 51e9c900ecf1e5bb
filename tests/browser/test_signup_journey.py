"""Registering an organization (「団体を登録する」) in the browser: a bad field shows a
Japanese message next to it and keeps what was typed; the corrected form signs the person
in on their マイページ."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import shot

pytestmark = pytest.mark.browser

PASSWORD = "Minato-dai-2026!"


def test_signup_shows_a_japanese_field_error_keeps_the_input_then_succeeds(page, city):
    from organizations.models import Organization

    page.goto("/")
    page.get_by_role("navigation", name="メインメニュー").get_by_role(
        "link", name="団体を登録する"
    ).click()
    expect(page.get_by_role("heading", name="団体を登録する", level=1)).to_be_visible()

    page.get_by_label("ユーザー名").fill("やまだ 花子")  # not 半角英数字
    page.get_by_label("表示名").fill("山田 花子")
    page.get_by_label("メールアドレス").first.fill("hanako@example.jp")
    page.get_by_label("パスワード").first.fill(PASSWORD)
    page.get_by_label("パスワード（確認）").fill(PASSWORD)
    page.get_by_label("団体名").fill("みなと台こども劇団")
    page.get_by_label("種別").select_option(label="市民活動団体")
    page.get_by_label("団体の紹介").fill("小学生と一緒にお芝居をつくっています。")
    page.get_by_label("連絡担当者").fill("山田 花子")
    page.get_by_label("連絡先メールアドレス").fill("gekidan@example.jp")
    page.get_by_label("利用規約とプライバシーポリシーに同意します").check()
    page.get_by_role("button", name="登録する").click()

    expect(page.get_by_role("alert")).to_contain_text("入力内容に誤りがあります")
    username = page.get_by_label("ユーザー名")
    # The message is tied to the field for screen readers (aria-describedby).
    expect(username).to_have_accessible_description(
        re.compile("半角英数字と @ . \\+ - _ のみ使えます")
    )
    error = page.locator(".field.has-error")
    expect(error).to_have_count(1)
    expect(error).to_contain_text("ユーザー名には半角英数字と @ . + - _ のみ使えます。")
    expect(username).to_have_value("やまだ 花子")  # what was typed is kept
    expect(page.get_by_label("団体名")).to_have_value("みなと台こども劇団")
    expect(page.get_by_label("団体の紹介")).to_have_value("小学生と一緒にお芝居をつくっています。")
    expect(page.get_by_label("連絡先メールアドレス")).to_have_value("gekidan@example.jp")
    assert not Organization.objects.filter(name="みなと台こども劇団").exists()
    shot(page, "signup-error")

    username.fill("yamada-hanako")
    page.get_by_label("パスワード").first.fill(PASSWORD)
    page.get_by_label("パスワード（確認）").fill(PASSWORD)
    page.get_by_role("button", name="登録する").click()

    expect(page.get_by_role("heading", name="マイページ", level=1)).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("登録しました")
    expect(page.get_by_text("みなと台こども劇団").first).to_be_visible()
    expect(page.get_by_text("山田 花子 さん")).to_be_visible()
    org = Organization.objects.get(name="みなと台こども劇団")
    assert not org.is_verified  # waits for a coordinator
