"""Every change through the API is audited with who made it, however they signed in."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry
from conftest import make_need
from rest_framework.authtoken.models import Token

from proposals.models import Need

pytestmark = pytest.mark.django_db


def entries_for(obj):
    return LogEntry.objects.get_for_object(obj).order_by("timestamp")


def test_token_authenticated_change_is_logged_with_the_actor(client, people):
    need = make_need(people["npo"], title="元のタイトル")
    token = Token.objects.create(user=people["member"])
    response = client.patch(
        f"/api/v1/needs/{need.pk}/",
        {"title": "新しいタイトル"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token.key}",
    )
    assert response.status_code == 200
    change = entries_for(need).last()
    assert change.actor == people["member"]
    assert change.changes_dict["title"] == ["元のタイトル", "新しいタイトル"]


def test_session_authenticated_change_is_logged_with_the_actor(client, people):
    client.force_login(people["staff"])
    response = client.post(
        "/api/v1/needs/",
        {
            "organization": people["department"].pk,
            "title": "防災訓練の協力団体募集",
            "description": "避難所運営訓練を一緒に運営してくれる団体を探しています。",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    need = Need.objects.get(pk=response.json()["id"])
    assert entries_for(need).first().actor == people["staff"]
