from accounts.models import User
from domain.providers import Provided

# scans (above accounts) provides it: {"scan_count", "last_scan_at"} of a user (scans/apps.py).
user_scan_summary = Provided("a user's scan summary (scans)")


def user_with_scan_summary(*, user: User) -> User:
    """The user with scan_count and last_scan_at (None before the first scan)."""
    summary = user_scan_summary(user=user)
    user.scan_count, user.last_scan_at = summary["scan_count"], summary["last_scan_at"]
    return user
