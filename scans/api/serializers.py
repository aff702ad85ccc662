from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail, ValidationError

from intel.api.serializers import HashField, PublisherSummarySerializer, ThreatSummarySerializer
from scans.constants import PHASE_NAMES, SourceType, Verdict, verdict_for_score
from sigil.api.fields import StrictCharField, StrictChoiceField, StrictIntegerField
from sigil.timefmt import isoformat_z

MAX_FINDINGS_PER_PHASE = 500
MAX_FILE_STATS_KEYS = 64


class PhaseSerializer(serializers.Serializer):
    phase = StrictIntegerField(min_value=1, max_value=6)
    name = StrictChoiceField(choices=sorted(PHASE_NAMES.values()))
    score = StrictIntegerField(min_value=0, max_value=1_000_000)
    findings = serializers.ListField(child=StrictCharField(max_length=1000, allow_blank=True), max_length=MAX_FINDINGS_PER_PHASE)

    def to_internal_value(self, data):
        if not isinstance(data, dict):  # a wrong JSON type is a 422, like every other field
            raise ValidationError({"non_field_errors": [ErrorDetail("Must be an object.", code="type")]})
        return super().to_internal_value(data)

    def validate(self, attrs):
        if PHASE_NAMES[attrs["phase"]] != attrs["name"]:
            raise serializers.ValidationError({"name": f"Phase {attrs['phase']} is named {PHASE_NAMES[attrs['phase']]!r}."})
        return attrs


class FileStatsField(serializers.DictField):
    """File type counts and total size: short string keys, non-negative integers."""

    default_error_messages = {"stats": "Use at most 64 keys of up to 64 characters, each a non-negative integer."}

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if len(value) > MAX_FILE_STATS_KEYS or any(
            len(k) > 64 or isinstance(v, bool) or not isinstance(v, int) or v < 0 for k, v in value.items()
        ):
            self.fail("stats")
        return value


class ScanInputSerializer(serializers.Serializer):
    quarantine_id = StrictCharField(max_length=200)
    source_type = StrictChoiceField(choices=SourceType.choices)
    source_ref = StrictCharField(max_length=2048)
    source_hash = HashField(required=False)
    score = StrictIntegerField(min_value=0, max_value=6_000_000)
    verdict = StrictChoiceField(choices=Verdict.choices)
    phases = PhaseSerializer(many=True, max_length=6)
    file_stats = FileStatsField(required=False)
    cli_version = StrictCharField(max_length=64, required=False, allow_blank=True)

    def validate(self, attrs):
        numbers = [p["phase"] for p in attrs["phases"]]
        if len(numbers) != len(set(numbers)):
            raise serializers.ValidationError({"phases": "Each phase number may appear only once."})
        total = sum(p["score"] for p in attrs["phases"])
        if total != attrs["score"]:
            raise serializers.ValidationError({"score": f"The phase scores add up to {total}, not {attrs['score']}."})
        expected = verdict_for_score(attrs["score"])
        if attrs["verdict"] != expected:
            raise serializers.ValidationError({"verdict": f"A score of {attrs['score']} has the verdict {expected!r}."})
        attrs["phases"] = sorted((dict(p) for p in attrs["phases"]), key=lambda p: p["phase"])
        return attrs


class ScanOutputSerializer(serializers.Serializer):
    """A stored scan as its submitter sees it (history and detail)."""

    scan_id = serializers.CharField(source="public_id")
    quarantine_id = serializers.CharField()
    source_type = serializers.CharField()
    source_ref = serializers.CharField()
    source_hash = serializers.SerializerMethodField()
    score = serializers.IntegerField()
    verdict = serializers.CharField()
    phases = PhaseSerializer(many=True)
    file_stats = serializers.DictField(allow_null=True)
    cli_version = serializers.SerializerMethodField()
    created_at = serializers.SerializerMethodField()

    def get_source_hash(self, scan) -> str | None:
        return scan.source_hash or None

    def get_cli_version(self, scan) -> str | None:
        return scan.cli_version or None

    def get_created_at(self, scan) -> str:
        return isoformat_z(scan.created_at)


class ScanCreatedSerializer(serializers.Serializer):
    """POST /v1/scan response (api-reference.md)."""

    scan_id = serializers.CharField()
    quarantine_id = serializers.CharField()
    score = serializers.IntegerField()
    verdict = serializers.CharField()
    threats = ThreatSummarySerializer(many=True)
    publisher = PublisherSummarySerializer(allow_null=True)
    created_at = serializers.CharField()
