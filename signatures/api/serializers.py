from rest_framework import serializers

from domain.scoring import SEVERITIES
from signatures.constants import Ecosystem, SignatureStatus


class SignatureOutputSerializer(serializers.Serializer):
    """Shape of signatures.selectors.signature_to_dict (documents the schema)."""

    id = serializers.CharField(help_text="sig_NNN")
    phase = serializers.IntegerField(min_value=1, max_value=6)
    name = serializers.CharField()
    description = serializers.CharField()
    pattern = serializers.CharField(help_text="RE2 syntax; matched with multi-line anchors")
    severity = serializers.ChoiceField(choices=SEVERITIES)
    weight = serializers.IntegerField()
    ecosystem = serializers.ChoiceField(choices=Ecosystem.values)
    file_globs = serializers.ListField(child=serializers.CharField())
    tags = serializers.ListField(child=serializers.CharField(), help_text="Capability tags (beyond the API reference)")
    status = serializers.ChoiceField(choices=SignatureStatus.values, help_text="withdrawn = tombstone: drop it")
    withdrawn_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class SignatureSyncOutputSerializer(serializers.Serializer):
    signatures = SignatureOutputSerializer(many=True)
    total = serializers.IntegerField(help_text="Number of signatures in this response")
    since = serializers.DateTimeField(allow_null=True)
    next_sync_token = serializers.CharField(help_text="Opaque; pass it back as next_sync_token")
    has_more = serializers.BooleanField(help_text="More changes are waiting: call again with next_sync_token now")
