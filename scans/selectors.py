"""Reads for scans: a user's own history, never anyone else's; community scans of packages for intel."""
from django.core.exceptions import ValidationError
from django.db.models import Count, Max, QuerySet

from scans.filters import ScanFilter
from scans.models import Scan


def scan_list(*, user, filters=None) -> QuerySet[Scan]:
    """The user's scans, newest first, filtered by ScanFilter; invalid filters raise ValidationError."""
    queryset = Scan.objects.filter(user=user).order_by("-created_at", "-id")
    filterset = ScanFilter(filters or {}, queryset=queryset)
    if not filterset.is_valid():
        raise ValidationError(filterset.errors)
    return filterset.qs


def scan_get(*, user, public_id: str) -> Scan | None:
    return Scan.objects.filter(user=user, public_id=public_id).first()


def user_scan_summary(*, user) -> dict:
    """{"scan_count", "last_scan_at"} (None before the first scan) of one user's scans."""
    return Scan.objects.filter(user=user).aggregate(scan_count=Count("id"), last_scan_at=Max("created_at"))


def package_scans(*, ecosystem: str, names) -> QuerySet[Scan]:
    """Every account's scans of these packages (normalised names; a values() queryset is a subquery).

    Community data: intel derives publisher reputation from it, never showing who scanned.
    """
    return Scan.objects.filter(ecosystem=ecosystem, package_name__in=names)
