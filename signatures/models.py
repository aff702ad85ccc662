import re

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from scans.engine import InvalidPattern, validate_pattern
from sigil.audit import audit_history
from signatures.constants import (
    MAX_PATTERN_LENGTH,
    Ecosystem,
    Origin,
    TAG_CHOICES,
    Severity,
    SignatureStatus,
)

PUBLIC_ID_RE = re.compile(r"^sig_(\d{3,9})$")
MAX_FILE_GLOBS = 20


def public_id_for(number: int) -> str:
    return f"sig_{number:03d}"


def number_from_public_id(public_id: str) -> int | None:
    """sig_007 -> 7; None unless the id is in canonical form."""
    match = PUBLIC_ID_RE.match(public_id or "")
    if not match or public_id_for(int(match.group(1))) != public_id or int(match.group(1)) == 0:
        return None
    return int(match.group(1))


def pattern_problem(pattern) -> str | None:
    """What is wrong with a detection pattern, or None when RE2 accepts it."""
    if not isinstance(pattern, str) or not pattern.strip():
        return "Pattern must be a non-empty string."
    if len(pattern) > MAX_PATTERN_LENGTH:
        return f"Pattern is {len(pattern)} characters; the limit is {MAX_PATTERN_LENGTH}."
    try:
        validate_pattern(pattern)
    except InvalidPattern as exc:
        return f"Pattern is {exc.message}" if exc.message.startswith("not ") else exc.message
    return None


class Signature(models.Model):
    """A detection rule; every change gets a new change_seq so clients can delta-sync exactly."""

    number = models.PositiveIntegerField(unique=True, editable=False)
    public_id = models.CharField(max_length=16, unique=True, editable=False)
    phase = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(6)])
    name = models.CharField(max_length=100)
    description = models.TextField(max_length=2000)
    pattern = models.TextField()
    severity = models.PositiveSmallIntegerField(choices=Severity.choices)
    weight = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(100)])
    ecosystem = models.CharField(max_length=8, choices=Ecosystem.choices, default=Ecosystem.GENERIC)
    file_globs = models.JSONField(default=list, blank=True, help_text='Files it applies to, e.g. ["package.json"]; empty = all files.')
    # Capability tags from the fixed vocabulary (scans/engine/tags.py); combinations read them.
    tags = models.JSONField(default=list, blank=True, help_text="What a match means; the engine combines findings by tag.")
    status = models.CharField(max_length=10, choices=SignatureStatus.choices, default=SignatureStatus.ACTIVE, editable=False)
    withdrawn_at = models.DateTimeField(null=True, blank=True, editable=False)
    withdrawn_reason = models.TextField(blank=True, editable=False)
    origin = models.CharField(max_length=8, choices=Origin.choices, default=Origin.BUILTIN)
    # The intel report's public id (rpt_…), not a foreign key: keeps the apps decoupled.
    origin_report = models.CharField(max_length=16, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    # Position in the change feed; assigned under the feed lock, so its order is commit order.
    change_seq = models.BigIntegerField(unique=True, editable=False)
    history = audit_history()

    class Meta:
        ordering = ["number"]
        indexes = [
            models.Index(fields=["status", "change_seq"], name="signature_status_seq"),
            models.Index(fields=["updated_at"], name="signature_updated_at"),
        ]

    def __str__(self):
        return f"{self.public_id or 'sig_(new)'} {self.name}"

    @property
    def severity_name(self) -> str:
        return Severity(self.severity).label

    @property
    def is_active(self) -> bool:
        return self.status == SignatureStatus.ACTIVE

    def clean(self):
        errors = {}
        problem = pattern_problem(self.pattern)
        if problem:
            errors["pattern"] = problem
        globs = self.file_globs
        if globs is None:
            globs = self.file_globs = []
        if (
            not isinstance(globs, list)
            or len(globs) > MAX_FILE_GLOBS
            or not all(isinstance(g, str) and 0 < len(g) <= 200 and "\x00" not in g for g in globs)
        ):
            errors["file_globs"] = f'file_globs must be a JSON list of up to {MAX_FILE_GLOBS} non-empty strings, e.g. ["package.json"].'
        tags = self.tags
        if tags is None:
            tags = self.tags = []
        known = {value for value, _ in TAG_CHOICES}
        if not isinstance(tags, list) or not all(isinstance(t, str) and t in known for t in tags):
            errors["tags"] = f"tags must be a list of known tags: {', '.join(sorted(known))}."
        elif len(set(tags)) != len(tags):
            errors["tags"] = "tags must not repeat."
        if self.origin == Origin.REPORT and not (self.origin_report or "").startswith("rpt_"):
            errors["origin_report"] = "A signature from a report needs the report's id (rpt_…)."
        if self.origin == Origin.BUILTIN and self.origin_report:
            errors["origin_report"] = "Only signatures with origin 'report' name a report."
        if errors:
            raise ValidationError(errors)


class SignatureFeedCounter(models.Model):
    """One row: the last change_seq handed out. Writers lock it, so changes commit in sequence order."""

    value = models.BigIntegerField(default=0)

    def __str__(self):
        return f"signature feed at {self.value}"
