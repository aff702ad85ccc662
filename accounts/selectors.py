from django.db.models import Count, Max

from accounts.models import User


def user_with_scan_summary(*, user: User) -> User:
    """The user with scan_count and last_scan_at (None before the first scan), read through the
    reverse relation of scans' foreign key (accounts imports no app above it)."""
    summary = user.scans.aggregate(scan_count=Count("id"), last_scan_at=Max("created_at"))
    user.scan_count, user.last_scan_at = summary["scan_count"], summary["last_scan_at"]
    return user
