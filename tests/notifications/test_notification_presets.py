"""Notification presets (すべて／重要なものだけ／まとめて受け取る): one service call sets every
kind, and the channel each kind then goes by is what the preset promises."""

from __future__ import annotations

import pytest
from conftest import make_user

from notifications import presets
from notifications.kinds import KINDS
from notifications.models import Channel, Preference
from notifications.services import channel_for, set_preferences

pytestmark = pytest.mark.django_db


@pytest.fixture
def user():
    return make_user("preset-user")


def test_important_only_emails_what_asks_for_action(user):
    presets.apply_preset(user, "important")
    assert channel_for(user, "match.introduce") == Channel.EMAIL
    assert channel_for(user, "consultation.booked") == Channel.EMAIL
    assert channel_for(user, "suggestions.new") == Channel.IN_APP
    assert channel_for(user, "match.start_consulting") == Channel.IN_APP
    assert channel_for(user, "some.future_kind") == Channel.IN_APP
    assert presets.current_preset(user) == "important"


def test_digest_bundles_all_but_what_is_late_a_day_later(user):
    presets.apply_preset(user, "digest")
    assert channel_for(user, "match.introduce") == Channel.DIGEST_DAILY
    assert channel_for(user, "suggestions.new") == Channel.DIGEST_DAILY
    assert channel_for(user, "consultation.reminder_hour") == Channel.EMAIL
    assert channel_for(user, "consultation.cancelled") == Channel.EMAIL
    assert presets.current_preset(user) == "digest"


def test_a_preset_replaces_the_choices_per_kind(user):
    set_preferences(user, {"match.introduce": Channel.OFF, "*": Channel.IN_APP})
    assert presets.current_preset(user) == presets.CUSTOM
    presets.apply_preset(user, "all")
    assert channel_for(user, "match.introduce") == Channel.EMAIL
    assert channel_for(user, "suggestions.new") == Channel.EMAIL
    assert set(Preference.objects.filter(user=user).values_list("kind", flat=True)) == {"*"}
    assert presets.current_preset(user) == "all"
    # one change afterwards reads as a choice of one's own
    set_preferences(user, {"suggestions.new": Channel.OFF})
    assert presets.current_preset(user) == presets.CUSTOM


def test_no_rows_is_all(user):
    assert presets.current_preset(user) == "all"


def test_unknown_preset_changes_nothing(user):
    set_preferences(user, {"match.introduce": Channel.OFF})
    with pytest.raises(KeyError):
        presets.apply_preset(user, "bogus")
    assert channel_for(user, "match.introduce") == Channel.OFF


def test_kind_lists_name_real_kinds():
    named = presets.COORDINATOR_KINDS | presets.IMPORTANT_KINDS | presets.TIME_CRITICAL_KINDS
    assert named <= set(KINDS)
    assert presets.COORDINATOR_KINDS.isdisjoint(presets.visible_kinds(coordinator=False))
    assert presets.visible_kinds(coordinator=True) == list(KINDS)
