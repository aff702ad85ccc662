"""Celery tasks for scans: thin wrappers that call a service (README, Architecture)."""
from celery import shared_task

from scans import services


@shared_task
def prune_daily_scan_counts() -> int:
    return services.daily_scan_counts_prune()
