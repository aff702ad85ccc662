from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail, ValidationError

from intel.api.serializers import HashField, PublisherSummarySerializer, ThreatSummarySerializer
from scans.constants import PHASE_NAMES, SourceType, Verdict, verdict_for_score
from sigil.api.fields import StrictCharField, StrictChoiceField, StrictIntegerField
from sigil.timefmt import isoformat_z

MAX_PHASES = 6
MAX_PHASE_SCORE = 1_000_000
MAX_FINDINGS_PER_PHASE = 500
MAX_FINDING_LENGTH = 1000
MAX_FILE_STATS_KEYS = 64
PHASE_KEYS = {"phase", "name", "score", "findings"}


class PhaseSerializer(serializers.Serializer):
    phase = StrictIntegerField(min_value=1, max_value=6)
    name = StrictChoiceField(choices=sorted(PHASE_NAMES.values()))
    score = StrictIntegerField(min_value=0, max_value=MAX_PHASE_SCORE)
    findings = serializers.ListField(child=StrictCharField(max_length=MAX_FINDING_LENGTH, allow_blank=True),
                                     max_length=MAX_FINDINGS_PER_PHASE)

    def to_internal_value(self, data):
        if not isinstance(data, dict):  # a wrong JSON type is a 422, like every other field
            raise ValidationError({"non_field_errors": [ErrorDetail("Must be an object.", code="type")]})
        return super().to_internal_value(data)

    def validate(self, attrs):
        if PHASE_NAMES[attrs["phase"]] != attrs["name"]:
            raise serializers.ValidationError({"name": f"Phase {attrs['phase']} is named {PHASE_NAMES[attrs['phase']]!r}."})
        return attrs


@extend_schema_field(PhaseSerializer(many=True))
class PhasesField(serializers.Field):
    """Up to six phases. A well-formed list is checked in one plain pass; anything else goes through
    PhaseSerializer, which finds and words every error. The nested serializer took half of this
    endpoint's validation time, and nearly every request is well-formed.
    """

    def to_internal_value(self, data):
        if _well_formed_phases(data):
            return [{"phase": p["phase"], "name": p["name"], "score": p["score"], "findings": list(p["findings"])}
                    for p in data]
        serializer = PhaseSerializer(many=True, max_length=MAX_PHASES, data=data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


def _well_formed_phases(data) -> bool:
    """True only when PhaseSerializer would accept `data` unchanged (no trimming, nothing dropped)."""
    return type(data) is list and len(data) <= MAX_PHASES and all(
        type(p) is dict and p.keys() == PHASE_KEYS
        and type(p["phase"]) is int and PHASE_NAMES.get(p["phase"]) == p["name"]
        and type(p["score"]) is int and 0 <= p["score"] <= MAX_PHASE_SCORE
        and type(p["findings"]) is list and len(p["findings"]) <= MAX_FINDINGS_PER_PHASE
        and all(_plain_finding(f) for f in p["findings"])
        for p in data
    )


def _plain_finding(value) -> bool:
    # What CharField would keep as is: a string, short enough, no surrounding whitespace (it trims),
    # no NUL and no lone surrogates (it refuses both).
    if type(value) is not str or len(value) > MAX_FINDING_LENGTH or value != value.strip() or "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


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
    phases = PhasesField()
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
