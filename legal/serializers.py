"""The API's view of the legal documents and of a person's consent."""

from __future__ import annotations

from rest_framework import serializers

from legal.models import CONSENT_KIND_CHOICES, Consent, Document

PAGES = {"terms": "/terms/", "privacy": "/privacy/", "contact": "/contact/"}


class DocumentSerializer(serializers.ModelSerializer):
    """A version in the reader's language (``language``: English when asked for and
    written, else Japanese). ``body``: paragraphs separated by blank lines; ``# `` starts a
    heading, ``- `` a list item."""

    title = serializers.SerializerMethodField()
    body = serializers.SerializerMethodField()
    language = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Document
        fields = [
            "kind",
            "version",
            "title",
            "body",
            "language",
            "summary",
            "requires_consent",
            "published_at",
            "url",
        ]
        read_only_fields = fields

    def get_title(self, doc: Document) -> str:
        return doc.shown_title

    def get_body(self, doc: Document) -> str:
        return doc.shown_body

    def get_language(self, doc: Document) -> str:
        return "en" if doc.in_english else "ja"

    def get_url(self, doc: Document) -> str:
        """The page showing the current version."""
        return PAGES[doc.kind]


class ConsentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Consent
        fields = ["kind", "version", "agreed_at", "via"]
        read_only_fields = fields


class ConsentStatusSerializer(serializers.Serializer):
    consent_required = serializers.BooleanField(
        help_text="True when the person must agree to the documents in ``pending``."
    )
    pending = DocumentSerializer(many=True)
    consents = ConsentSerializer(many=True)


class AgreeSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=CONSENT_KIND_CHOICES)
    version = serializers.IntegerField(
        min_value=1, max_value=2_147_483_647, help_text="The version number the person was shown."
    )
