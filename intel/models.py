from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from intel.constants import (
    ALLOWED_TRANSITIONS,
    Category,
    RANGE_START,
    Ecosystem,
    RangeType,
    RecommendedAction,
    ReportSourceType,
    ReportStatus,
    ReviewAction,
    Severity,
)
from sigil.audit import audit_history
from sigil.ids import PublicIdField


class InvalidTransition(Exception):
    """A review action that the report's current status does not allow."""


class Publisher(models.Model):
    """A registry account (npm user, PyPI user, GitHub owner) that publishes packages."""

    public_id = PublicIdField(prefix="pub_")
    ecosystem = models.CharField(max_length=8, choices=Ecosystem.choices)
    # Registry user names are case-insensitive; `name` is stored lower-case, `display_name` as seen.
    name = models.CharField(max_length=214)
    display_name = models.CharField(max_length=214, blank=True)
    first_seen = models.DateTimeField(default=timezone.now)
    history = audit_history()

    class Meta:
        constraints = [
            # GET /v1/publisher/{id}?ecosystem= and publisher_get_or_create: (ecosystem, name).
            models.UniqueConstraint(fields=["ecosystem", "name"], name="publisher_unique_name"),
        ]
        indexes = [
            # GET /v1/publisher/{id} without ?ecosystem=: by name alone.
            models.Index(fields=["name"], name="publisher_name"),
        ]

    def __str__(self):
        return f"{self.ecosystem}:{self.shown_name}"

    @property
    def shown_name(self) -> str:
        """The account name as the registry spells it, else the stored lower-case one."""
        return self.display_name or self.name


class Package(models.Model):
    """A package name in one ecosystem, normalised (PyPI: PEP 503, npm: lower case with scope)."""

    ecosystem = models.CharField(max_length=8, choices=Ecosystem.choices)
    name = models.CharField(max_length=214)
    publisher = models.ForeignKey(Publisher, null=True, blank=True, on_delete=models.SET_NULL, related_name="packages")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # package_version_record and threats_matching(package_versions=...): (ecosystem, name).
            models.UniqueConstraint(fields=["ecosystem", "name"], name="package_unique_name"),
        ]
        # publisher -> packages (reputation, publisher page) is served by the FK's own index.

    def __str__(self):
        return f"{self.ecosystem}:{self.name}"


class PackageVersion(models.Model):
    package = models.ForeignKey(Package, on_delete=models.CASCADE, related_name="versions")
    version = models.CharField(max_length=128)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # threats_matching(package_versions=...): (package, version).
            models.UniqueConstraint(fields=["package", "version"], name="package_version_unique"),
        ]

    def __str__(self):
        return f"{self.package}@{self.version}"


def threat_public_url(reference: str) -> str:
    return f"{settings.SIGIL_PUBLIC_URL}/threats/{reference}"


def threat_references(reference: str, extra_references: list) -> list[str]:
    """The threat's own public page first, then further links (advisories, write-ups)."""
    return [threat_public_url(reference), *[str(r) for r in extra_references]]


class Threat(models.Model):
    """Verified threat data: a content hash and/or package versions known to be malicious."""

    reference = models.CharField(max_length=24, unique=True, editable=False)  # THR-YYYY-NNNN
    year = models.PositiveIntegerField(editable=False)
    sequence = models.PositiveIntegerField(editable=False)
    content_hash = models.CharField(max_length=71, blank=True)
    package_versions = models.ManyToManyField(PackageVersion, blank=True, related_name="threats")
    severity = models.CharField(max_length=8, choices=Severity.choices)
    category = models.CharField(max_length=32, choices=Category.choices)
    description = models.TextField()
    recommended_action = models.CharField(max_length=8, choices=RecommendedAction.choices)
    # Further links beyond the threat's own public page (advisories, write-ups).
    extra_references = models.JSONField(default=list, blank=True)
    first_seen = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)
    reports_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # OSV: a one-line summary (description is OSV's `details`), other ids (MAL-…, GHSA-…).
    summary = models.CharField(max_length=200, blank=True, default="", db_default="")
    aliases = models.JSONField(default=list, blank=True, db_default=[])
    # A withdrawn threat is still listed (lookups say so) but no longer makes a package malicious.
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    # `modified` of the OSV record this threat was last imported from (re-imports skip unchanged ones).
    osv_id = models.CharField(max_length=64, blank=True, default="", db_default="")
    osv_modified = models.DateTimeField(null=True, blank=True)
    # Fields an analyst edited on the threat page (CURATED_FIELDS); imports leave them alone.
    curated_fields = models.JSONField(default=list, blank=True, db_default=[])
    history = audit_history()

    class Meta:
        indexes = [
            # import_osv: the threat imported from (or aliased to) an OSV id.
            models.Index(fields=["osv_id"], name="threat_osv_id", condition=~Q(osv_id="")),
            # /v1/osv/modified_id.csv and all.zip: newest first.
            models.Index(fields=["-updated_at"], name="threat_updated"),
        ]
        constraints = [
            # GET /v1/threat/{hash}, threats_matching(hashes=...), verify: one threat per content hash.
            models.UniqueConstraint(fields=["content_hash"], condition=~Q(content_hash=""), name="threat_unique_hash"),
            models.UniqueConstraint(fields=["year", "sequence"], name="threat_unique_sequence"),
        ]
        # /threats/THR-YYYY-NNNN is served by the unique index on `reference`;
        # threats by package version by the M2M table's (threat, packageversion) indexes.

    def __str__(self):
        return self.reference

    @property
    def public_url(self) -> str:
        return threat_public_url(self.reference)

    @property
    def withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    @property
    def references(self) -> list[str]:
        return threat_references(self.reference, self.extra_references)


