from django.db import models

VERIFICATION_LIFETIME_DAYS = 30  # docs/design.md: expires_at = verified_at + 30 days


class VerifySourceType(models.TextChoices):
    GIT = "git"
    PIP = "pip"
    NPM = "npm"
    URL = "url"


class VerificationStatus(models.TextChoices):
    PENDING = "pending"
    VERIFIED = "verified"  # verdict clean or low and no known threat
    FAILED = "failed"      # anything else
    ERROR = "error"        # could not be fetched or scanned; `error` says why
    REVOKED = "revoked"    # was verified; intelligence that arrived later fails it (`revocation` says why)


# Which statuses each status may move to (Verification.transition_to checks it): a run ends once;
# only a verified result can later be revoked.
ALLOWED_TRANSITIONS = {
    VerificationStatus.PENDING: {VerificationStatus.VERIFIED, VerificationStatus.FAILED, VerificationStatus.ERROR},
    VerificationStatus.VERIFIED: {VerificationStatus.REVOKED},
}


class VerificationError(models.TextChoices):
    """Why a verification ended in status "error" (the API answers the first three with 404, 400, 503)."""

    NOT_FOUND = "not_found", "Package or version not found"
    INVALID_REFERENCE = "invalid_reference", "Invalid or refused reference"
    UNAVAILABLE = "unavailable", "Registry unavailable"
    FETCH_FAILED = "fetch_failed", "Could not fetch or read the artifact"
    INTERNAL = "internal", "Internal error"


# Intel ecosystems by verify source type; git and url have no registry publisher.
ECOSYSTEM_BY_SOURCE = {"pip": "pypi", "npm": "npm"}


class WebhookEvent(models.TextChoices):
    """Standard Webhooks event types; the payload's `type` and the delivery record say which."""

    COMPLETED = "verification.completed"
    REVOKED = "verification.revoked"


class DeliveryOutcome(models.TextChoices):
    SUCCESS = "success"
    FAILURE = "failure"


class IntelChangeKind(models.TextChoices):
    THREAT = "threat"
    SIGNATURE = "signature"


class IntelChangeAction(models.TextChoices):
    CREATED = "created"
    CHANGED = "changed"
    WITHDRAWN = "withdrawn"
    BASELINE = "baseline"  # the watermark beat starts from on a fresh install; nothing to re-check


# Verify source types by intel ecosystem (threats name packages by ecosystem).
SOURCE_BY_ECOSYSTEM = {ecosystem: source for source, ecosystem in ECOSYSTEM_BY_SOURCE.items()}
