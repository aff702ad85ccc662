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
    # The package proxy (/simple/, /files/, /npm/): requests per minute, counted apart from the API's
    # because one install sends two requests per package (index page and file).
    proxy_requests_per_minute: int = 300
    # First-download verifications the proxy may start per hour (a file already verified by anyone
    # costs none); every tier has them, can_verify or not (README, Firewall: tier limits).
    proxy_scans_per_hour: int = 300


TIER_LIMITS = {
    Tier.FREE: TierLimits(requests_per_minute=30, scans_per_day=50, reports_per_hour=10, can_verify=False,
                          lookup_items_per_minute=2_000, proxy_requests_per_minute=300, proxy_scans_per_hour=300),
    Tier.PRO: TierLimits(requests_per_minute=120, scans_per_day=500, reports_per_hour=10, can_verify=True,
                         lookup_items_per_minute=20_000, proxy_requests_per_minute=1_200, proxy_scans_per_hour=3_000),
    Tier.TEAM: TierLimits(requests_per_minute=600, scans_per_day=5000, reports_per_hour=10, can_verify=True,
                          lookup_items_per_minute=100_000, proxy_requests_per_minute=6_000,
                          proxy_scans_per_hour=30_000),
}
