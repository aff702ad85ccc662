from dataclasses import dataclass

from django.db import models


class Tier(models.TextChoices):
    FREE = "free", "Free"
    PRO = "pro", "Pro"
    TEAM = "team", "Team"


@dataclass(frozen=True)
class TierLimits:
    requests_per_minute: int
    scans_per_day: int
    reports_per_hour: int
    can_verify: bool
    # POST /v1/lookup: packages looked up per minute, beyond the request itself (one full batch fits).
    lookup_items_per_minute: int = 1000


TIER_LIMITS = {
    Tier.FREE: TierLimits(requests_per_minute=30, scans_per_day=50, reports_per_hour=10, can_verify=False,
                          lookup_items_per_minute=2_000),
    Tier.PRO: TierLimits(requests_per_minute=120, scans_per_day=500, reports_per_hour=10, can_verify=True,
                         lookup_items_per_minute=20_000),
    Tier.TEAM: TierLimits(requests_per_minute=600, scans_per_day=5000, reports_per_hour=10, can_verify=True,
                          lookup_items_per_minute=100_000),
}
