"""Per-tier request limits on django-ratelimit counters (the shared cache), with headers."""
import time

from django.conf import settings
from django.core.cache import cache
from django_ratelimit import core as ratelimit_core
from django_ratelimit.core import get_usage
from rest_framework.throttling import BaseThrottle


def client_address(request) -> str:
    """The peer address. Behind a proxy, set SIGIL_TRUSTED_PROXIES to read X-Forwarded-For."""
    http_request = getattr(request, "_request", request)
    forwarded = http_request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = settings.SIGIL_TRUSTED_PROXIES
    if hops and forwarded:
        addresses = [a.strip() for a in forwarded.split(",") if a.strip()]
        if len(addresses) >= hops:
            return addresses[-hops]
    return http_request.META.get("REMOTE_ADDR", "unknown")


def count_request(request, *, group: str, key: str, limit: int, period_seconds: int, increment: bool = True) -> dict:
    """Count one request against a fixed window; returns limit, remaining, reset (epoch), retry_after."""
    http_request = getattr(request, "_request", request)
    usage = get_usage(
        http_request,
        group=group,
        key=lambda _group, _request: key,
        rate=f"{limit}/{period_seconds}s",
        increment=increment,
    )
    time_left = max(1, int(usage["time_left"]))
    return {
        "limit": limit,
        "remaining": max(0, limit - usage["count"]),
        "reset": int(time.time()) + time_left,
        "retry_after": time_left,
        "exceeded": usage["count"] > limit if increment else usage["count"] >= limit,
    }


def spend_budget(*, group: str, key: str, amount: int, limit: int, period_seconds: int = 60) -> int | None:
    """Spend `amount` units of a fixed-window budget (items, not requests) on the shared cache.

    Returns None when spent, or the seconds until the window resets when the budget cannot cover
    `amount`; a refused spend is given back, so a too-large request does not use up the window.
    """
    now = ratelimit_core.time.time()  # the same clock as django-ratelimit's request windows
    window = int(now // period_seconds)
    cache_key = f"sigil-budget:{group}:{key}:{window}"
    cache.add(cache_key, 0, period_seconds + 5)
    try:
        used = cache.incr(cache_key, amount)
    except ValueError:  # expired between add and incr
        cache.add(cache_key, 0, period_seconds + 5)
        used = cache.incr(cache_key, amount)
    if used <= limit:
        return None
    cache.decr(cache_key, amount)
    return max(1, int((window + 1) * period_seconds - now) + 1)


def login_failure_counters(request, email: str, *, increment: bool) -> list[dict]:
    """Failed logins per email and per address in one expiring window, shared by the API login
    and the admin login, so neither is an easier place to guess passwords."""
    window = settings.SIGIL_LOGIN_WINDOW_SECONDS
    return [
        count_request(request, group="login-email", key=email.strip().lower(),
                      limit=settings.SIGIL_LOGIN_FAILURES_PER_EMAIL, period_seconds=window, increment=increment),
        count_request(request, group="login-address", key=client_address(request),
                      limit=settings.SIGIL_LOGIN_FAILURES_PER_ADDRESS, period_seconds=window, increment=increment),
    ]


def login_blocked_for(request, email: str) -> int | None:
    """Seconds to wait when either login counter is exhausted, else None."""
    blocked = [c for c in login_failure_counters(request, email, increment=False) if c["exceeded"]]
    return max(c["retry_after"] for c in blocked) if blocked else None


class TierRateThrottle(BaseThrottle):
    """Requests per minute: per user by tier when authenticated, per address when anonymous."""

    def allow_request(self, request, view):
        user = request.user
        if user is not None and user.is_authenticated:
            limit = user.limits.requests_per_minute
            key, group = f"user:{user.pk}", "requests-user"
        else:
            limit = settings.SIGIL_ANONYMOUS_PER_MINUTE
            key, group = f"addr:{client_address(request)}", "requests-anon"
        usage = count_request(request, group=group, key=key, limit=limit, period_seconds=60)
        if (user is not None and user.is_authenticated) or usage["exceeded"]:
            request._request.sigil_rate_usage = usage  # every authenticated answer and every 429
        self.retry_after = usage["retry_after"]
        return not usage["exceeded"]

    def wait(self):
        return self.retry_after


class RateLimitHeadersMiddleware:
    """Copy the request's rate-limit usage into X-RateLimit-* headers, on errors too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        usage = getattr(request, "sigil_rate_usage", None)
        if usage is not None:
            response["X-RateLimit-Limit"] = str(usage["limit"])
            response["X-RateLimit-Remaining"] = str(usage["remaining"])
            response["X-RateLimit-Reset"] = str(usage["reset"])
        return response
