"""Reads for verifications, badges and webhook deliveries."""
from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from marketplace.constants import VerificationStatus
from marketplace.models import Verification, WebhookDelivery


def verification_for_owner(*, owner, public_id: str) -> Verification | None:
    """The owner's verification; another user's id finds nothing (404, not 403)."""
    return Verification.objects.filter(owner=owner, public_id=public_id).select_related("publisher").first()


def verification_public(*, public_id: str) -> Verification | None:
    """A verification for the badge and public page (no owner data is read from it)."""
    return Verification.objects.filter(public_id=public_id).first()


def verification_reusable(*, source_type: str, source_ref: str, version: str, fingerprint: str,
                          source_hash: str = "") -> Verification | None:
    """A completed verification of this exact package version, recent and with today's signatures."""
    if not version or source_type not in ("pip", "npm"):
        return None  # "latest", git refs and URLs can change under the same name
    since = timezone.now() - timedelta(hours=settings.SIGIL_VERIFY_REUSE_HOURS)
    candidates = Verification.objects.filter(
        source_type=source_type, source_ref=source_ref, requested_version=version,
        status__in=[VerificationStatus.VERIFIED, VerificationStatus.FAILED],
        signatures_fingerprint=fingerprint, verified_at__gte=since, reused_from__isnull=True,
    )
    if source_hash:
        candidates = candidates.filter(artifact_hash=source_hash)
    return candidates.order_by("-verified_at").first()


def webhook_deliveries(*, verification: Verification) -> QuerySet[WebhookDelivery]:
    return verification.deliveries.order_by("attempt")
