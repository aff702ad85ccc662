"""Tier limits on the proxy, per user (not per token: tokens are free to make, so counting per token
would multiply the limit): requests per minute, and first-download verifications per hour."""
from __future__ import annotations

from sigil.api.ratelimit import count_request, spend_budget


class ProxyLimitReached(Exception):
    """A tier limit of the proxy is spent (429 with Retry-After)."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


def proxy_request_count(request, *, user) -> dict:
    """Count one proxy request; the usage dict of sigil.api.ratelimit (X-RateLimit-* headers)."""
    return count_request(request, group="firewall-requests", key=f"user:{user.pk}",
                         limit=user.limits.proxy_requests_per_minute, period_seconds=60)


def proxy_scan_spend(*, user) -> None:
    """Spend one of the hour's first-download verifications, or raise ProxyLimitReached."""
    limit = user.limits.proxy_scans_per_hour
    retry_after = spend_budget(group="firewall-scans", key=f"user:{user.pk}", amount=1, limit=limit,
                               period_seconds=3600)
    if retry_after is not None:
        raise ProxyLimitReached(
            f"Sigil firewall: the {user.tier} tier starts at most {limit} verifications of never-seen files "
            f"an hour and this hour's are spent; files already verified are still served. Retry in {retry_after} s.",
            retry_after)
