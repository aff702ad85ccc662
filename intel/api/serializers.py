from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from rest_framework import serializers

from domain.identifiers import ECOSYSTEMS
from intel.constants import REPORT_MESSAGE, Category, ReportSourceType, Severity
from sigil.api.fields import HashField, StrictCharField, StrictChoiceField, TimestampField


class ThreatSummarySerializer(serializers.Serializer):
    """A matched threat, as listed in POST /v1/scan."""

    hash = serializers.SerializerMethodField()
    reference = serializers.CharField()
    severity = serializers.CharField()
    category = serializers.CharField()
    description = serializers.CharField()
    reported_at = TimestampField(source="first_seen")
    reports_count = serializers.IntegerField()

    def get_hash(self, threat) -> str | None:
        return threat.content_hash or None


class PublisherSummarySerializer(serializers.Serializer):
    """The scanned package's publisher, as in POST /v1/scan (built from publisher_reputation)."""

    id = serializers.CharField()
    name = serializers.CharField()
    reputation = serializers.IntegerField()
    total_packages = serializers.IntegerField()
    flagged_packages = serializers.IntegerField()


class DependencyThreatSerializer(serializers.Serializer):
    """A declared dependency that admits a version known to be malicious, and why."""

    ecosystem = serializers.CharField(source="dependency.ecosystem")
    name = serializers.CharField(source="dependency.name")
    spec = serializers.CharField(source="dependency.spec")
    version = serializers.CharField()
    reason = serializers.CharField()
    threat = ThreatSummarySerializer()


class ScanSubmitOutputSerializer(serializers.Serializer):
    """POST /v1/scan: the stored scan, the threats known for it and its publisher's summary."""

    scan_id = serializers.CharField(source="scan.public_id")
    quarantine_id = serializers.CharField(source="scan.quarantine_id")
    score = serializers.IntegerField(source="scan.score")
    verdict = serializers.CharField(source="scan.verdict")
    threats = ThreatSummarySerializer(many=True)
    publisher = PublisherSummarySerializer(allow_null=True)
    dependency_threats = DependencyThreatSerializer(many=True)
    created_at = TimestampField(source="scan.created_at")


class AffectedPackageSerializer(serializers.Serializer):
    ecosystem = serializers.CharField()
    name = serializers.CharField()
    version = serializers.CharField()


class ThreatOutputSerializer(serializers.Serializer):
    """GET /v1/threat/{hash}: both shapes; the extra keys appear only when known_threat is true.

    Built from {"hash", "known_threat", **selectors.threat_lookup(...)}.
    """

    hash = serializers.CharField()
    known_threat = serializers.BooleanField()
    severity = serializers.CharField(allow_null=True)
    category = serializers.CharField(allow_null=True)
    description = serializers.CharField(allow_null=True)
    first_seen = TimestampField(required=False)
    last_seen = TimestampField(required=False)
    reports_count = serializers.IntegerField(required=False)
    affected_packages = AffectedPackageSerializer(many=True, required=False)
    references = serializers.ListField(child=serializers.URLField(), required=False)
    recommended_action = serializers.CharField(required=False)


class PublisherQuerySerializer(serializers.Serializer):
    ecosystem = serializers.ChoiceField(choices=ECOSYSTEMS, required=False)


class PublisherPackageSerializer(serializers.Serializer):
    name = serializers.CharField()
    version = serializers.CharField()
    verdict = serializers.CharField(allow_null=True)
    scans = serializers.IntegerField()


class PublisherOutputSerializer(serializers.Serializer):
    """GET /v1/publisher/{id}, from {"publisher", "reputation" (selectors.publisher_reputation), "packages"}."""

    id = serializers.CharField(source="publisher.public_id")
    name = serializers.CharField(source="publisher.shown_name")
    ecosystem = serializers.CharField(source="publisher.ecosystem")
    reputation_score = serializers.IntegerField(source="reputation.score")
    reputation_label = serializers.CharField(source="reputation.label")
    total_packages = serializers.IntegerField(source="reputation.total_packages")
    flagged_packages = serializers.IntegerField(source="reputation.flagged_packages")
    total_scans = serializers.IntegerField(source="reputation.total_scans")
    average_risk_score = serializers.FloatField(source="reputation.average_risk_score", allow_null=True)
    first_seen = TimestampField(source="publisher.first_seen")
    flags = serializers.ListField(source="reputation.flags", child=serializers.CharField())
    packages = PublisherPackageSerializer(many=True)


class ReportInputSerializer(serializers.Serializer):
    source_type = StrictChoiceField(choices=ReportSourceType.choices)
    source_ref = StrictCharField(max_length=2048)
    source_hash = HashField(required=False)
    category = StrictChoiceField(choices=Category.choices)
    severity = StrictChoiceField(choices=Severity.choices)
    description = StrictCharField(max_length=10000)
    evidence = serializers.ListField(child=StrictCharField(max_length=2000), required=False, max_length=100)
    scan_id = StrictCharField(required=False, max_length=16)

    def validate(self, attrs):
        # A url report must name a URL an analyst can follow; anything else is a bad value (400).
        if attrs["source_type"] == "url":
            try:
                URLValidator(schemes=["http", "https"])(attrs["source_ref"])
            except DjangoValidationError:
                raise serializers.ValidationError({"source_ref": "Must be an http(s) URL for source_type url."}) from None
        return attrs


class ReportOutputSerializer(serializers.Serializer):
    report_id = serializers.CharField(source="public_id")
    status = serializers.CharField()
    source_ref = serializers.CharField()
    category = serializers.CharField()
    severity = serializers.CharField()
    created_at = TimestampField()
    message = serializers.SerializerMethodField()

    def get_message(self, report) -> str:
        return REPORT_MESSAGE


REPORT_OUTCOME = {"verified": "threat_recorded", "rejected": "rejected"}


class ReportDetailSerializer(serializers.Serializer):
    """GET /v1/reports and /v1/reports/{report_id}: the reporter's own view of a report (beyond the reference)."""

    report_id = serializers.CharField(source="public_id")
    status = serializers.CharField()
    outcome = serializers.SerializerMethodField(help_text="pending, threat_recorded or rejected")
    threat_reference = serializers.SerializerMethodField()
    signatures = serializers.SerializerMethodField()
    source_type = serializers.CharField()
    source_ref = serializers.CharField()
    source_hash = serializers.SerializerMethodField()
    category = serializers.CharField()
    severity = serializers.CharField()
    created_at = TimestampField()
    updated_at = TimestampField()

    def get_outcome(self, report) -> str:
        return REPORT_OUTCOME.get(report.status, "pending")

    def get_threat_reference(self, report) -> str | None:
        return report.threat.reference if report.threat_id else None

    def get_signatures(self, report) -> list[str]:
        return self.context.get("signatures", {}).get(report.public_id, [])

    def get_source_hash(self, report) -> str | None:
        return report.source_hash or None
