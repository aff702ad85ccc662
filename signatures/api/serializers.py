from rest_framework import serializers

from domain.scoring import SEVERITIES
from signatures.constants import Ecosystem, SignatureStatus
from sigil.api.fields import DateTimeOutputField


class SignatureOutputSerializer(serializers.Serializer):
    """One signature as the feed serves it."""

    id = serializers.CharField(source="public_id", help_text="sig_NNN")
    phase = serializers.IntegerField(min_value=1, max_value=6)
    name = serializers.CharField()
    description = serializers.CharField()
    pattern = serializers.CharField(help_text="RE2 syntax; matched with multi-line anchors")
    severity = serializers.ChoiceField(source="severity_name", choices=SEVERITIES)
    weight = serializers.IntegerField()
    ecosystem = serializers.ChoiceField(choices=Ecosystem.values)
    file_globs = serializers.ListField(child=serializers.CharField())
    tags = serializers.ListField(child=serializers.CharField(), help_text="Capability tags (beyond the API reference)")
    status = serializers.ChoiceField(choices=SignatureStatus.values, help_text="withdrawn = tombstone: drop it")
    withdrawn_at = DateTimeOutputField(allow_null=True)
    created_at = DateTimeOutputField()
    updated_at = DateTimeOutputField()


class SignatureSyncOutputSerializer(serializers.Serializer):
    """GET /v1/signatures, from {"signatures", "since", "next_sync_token", "has_more"}."""

    signatures = SignatureOutputSerializer(many=True)
    total = serializers.SerializerMethodField(help_text="Number of signatures in this response")
    since = DateTimeOutputField(allow_null=True)
    next_sync_token = serializers.CharField(help_text="Opaque; pass it back as next_sync_token")
    has_more = serializers.BooleanField(help_text="More changes are waiting: call again with next_sync_token now")

    def get_total(self, page) -> int:
        return len(page["signatures"])
