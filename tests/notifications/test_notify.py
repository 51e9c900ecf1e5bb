"""``notifications.notify``: the outbox written with the event that causes it."""

from __future__ import annotations

import pytest
from conftest import make_user
from django.db import transaction

from notifications.models import Notification
from notifications.services import notify

pytestmark = pytest.mark.django_db


def test_one_notification_per_recipient_skipping_inactive_and_duplicates(people):
    inactive = make_user("gone", is_active=False)
    made = notify(
        [people["member"], people["member"], inactive, None, people["coordinator"]],
        "match.introduced",
        "団体を紹介しました",
        "詳しくはマッチの画面をご覧ください。",
        payload={"match": 1},
    )
    assert {n.recipient for n in made} == {people["member"], people["coordinator"]}
    assert Notification.objects.count() == 2
    assert Notification.objects.get(recipient=people["member"]).payload == {"match": 1}


def test_a_dedupe_key_never_notifies_the_same_person_twice(people):
    for _ in range(3):  # e.g. a retried reminder task
        notify([people["member"]], "reminder", "明日は相談日です", dedupe_key="reminder:abc")
    assert Notification.objects.filter(recipient=people["member"]).count() == 1
    notify([people["member"]], "reminder", "明日は相談日です", dedupe_key="reminder:def")
    assert Notification.objects.filter(recipient=people["member"]).count() == 2


def test_a_rolled_back_event_leaves_no_notification(people):
    with pytest.raises(RuntimeError), transaction.atomic():
        notify([people["member"]], "match.approved", "承認しました")
        raise RuntimeError("the event failed after notifying")
    assert not Notification.objects.exists()
