from django.conf import settings
from django.db import models
from django.utils import timezone

from scans.constants import SourceType, Verdict
from sigil.ids import PublicIdField


class Scan(models.Model):
    """A scan the CLI ran and submitted: metadata only, never source code."""

    public_id = PublicIdField(prefix="scn_")
    # No index of its own: the (user, quarantine_id) and history indexes both start with user.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="scans", db_index=False)
    quarantine_id = models.CharField(max_length=200)
    source_type = models.CharField(max_length=8, choices=SourceType.choices)
    source_ref = models.CharField(max_length=2048)
    source_hash = models.CharField(max_length=71, blank=True)  # no query looks scans up by hash
    score = models.PositiveIntegerField()
    verdict = models.CharField(max_length=8, choices=Verdict.choices)
    phases = models.JSONField(default=list)
    file_stats = models.JSONField(null=True, blank=True)
    cli_version = models.CharField(max_length=64, blank=True)
    # The package the scan was about, parsed from source_ref when it names one (domain.identifiers).
    ecosystem = models.CharField(max_length=8, blank=True)
    package_name = models.CharField(max_length=214, blank=True)
    package_version = models.CharField(max_length=128, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "quarantine_id"], name="scan_unique_quarantine_per_user"),
        ]
        indexes = [
            # GET /v1/scans: the caller's history, newest first (cursor on created_at, id).
            # Also the daily quota: the user's scans since UTC midnight.
            models.Index(fields=["user", "-created_at", "-id"], name="scan_user_history"),
            # Publisher reputation and the publisher page: community scans of a package's versions.
            models.Index(fields=["ecosystem", "package_name", "package_version"], name="scan_package"),
        ]

    def __str__(self):
        return self.public_id


class DailyScanCount(models.Model):
    """How many scans a user stored on one UTC day: the daily quota, spent with one atomic UPDATE.

    Counting the user's scan rows instead costs a query that grows with every scan of the day
    (up to 5,000 for a team account), and a row lock besides.
    """

    # db_index=False: the (user, day) unique index serves every lookup by user.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    day = models.DateField()
    used = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="daily_scan_count_unique")]

    def __str__(self):
        return f"{self.user_id} {self.day}: {self.used}"
