"""Writes for marketplace verification that requests ask for: a verification, webhook secrets.

The work itself runs in a worker (marketplace.tasks -> marketplace.execution)."""
from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from domain.errors import InvalidRequest, NotFound, Unavailable
from marketplace import tasks
from marketplace.constants import VerificationError, VerificationStatus
from marketplace.models import Verification, WebhookSecret, new_webhook_secret
from marketplace.selectors import verification_reusable, verification_wait
from signatures.selectors import signatures_fingerprint

logger = logging.getLogger(__name__)


class VerificationPackageNotFound(NotFound):
    """The registry has no such package or version."""


class VerificationInvalidReference(InvalidRequest):
    """The reference is malformed or points where the outbound guard refuses to go."""


class VerificationRegistryUnavailable(Unavailable):
    """The registry stayed down through every retry."""


# Fetch errors that a caller waiting for the result gets as an error status; the others are
# answered with the verification itself (status "error", `error` saying why).
_ERRORS_FOR_CALLER = {
    VerificationError.NOT_FOUND: VerificationPackageNotFound,
    VerificationError.INVALID_REFERENCE: VerificationInvalidReference,
    VerificationError.UNAVAILABLE: VerificationRegistryUnavailable,
}


@transaction.atomic
def verification_submit(*, owner, source_type: str, source_ref: str, source_version: str = "",
                        source_hash: str = "", callback_url: str = "") -> Verification:
    """Ask for a verification: a new one is queued to a worker, one answered from a stored result
    has its callback queued, each once the row is committed so the worker reads it (the tier check
    is the view's permission)."""
    verification, must_run = verification_request(
        owner=owner, source_type=source_type, source_ref=source_ref, source_version=source_version,
        source_hash=source_hash, callback_url=callback_url)
    if must_run:
        public_id = verification.public_id
        transaction.on_commit(lambda: tasks.verification_run.apply_async(args=[public_id]))
    else:
        tasks.webhook_queue(verification)
    return verification


def verification_answer(*, owner, wait_seconds: float, **request) -> tuple[Verification, bool]:
    """POST /v1/verify's flow: submit, then (without a callback_url) wait up to wait_seconds for the
    worker; returns (verification, finished). A not-found, invalid or unavailable package raises its
    domain error; any other finished outcome is answered with the verification."""
    verification = verification_submit(owner=owner, **request)
    if verification.callback_url:
        verification.refresh_from_db()
        return verification, False
    verification = verification_wait(verification=verification, seconds=wait_seconds)
    if verification.status == VerificationStatus.PENDING:
        return verification, False
    verification_raise_for_error(verification)
    return verification, True


def verification_raise_for_error(verification: Verification) -> None:
    """For a caller waiting on the result: raise the domain error of a not-found, invalid or
    unavailable package (404, 400, 503); any other outcome is answered with the verification."""
    error_class = _ERRORS_FOR_CALLER.get(verification.error_code) if verification.status == VerificationStatus.ERROR else None
    if error_class is VerificationRegistryUnavailable:
        raise error_class(f"{verification.error} Verification {verification.public_id} recorded the error.")
    if error_class is not None:
        raise error_class(verification.error)


@transaction.atomic
def verification_request(*, owner, source_type: str, source_ref: str, source_version: str = "",
                         source_hash: str = "", callback_url: str = "") -> tuple[Verification, bool]:
    """Create a pending verification, or answer from a recent one; returns (verification, must_run)."""
    fingerprint = signatures_fingerprint()
    previous = verification_reusable(source_type=source_type, source_ref=source_ref, version=source_version,
                                     fingerprint=fingerprint, source_hash=source_hash)
    if previous is not None and previous.owner_id == owner.pk and not callback_url:
        return previous, False
    verification = Verification(owner=owner, source_type=source_type, source_ref=source_ref,
                                requested_version=source_version, source_hash=source_hash,
                                callback_url=callback_url, signatures_fingerprint=fingerprint)
    if previous is not None:
        # A copy for this owner keeps ids per owner (another user's id stays 404) without rescanning.
        for field in ("source_version", "score", "verdict", "details", "phases", "artifact_hash",
                      "artifact_filename", "publisher", "verified_at", "expires_at"):
            setattr(verification, field, getattr(previous, field))
        verification.transition_to(previous.status)
        verification.reused_from = previous
    verification.full_clean()
    verification.save()
    logger.info("verification %s requested (%s %s)", verification.public_id, source_type, source_ref)
    return verification, previous is None


# ---- webhook secrets -------------------------------------------------------------------------

def webhook_secret_get(*, user) -> WebhookSecret:
    """The user's signing secret, created on first use."""
    secret, _ = WebhookSecret.objects.get_or_create(user=user)
    return secret


def webhook_secret_rotate(*, user) -> WebhookSecret:
    """Replace the signing secret; deliveries from now on use the new one."""
    secret = webhook_secret_get(user=user)
    secret.secret = new_webhook_secret()
    secret.rotated_at = timezone.now()
    secret.full_clean()
    secret.save(update_fields=["secret", "rotated_at"])
    logger.info("webhook secret rotated for %s", user.public_id)
    return secret
