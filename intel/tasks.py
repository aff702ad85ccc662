"""Scheduled OSV re-import (off unless SIGIL_OSV_IMPORT_URL is set)."""
import logging

from celery import shared_task
from django.conf import settings

from intel.osv import OsvError, osv_import, records_from_source

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def osv_import_scheduled() -> str:
    """Re-import the configured source; cheap when nothing changed (records with the same modified)."""
    source = settings.SIGIL_OSV_IMPORT_URL
    if not source:
        return "off"
    try:
        report = osv_import(records=records_from_source(source))
    except OsvError as exc:
        logger.warning("osv import from %s failed: %s", source, exc)
        return f"failed: {exc}"
    return report.as_text().splitlines()[0]
