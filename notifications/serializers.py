from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from notifications import kinds
from notifications.models import Channel, Notification

KIND_RE = re.compile(r"^(\*|[a-z][a-z0-9_]*(\.[a-z0-9_]+)*)$")


class NotificationSerializer(serializers.ModelSerializer):
    kind_label = serializers.SerializerMethodField()
    is_read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "kind_label",
            "title",
            "body",
            "url",
            "payload",
            "created_at",
            "read_at",
            "is_read",
        ]
        read_only_fields = fields

    def get_kind_label(self, obj: Notification) -> str:
        return kinds.label(obj.kind)

    def get_is_read(self, obj: Notification) -> bool:
        return obj.read_at is not None


class MarkReadSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), required=False
    )


class PreferenceSerializer(serializers.Serializer):
    kind = serializers.CharField(max_length=60)
    label = serializers.CharField(read_only=True)
    channel = serializers.ChoiceField(choices=Channel.choices)

    def validate_kind(self, value: str) -> str:
        if not KIND_RE.match(value):
            raise serializers.ValidationError(_("通知の種類が正しくありません。"))
        return value


class PreferencesSerializer(serializers.Serializer):
    preferences = PreferenceSerializer(many=True)