class ThreatRange(models.Model):
    """One OSV range interval of a package a threat affects: introduced <= v < fixed (or <= last_affected)."""

    threat = models.ForeignKey(Threat, on_delete=models.CASCADE, related_name="ranges")
    package = models.ForeignKey(Package, on_delete=models.CASCADE, related_name="threat_ranges")
    range_type = models.CharField(max_length=9, choices=RangeType.choices, default=RangeType.ECOSYSTEM)
    introduced = models.CharField(max_length=128, default=RANGE_START, help_text='"0" = from the first version')
    fixed = models.CharField(max_length=128, blank=True, help_text="First version no longer affected")
    last_affected = models.CharField(max_length=128, blank=True, help_text="Last affected version (instead of fixed)")

    class Meta:
        ordering = ["package_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(fixed="") | Q(last_affected=""), name="threat_range_one_end"),
        ]
        # Lookups read ranges by package: the package FK's index; a threat's ranges: the threat FK's.

    def clean(self):
        """Every bound must parse in the package's ecosystem (ranges compare versions, never text)."""
        from django.core.exceptions import ValidationError

        from intel.versions import valid_version

        ecosystem = self.package.ecosystem if self.package_id else ""  # the admin form sets the package first
        errors = {}
        if self.fixed and self.last_affected:
            errors["last_affected"] = "Give fixed or last_affected, not both."
        for name in ("introduced", "fixed", "last_affected"):
            value = getattr(self, name)
            if value and ecosystem and not valid_version(ecosystem, self.range_type, value):
                kind = "PEP 440" if ecosystem == "pypi" and self.range_type == RangeType.ECOSYSTEM else "SemVer"
                errors.setdefault(name, f"{value!r} is not a {kind} version.")
        if not self.introduced:
            errors.setdefault("introduced", 'Give the first affected version, or "0" for all versions.')
        if errors:
            raise ValidationError(errors)

    def __str__(self):
        end = f"<{self.fixed}" if self.fixed else (f"<={self.last_affected}" if self.last_affected else "")
        return f"{self.package} [{self.range_type}] >={self.introduced}{end}"


class ThreatArtifactHash(models.Model):
    """sha256 of an archive (wheel, sdist, npm tarball) a threat covers, beyond its content hash."""

    threat = models.ForeignKey(Threat, on_delete=models.CASCADE, related_name="artifact_hashes")
    hash = models.CharField(max_length=71)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["threat", "hash"], name="threat_artifact_hash_unique"),
        ]
        indexes = [models.Index(fields=["hash"], name="threat_artifact_hash")]

    def __str__(self):
        return self.hash


class Report(models.Model):
    """A community threat report; it changes threat data only once an analyst verifies it."""

    public_id = PublicIdField(prefix="rpt_")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports")
    source_type = models.CharField(max_length=8, choices=ReportSourceType.choices)
    source_ref = models.CharField(max_length=2048)
    source_hash = models.CharField(max_length=71, blank=True)
    category = models.CharField(max_length=32, choices=Category.choices)
    severity = models.CharField(max_length=8, choices=Severity.choices)
    description = models.TextField(max_length=10000)
    evidence = models.JSONField(default=list, blank=True)
    scan = models.ForeignKey("scans.Scan", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports")
    # Parsed from source_ref at submission; an analyst may correct them before verifying.
    ecosystem = models.CharField(max_length=8, choices=Ecosystem.choices, blank=True)
    package_name = models.CharField(max_length=214, blank=True)
    package_version = models.CharField(max_length=128, blank=True)
    status = models.CharField(max_length=12, choices=ReportStatus.choices, default=ReportStatus.SUBMITTED)
    threat = models.ForeignKey(Threat, null=True, blank=True, on_delete=models.SET_NULL, related_name="reports")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    history = audit_history()

    class Meta:
        indexes = [
            # POST /v1/report: reports by this user in the last hour (10/hour limit).
            models.Index(fields=["user", "created_at"], name="report_user_recent"),
            # Admin triage list: filter by status, newest first.
            models.Index(fields=["status", "-created_at"], name="report_triage"),
            # Admin search/filter and "other reports of this hash".
            models.Index(fields=["source_hash"], name="report_hash"),
            models.Index(fields=["ecosystem", "package_name"], name="report_package"),
        ]

    def __str__(self):
        return self.public_id

    def transition(self, action: str) -> tuple[str, str]:
        """Apply a review action to the status; returns (from, to) or raises InvalidTransition."""
        allowed_from, to_status = ALLOWED_TRANSITIONS[action]
        if self.status not in allowed_from:
            raise InvalidTransition(f"Cannot {ReviewAction(action).label.lower()} a report that is {self.get_status_display().lower()}.")
        from_status, self.status = self.status, to_status
        return from_status, to_status


class ReportReview(models.Model):
    """One analyst decision on a report: who, what, why, when. Append-only."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="reviews")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="report_reviews")
    action = models.CharField(max_length=16, choices=ReviewAction.choices)
    from_status = models.CharField(max_length=12, choices=ReportStatus.choices)
    to_status = models.CharField(max_length=12, choices=ReportStatus.choices)
    reason = models.TextField(max_length=5000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        # A report's history is served by the report FK's index.

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Report reviews are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Report reviews are append-only.")

    def __str__(self):
        actor = self.actor.email if self.actor_id else "system"
        return f"{self.get_action_display()} by {actor} at {self.created_at:%Y-%m-%d %H:%M}"


class ReporterReputation(models.Model):
    """How far analysts' past decisions trust an account's reports (0-100, 50 = no history).

    Recomputed from the decisions after each one (intel.services.reporter_reputation_refresh); shown
    only to analysts, never through the API.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reporter_reputation")
    score = models.PositiveSmallIntegerField(default=50)
    verified_credit = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.user} {self.score}"
