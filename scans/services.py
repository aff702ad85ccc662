"""Writes for scans: ingest a CLI-submitted scan under the daily quota."""
from __future__ import annotations

import logging
from datetime import datetime, time, timedelta, timezone as dt_timezone

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.constants import TIER_LIMITS
from intel.normalize import parse_source_ref
from scans.models import Scan

logger = logging.getLogger(__name__)


class ScanQuotaExceeded(Exception):
    def __init__(self, limit: int, retry_after: int):
        self.limit = limit
        self.retry_after = retry_after
        super().__init__(f"Daily scan quota of {limit} reached; it resets at 00:00 UTC.")


def next_utc_midnight(now: datetime) -> datetime:
    today = now.astimezone(dt_timezone.utc).date()
    return datetime.combine(today + timedelta(days=1), time.min, tzinfo=dt_timezone.utc)


def scan_ingest(*, user, quarantine_id: str, source_type: str, source_ref: str, score: int, verdict: str,
                phases: list[dict], source_hash: str = "", file_stats: dict | None = None,
                cli_version: str = "") -> tuple[Scan, bool]:
    """Store a scan; the same quarantine_id from the same user returns the stored scan (created=False)."""
    existing = Scan.objects.filter(user=user, quarantine_id=quarantine_id).first()
    if existing is not None:
        return existing, False  # an idempotent replay costs no quota

    now = timezone.now()
    limit = TIER_LIMITS[user.tier].scans_per_day
    midnight = next_utc_midnight(now)
    with transaction.atomic():
        # Lock the user row so parallel submissions cannot all pass the quota check (PostgreSQL).
        type(user).objects.select_for_update().filter(pk=user.pk).first()
        today = Scan.objects.filter(user=user, created_at__gte=midnight - timedelta(days=1)).count()
        if today >= limit:
            raise ScanQuotaExceeded(limit, max(1, int((midnight - now).total_seconds())))
        ecosystem, package_name, package_version = parse_source_ref(source_type, source_ref) or ("", "", None)
        scan = Scan(
            user=user, quarantine_id=quarantine_id, source_type=source_type, source_ref=source_ref,
            source_hash=source_hash or "", score=score, verdict=verdict, phases=phases, file_stats=file_stats,
            cli_version=cli_version or "", ecosystem=ecosystem, package_name=package_name,
            package_version=package_version or "", created_at=now,
        )
        scan.full_clean()
        try:
            with transaction.atomic():
                scan.save()
        except IntegrityError:
            # The same quarantine_id arrived twice at once: the first one wins.
            return Scan.objects.get(user=user, quarantine_id=quarantine_id), False
    logger.info("scan %s stored (%s)", scan.public_id, scan.verdict)
    return scan, True
