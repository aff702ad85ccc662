import re

from rest_framework import serializers
from rest_framework.fields import empty
from rest_framework.exceptions import ErrorDetail, ValidationError

from domain.scoring import PHASE_NAMES, verdict_for_score
from scans.constants import SourceType, Verdict
from sigil.api.fields import HashField, StrictCharField, StrictChoiceField, StrictIntegerField
from sigil.timefmt import isoformat_z

MAX_QUARANTINE_ID_LENGTH = 200
MAX_SOURCE_REF_LENGTH = 2048
MAX_CLI_VERSION_LENGTH = 64
MAX_SCORE = 6_000_000
MAX_PHASES = 6
MAX_PHASE_SCORE = 1_000_000
MAX_FINDINGS_PER_PHASE = 500
MAX_FINDING_LENGTH = 1000
MAX_FILE_STATS_KEYS = 64
MAX_FILE_STATS_KEY_LENGTH = 64
PHASE_KEYS = {"phase", "name", "score", "findings"}
MAX_DEPENDENCIES = 500
MAX_DEPENDENCY_NAME_LENGTH = 214
MAX_DEPENDENCY_SPEC_LENGTH = 256
DEPENDENCY_ECOSYSTEMS = ("npm", "pypi")
DEPENDENCY_KEYS = {"ecosystem", "name", "spec"}
CANONICAL_HASH = re.compile(r"sha256:[0-9a-f]{64}")  # what HashField normalises to


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


class FileStatsField(serializers.DictField):
    """File type counts and total size: short string keys, non-negative integers."""

    default_error_messages = {"stats": "Use at most 64 keys of up to 64 characters, each a non-negative integer."}

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not _plain_file_stats(value):
            self.fail("stats")
        return value


class DependencySerializer(serializers.Serializer):
    """A dependency the scanned package declares (the engine reads it from the package's metadata)."""

    ecosystem = StrictChoiceField(choices=DEPENDENCY_ECOSYSTEMS)
    name = StrictCharField(max_length=MAX_DEPENDENCY_NAME_LENGTH)
    spec = StrictCharField(max_length=MAX_DEPENDENCY_SPEC_LENGTH, allow_blank=True)

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise ValidationError({"non_field_errors": [ErrorDetail("Must be an object.", code="type")]})
        return super().to_internal_value(data)


class ScanInputSerializer(serializers.Serializer):
    quarantine_id = StrictCharField(max_length=MAX_QUARANTINE_ID_LENGTH)
    source_type = StrictChoiceField(choices=SourceType.choices)
    source_ref = StrictCharField(max_length=MAX_SOURCE_REF_LENGTH)
    source_hash = HashField(required=False)
    score = StrictIntegerField(min_value=0, max_value=MAX_SCORE)
    verdict = StrictChoiceField(choices=Verdict.choices)
    phases = PhaseSerializer(many=True, max_length=MAX_PHASES)
    file_stats = FileStatsField(required=False)
    cli_version = StrictCharField(max_length=MAX_CLI_VERSION_LENGTH, required=False, allow_blank=True)
    dependencies = DependencySerializer(many=True, required=False, max_length=MAX_DEPENDENCIES)

    def run_validation(self, data=empty):
        # Nearly every body comes from the CLI and is well-formed: one plain pass accepts those,
        # at a fifth of the cost of the fields (the nested phases above all). Anything else goes
        # through the fields, which find and word every error.
        accepted = well_formed_scan(data)
        return accepted if accepted is not None else super().run_validation(data)

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


def well_formed_scan(data) -> dict | None:
    """ScanInputSerializer's validated data when its fields would accept `data` unchanged (nothing
    trimmed, normalised or refused), else None. tests/scans/test_scan_validation.py holds the two
    to the same answers."""
    if type(data) is not dict:
        return None
    score, phases = data.get("score"), data.get("phases")
    if not (
        _plain_string(data.get("quarantine_id"), MAX_QUARANTINE_ID_LENGTH)
        and _plain_string(data.get("source_ref"), MAX_SOURCE_REF_LENGTH)
        and _one_of(data.get("source_type"), SourceType.values)
        and type(score) is int and 0 <= score <= MAX_SCORE
        and _one_of(data.get("verdict"), Verdict.values) and data["verdict"] == verdict_for_score(score)
        and _well_formed_phases(phases)
        and len({p["phase"] for p in phases}) == len(phases) and sum(p["score"] for p in phases) == score
        and ("source_hash" not in data or (type(data["source_hash"]) is str and CANONICAL_HASH.fullmatch(data["source_hash"])))
        and ("file_stats" not in data or _plain_file_stats(data["file_stats"]))
        and ("cli_version" not in data or _plain_string(data["cli_version"], MAX_CLI_VERSION_LENGTH, allow_blank=True))
        and ("dependencies" not in data or _plain_dependencies(data["dependencies"]))
    ):
        return None
    accepted = {key: data[key] for key in ("quarantine_id", "source_type", "source_ref", "score", "verdict")}
    accepted["phases"] = sorted(({"phase": p["phase"], "name": p["name"], "score": p["score"], "findings": list(p["findings"])}
                                 for p in phases), key=lambda p: p["phase"])
    for key in ("source_hash", "cli_version"):
        if key in data:
            accepted[key] = data[key]
    if "file_stats" in data:
        accepted["file_stats"] = dict(data["file_stats"])
    if "dependencies" in data:
        accepted["dependencies"] = [dict(d) for d in data["dependencies"]]
    return accepted


def _plain_dependencies(data) -> bool:
    return type(data) is list and len(data) <= MAX_DEPENDENCIES and all(
        type(d) is dict and d.keys() == DEPENDENCY_KEYS and _one_of(d["ecosystem"], DEPENDENCY_ECOSYSTEMS)
        and _plain_string(d["name"], MAX_DEPENDENCY_NAME_LENGTH)
        and _plain_string(d["spec"], MAX_DEPENDENCY_SPEC_LENGTH, allow_blank=True)
        for d in data
    )


def _well_formed_phases(data) -> bool:
    return type(data) is list and len(data) <= MAX_PHASES and all(
        type(p) is dict and p.keys() == PHASE_KEYS
        and type(p["phase"]) is int and PHASE_NAMES.get(p["phase"]) == p["name"]
        and type(p["score"]) is int and 0 <= p["score"] <= MAX_PHASE_SCORE
        and type(p["findings"]) is list and len(p["findings"]) <= MAX_FINDINGS_PER_PHASE
        and all(_plain_string(f, MAX_FINDING_LENGTH, allow_blank=True) for f in p["findings"])
        for p in data
    )


def _plain_file_stats(data) -> bool:
    return type(data) is dict and len(data) <= MAX_FILE_STATS_KEYS and all(
        type(k) is str and len(k) <= MAX_FILE_STATS_KEY_LENGTH and type(v) is int and v >= 0 for k, v in data.items())


def _one_of(value, choices) -> bool:
    return type(value) is str and value in choices


def _plain_string(value, max_length: int, *, allow_blank: bool = False) -> bool:
    # What CharField keeps as is: a string within max_length, blank only where allowed, with no
    # surrounding whitespace (it would trim), no NUL and no lone surrogate (it refuses both).
    if type(value) is not str or len(value) > max_length or (not value and not allow_blank):
        return False
    if value != value.strip() or "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


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
