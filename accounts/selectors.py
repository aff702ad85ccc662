from django.db.models import Count, Max

from accounts.models import User


def user_scan_summary(*, user: User) -> dict:
    """How many scans the user has stored, and when the last one was."""
    summary = user.scans.aggregate(scan_count=Count("id"), last_scan_at=Max("created_at"))
    return {"scan_count": summary["scan_count"], "last_scan_at": summary["last_scan_at"]}
