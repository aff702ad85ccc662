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
    now = timezone.now()
    limit = TIER_LIMITS[user.tier].scans_per_day
    midnight = next_utc_midnight(now)
    ecosystem, package_name, package_version = parse_source_ref(source_type, source_ref) or ("", "", None)
    scan = Scan(
        user=user, quarantine_id=quarantine_id, source_type=source_type, source_ref=source_ref,
        source_hash=source_hash or "", score=score, verdict=verdict, phases=phases, file_stats=file_stats,
        cli_version=cli_version or "", ecosystem=ecosystem, package_name=package_name,
        package_version=package_version or "", created_at=now,
    )
    # Uniqueness is the database's job (the insert below) and the user is the authenticated caller:
    # checking either here too costs a query each.
    scan.full_clean(exclude=["user"], validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            # Lock the user row so parallel submissions cannot all pass the quota check (PostgreSQL).
            type(user).objects.select_for_update().filter(pk=user.pk).values_list("pk").first()
            today = Scan.objects.filter(user=user, created_at__gte=midnight - timedelta(days=1)).count()
            if today >= limit:
                replayed = _stored_scan(user, quarantine_id)
                if replayed is not None:
                    return replayed, False  # an idempotent replay costs no quota
                raise ScanQuotaExceeded(limit, max(1, int((midnight - now).total_seconds())))
            scan.save(force_insert=True)
    except IntegrityError:
        # (user, quarantine_id) exists: a replay, or the same scan arriving twice at once.
        replayed = _stored_scan(user, quarantine_id)
        if replayed is None:
            raise
        return replayed, False
    logger.info("scan %s stored (%s)", scan.public_id, scan.verdict)
    return scan, True


def _stored_scan(user, quarantine_id: str) -> Scan | None:
    return Scan.objects.filter(user=user, quarantine_id=quarantine_id).first()
