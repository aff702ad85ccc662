import base64
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from marketplace.constants import (
    ALLOWED_TRANSITIONS,
    VERIFICATION_LIFETIME_DAYS,
    DeliveryOutcome,
    IntelChangeAction,
    IntelChangeKind,
    VerificationError,
    VerificationStatus,
    VerifySourceType,
    WebhookEvent,
)
from sigil.ids import PublicIdField


class InvalidTransition(ValueError):
    """A status change the verification's current status does not allow."""


class Verification(models.Model):
    """One server-side verification of a package version, owned by the user who asked for it."""

    public_id = PublicIdField(prefix="ver_")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="verifications")
    source_type = models.CharField(max_length=8, choices=VerifySourceType.choices)
    source_ref = models.CharField(max_length=2048)
    requested_version = models.CharField(max_length=200, blank=True)  # as asked; blank = latest
    source_version = models.CharField(max_length=200, blank=True)     # as resolved (git: the commit)
    source_hash = models.CharField(max_length=71, blank=True)         # integrity the caller expects
    callback_url = models.URLField(max_length=2048, blank=True)
    status = models.CharField(max_length=8, choices=VerificationStatus.choices, default=VerificationStatus.PENDING)
    score = models.PositiveIntegerField(null=True, blank=True)
    verdict = models.CharField(max_length=8, blank=True)
    # phases_clean, phases_flagged, publisher_reputation, known_threats (the response's `details`).
    details = models.JSONField(default=dict, blank=True)
    # Every phase with its findings, for the public page.
    phases = models.JSONField(default=list, blank=True)
    artifact_hash = models.CharField(max_length=71, blank=True)
    artifact_filename = models.CharField(max_length=255, blank=True)
    publisher = models.ForeignKey(
        "intel.Publisher", null=True, blank=True, on_delete=models.SET_NULL, related_name="verifications"
    )
    signatures_fingerprint = models.CharField(max_length=64, blank=True)
    # Status "error" only: why (a code) and what happened (the message the API shows).
    error_code = models.CharField(max_length=20, choices=VerificationError.choices, blank=True)
    error = models.TextField(blank=True)
    reused_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    verified_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    # Re-verification (README "Badges and re-verification"): the last intel feed version this
    # result was re-checked against, and, once a re-check fails it, when and why it was revoked.
    rechecked_at = models.DateTimeField(null=True, blank=True)
    rechecked_version = models.PositiveBigIntegerField(default=0)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # {"reason", "feed_version", "threat": "THR-…" | None, "signature": "sig_…" | None, "score", "verdict"}
    revocation = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [
            # verification_reusable: same package version, recent, completed.
            models.Index(fields=["source_type", "source_ref", "requested_version", "created_at"],
                         name="verification_reuse"),
            # Re-verification: the unexpired verified results, and those holding one artifact.
            models.Index(fields=["status", "expires_at"], name="verification_live"),
            models.Index(fields=["artifact_hash"], name="verification_artifact"),
        ]

    def __str__(self):
        return self.public_id

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def has_badge(self) -> bool:
        """Verified results get a badge; a revoked one keeps its badge URL, which now says "revoked"."""
        return self.status in (VerificationStatus.VERIFIED, VerificationStatus.REVOKED)

    @property
    def is_done(self) -> bool:
        return self.status in (VerificationStatus.VERIFIED, VerificationStatus.FAILED, VerificationStatus.REVOKED)

    def transition_to(self, status: str) -> None:
        """Move to `status` if the current one allows it (ALLOWED_TRANSITIONS), else InvalidTransition."""
        if status not in ALLOWED_TRANSITIONS.get(self.status, ()):
            raise InvalidTransition(f"{self.public_id or 'A verification'} is {self.status}; it cannot become {status}.")
        self.status = status

    def revoke(self, *, reason: str, feed_version: int, threat: str | None = None, signature: str | None = None,
               signature_name: str | None = None, score: int | None = None, verdict: str | None = None,
               now=None) -> None:
        """verified -> revoked; any other state is left alone (InvalidTransition, a ValueError), so a
        re-check never revokes twice."""
        self.transition_to(VerificationStatus.REVOKED)
        self.revoked_at = now or timezone.now()
        self.revocation = {"reason": reason[:1000], "feed_version": feed_version, "threat": threat,
                           "signature": signature, "signature_name": signature_name, "score": score,
                           "verdict": verdict}

    def stamp(self, now=None) -> None:
        self.verified_at = now or timezone.now()
        self.expires_at = self.verified_at + timedelta(days=VERIFICATION_LIFETIME_DAYS)


