"""The notification settings page: presets first, the table per kind folded beneath, and a
member is not offered the kinds only coordinators receive."""

from __future__ import annotations

import pytest

from notifications.models import Channel
from notifications.presets import COORDINATOR_KINDS
from notifications.services import channel_for

pytestmark = pytest.mark.django_db

URL = "/my/notifications/settings/"


def test_presets_come_first_and_the_table_is_folded(client, people):
    client.force_login(people["member"])
    html = client.get(URL).content.decode()
    for label in ("すべて", "重要なものだけ", "まとめて受け取る"):
        assert f"<strong>{label}</strong>" in html
    assert 'value="all" checked' in html  # no choice yet: the defaults are すべて
    table = html.index('name="kind__match.introduce"')
    assert html.index('name="preset"') < table
    before = html[:table]
    assert before.rindex("<details") > before.rfind("</details>")
    assert '<details class="box" open>' not in html


def test_choosing_a_preset_sets_every_kind(client, people):
    user = people["member"]
    client.force_login(user)
    response = client.post(URL, {"action": "preset", "preset": "important"}, follow=True)
    assert "受け取り方を「重要なものだけ」にしました。" in response.content.decode()
    assert channel_for(user, "match.introduce") == Channel.EMAIL
    assert channel_for(user, "suggestions.new") == Channel.IN_APP
    assert 'value="important" checked' in response.content.decode()
    html = client.post(URL, {"action": "preset", "preset": "bogus"}).content.decode()
    assert "受け取り方を選んでください。" in html
    assert channel_for(user, "suggestions.new") == Channel.IN_APP


def test_own_choices_open_the_table(client, people):
    client.force_login(people["member"])
    client.post(URL, {"kind__*": "email", "kind__match.introduce": "off"})
    html = client.get(URL).content.decode()
    assert '<details class="box" open>' in html and "個別に設定しています" in html


def test_members_are_not_offered_coordinator_kinds(client, people):
    client.force_login(people["member"])
    html = client.get(URL).content.decode()
    for kind in COORDINATOR_KINDS:
        assert f'name="kind__{kind}"' not in html
    assert "回答期限切れ（コーディネーター向け）" not in html
    client.force_login(people["coordinator"])
    html = client.get(URL).content.decode()
    assert 'name="kind__match.response_overdue"' in html
