from django.db import models


class Ecosystem(models.TextChoices):
    NPM = "npm", "npm"
    PYPI = "pypi", "PyPI"
    GITHUB = "github", "GitHub"


class Severity(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


class Category(models.TextChoices):
    CREDENTIAL_EXFILTRATION = "credential_exfiltration"
    BACKDOOR = "backdoor"
    INSTALL_HOOK_ABUSE = "install_hook_abuse"
    TYPOSQUAT = "typosquat"
    OBFUSCATED_PAYLOAD = "obfuscated_payload"
    CRYPTOMINER = "cryptominer"
    DATA_EXFILTRATION = "data_exfiltration"
    OTHER = "other"


class ReportSourceType(models.TextChoices):
    GIT = "git"
    PIP = "pip"
    NPM = "npm"
    URL = "url"


class ReportStatus(models.TextChoices):
    SUBMITTED = "submitted", "Submitted"
    IN_REVIEW = "in_review", "In review"
    VERIFIED = "verified", "Verified"
    REJECTED = "rejected", "Rejected"


class ReviewAction(models.TextChoices):
    START_REVIEW = "start_review", "Start review"
    VERIFY = "verify", "Verify"
    REJECT = "reject", "Reject"
    PROMOTE = "promote", "Promote to signature"


# Which statuses each review action may start from (state changes go through one method).
ALLOWED_TRANSITIONS = {
    ReviewAction.START_REVIEW: ({ReportStatus.SUBMITTED}, ReportStatus.IN_REVIEW),
    ReviewAction.VERIFY: ({ReportStatus.SUBMITTED, ReportStatus.IN_REVIEW}, ReportStatus.VERIFIED),
    ReviewAction.REJECT: ({ReportStatus.SUBMITTED, ReportStatus.IN_REVIEW}, ReportStatus.REJECTED),
}


class RecommendedAction(models.TextChoices):
    REJECT = "reject", "Reject"
    REVIEW = "review", "Review"
    MONITOR = "monitor", "Monitor"


# Default recommendation for a verified threat of this severity.
RECOMMENDED_ACTION_FOR_SEVERITY = {
    Severity.LOW: RecommendedAction.MONITOR,
    Severity.MEDIUM: RecommendedAction.REVIEW,
    Severity.HIGH: RecommendedAction.REJECT,
    Severity.CRITICAL: RecommendedAction.REJECT,
}

REPORT_MESSAGE = "Thank you. This report will be reviewed and may generate new detection signatures."

ANALYSTS_GROUP = "Analysts"


class RangeType(models.TextChoices):
    """OSV range types Sigil compares (GIT ranges are not imported)."""

    ECOSYSTEM = "ECOSYSTEM", "Ecosystem order (PyPI: PEP 440, npm: SemVer)"
    SEMVER = "SEMVER", "SemVer 2.0"


class MatchBasis(models.TextChoices):
    """Why a package matched a threat, strongest first."""

    ARTIFACT_HASH = "artifact_hash"
    VERSION = "version"
    RANGE = "range"
    NAME_ONLY = "name_only"


# OSV's "introduced": "0": from the first version on.
RANGE_START = "0"

# Fields an analyst curates on the threat page; an OSV import never overwrites one an analyst edited.
CURATED_FIELDS = ("summary", "description", "severity", "category", "recommended_action", "extra_references",
                  "aliases", "withdrawn_at", "affected")


# Reporter reputation (intel.selectors.reporter_reputation_figures): a neutral start and a prior,
# so no history reads 50, verified reports raise it, rejected ones lower it twice as fast.
REPUTATION_NEUTRAL = 50
REPUTATION_PRIOR = 2
# At most this many verified reports count per UTC day of submission: a burst cannot buy reputation.
REPUTATION_VERIFIED_PER_DAY = 2