def new_webhook_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


class WebhookSecret(models.Model):
    """The per-user signing secret for callback deliveries (Standard Webhooks)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhook_secret")
    secret = models.CharField(max_length=80, default=new_webhook_secret)
    created_at = models.DateTimeField(default=timezone.now)
    rotated_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"webhook secret of {self.user_id}"


class WebhookDelivery(models.Model):
    """One attempt to POST a verification result to its callback_url."""

    verification = models.ForeignKey(Verification, on_delete=models.CASCADE, related_name="deliveries")
    message_id = models.CharField(max_length=40)  # webhook-id, the same on every retry of one event
    event_type = models.CharField(max_length=32, choices=WebhookEvent.choices, default=WebhookEvent.COMPLETED)
    attempt = models.PositiveIntegerField()
    url = models.URLField(max_length=2048)
    outcome = models.CharField(max_length=8, choices=DeliveryOutcome.choices)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    attempted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["attempted_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["verification", "attempt"], name="webhook_delivery_unique_attempt"),
        ]

    def __str__(self):
        return f"{self.verification_id}#{self.attempt}"


class IntelChange(models.Model):
    """One change to threats or signatures; its id is the intel feed version that re-checks record."""

    kind = models.CharField(max_length=10, choices=IntelChangeKind.choices)
    subject = models.CharField(max_length=32, blank=True)  # THR-… or sig_…
    action = models.CharField(max_length=10, choices=IntelChangeAction.choices)
    # Watermarks beat compares against to find changes no signal announced.
    subject_seq = models.BigIntegerField(default=0)  # a signature's change_seq
    subject_updated_at = models.DateTimeField(null=True, blank=True)  # a threat's updated_at
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # What the pass did: results that could be affected, batches left, revocations, downloads,
    # and results answered from stored hashes and scans without a download.
    candidates = models.PositiveIntegerField(default=0)
    pending_batches = models.IntegerField(default=0)
    revoked = models.PositiveIntegerField(default=0)
    downloads = models.PositiveIntegerField(default=0)
    answered_from_store = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            # reverify_catch_up: unfinished passes.
            models.Index(fields=["finished_at", "created_at"], name="intel_change_unfinished"),
            # reverify_catch_up: the watermarks per kind.
            models.Index(fields=["kind", "subject_seq"], name="intel_change_seq"),
        ]

    def __str__(self):
        return f"feed version {self.pk}: {self.kind} {self.subject} {self.action}"


class ArtifactFile(models.Model):
    """A file inside a verified artifact: a threat's hash finds the results holding it without a download."""

    artifact_hash = models.CharField(max_length=71)
    path = models.CharField(max_length=1024)
    sha256 = models.CharField(max_length=71)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["artifact_hash", "path"], name="artifact_file_unique_path"),
        ]
        indexes = [
            # A threat's content hash -> the artifacts containing that file.
            models.Index(fields=["sha256"], name="artifact_file_hash"),
        ]

    def __str__(self):
        return f"{self.artifact_hash[:19]}:{self.path}"


class ArtifactScan(models.Model):
    """The latest scan of an artifact and the signature fingerprint it ran with: one download per
    artifact and signature set, however many results (copies, other owners) hold it."""

    artifact_hash = models.CharField(max_length=71, unique=True)
    fingerprint = models.CharField(max_length=64)
    score = models.PositiveIntegerField()
    verdict = models.CharField(max_length=8)
    known_threats = models.PositiveIntegerField(default=0)
    rule_ids = models.JSONField(default=list, blank=True)
    scanned_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.artifact_hash[:19]} {self.verdict} ({self.fingerprint})"
