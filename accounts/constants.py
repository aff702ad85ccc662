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


TIER_LIMITS = {
    Tier.FREE: TierLimits(requests_per_minute=30, scans_per_day=50, reports_per_hour=10, can_verify=False),
    Tier.PRO: TierLimits(requests_per_minute=120, scans_per_day=500, reports_per_hour=10, can_verify=True),
    Tier.TEAM: TierLimits(requests_per_minute=600, scans_per_day=5000, reports_per_hour=10, can_verify=True),
}
