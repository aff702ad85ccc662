"""Writes for marketplace verification: request, execute, record, webhook delivery, secrets."""
from __future__ import annotations

import json
import logging
import time

from django.db import transaction
from django.utils import timezone

from domain.scoring import PASSING_VERDICTS
from marketplace import guarded_http, webhooks
from marketplace.constants import (
    ECOSYSTEM_BY_SOURCE,
    DeliveryOutcome,
    VerificationStatus,
    WebhookEvent,
)
from marketplace.guarded_http import OutboundError, OutboundRefused
from marketplace.models import Verification, WebhookDelivery, WebhookSecret, new_webhook_secret
from marketplace.registries import (
    Artifact,
    FetchError,
    InvalidReference,
    PackageNotFound,
    TransientFetchError,
    fetcher_for,
)

logger = logging.getLogger(__name__)

# Reasons recorded on a verification that ended in status "error" (the API maps them to statuses).
ERROR_NOT_FOUND = "not_found"
ERROR_INVALID = "invalid_reference"
ERROR_UNAVAILABLE = "unavailable"
ERROR_FETCH = "fetch_failed"
ERROR_INTERNAL = "internal"

_compiled_cache: dict[str, object] = {}


def _fingerprint() -> str:
    from signatures.selectors import signatures_fingerprint

    return signatures_fingerprint()


def _compiled_rules(fingerprint: str):
    """Active signatures compiled once per signature fingerprint (RE2 compilation is not free)."""
    from scans.engine import compile_rules
    from signatures.selectors import signature_active_rules

    compiled = _compiled_cache.get(fingerprint)
    if compiled is None:
        compiled = compile_rules(signature_active_rules())
        _compiled_cache.clear()
        _compiled_cache[fingerprint] = compiled
    return compiled


@transaction.atomic
def verification_request(*, owner, source_type: str, source_ref: str, source_version: str = "",
                         source_hash: str = "", callback_url: str = "") -> tuple[Verification, bool]:
    """Create a pending verification, or answer from a recent one; returns (verification, must_run)."""
    from marketplace.selectors import verification_reusable

    fingerprint = _fingerprint()
    previous = verification_reusable(source_type=source_type, source_ref=source_ref, version=source_version,
                                     fingerprint=fingerprint, source_hash=source_hash)
    if previous is not None and previous.owner_id == owner.pk and not callback_url:
        return previous, False
    verification = Verification(owner=owner, source_type=source_type, source_ref=source_ref,
                                requested_version=source_version, source_hash=source_hash,
                                callback_url=callback_url, signatures_fingerprint=fingerprint)
    if previous is not None:
        # A copy for this owner keeps ids per owner (another user's id stays 404) without rescanning.
        for field in ("source_version", "status", "score", "verdict", "details", "phases", "artifact_hash",
                      "artifact_filename", "publisher", "verified_at", "expires_at"):
            setattr(verification, field, getattr(previous, field))
        verification.reused_from = previous
    verification.full_clean()
    verification.save()
    logger.info("verification %s requested (%s %s)", verification.public_id, source_type, source_ref)
    return verification, previous is None


def verification_record_error(*, verification: Verification, reason: str, message: str) -> Verification:
    """End a verification in status "error" with a reason; nothing stays pending."""
    verification.status = VerificationStatus.ERROR
    verification.error = f"{reason}: {message}"[:2000]
    verification.score = None
    verification.verdict = ""
    verification.stamp()
    verification.expires_at = None
    verification.save(update_fields=["status", "error", "score", "verdict", "verified_at", "expires_at"])
    logger.warning("verification %s error: %s", verification.public_id, verification.error)
    return verification


def verification_record_failure(*, verification_id: str, exc: BaseException) -> None:
    """The task's final failure (retries exhausted or a bug): record it if still pending."""
    verification = Verification.objects.filter(public_id=verification_id, status=VerificationStatus.PENDING).first()
    if verification is None:
        return
    if isinstance(exc, TransientFetchError):
        reason, message = ERROR_UNAVAILABLE, f"{exc} (gave up after retries)"
    else:
        reason, message = ERROR_INTERNAL, "the verification could not be completed"
    verification_record_error(verification=verification, reason=reason, message=message)
    _enqueue_callback(verification)


def error_reason(verification: Verification) -> str:
    return verification.error.partition(":")[0] if verification.error else ""


def verification_execute(*, verification_id: str) -> Verification:
    """Fetch, scan, match against threat intelligence and store the result.

    TransientFetchError propagates so the Celery task retries; other failures are recorded.
    """
    verification = Verification.objects.get(public_id=verification_id)
    if verification.status != VerificationStatus.PENDING:
        return verification  # a redelivered task (acks_late) finds the work done
    fetcher = fetcher_for(verification.source_type)
    try:
        artifact = fetcher.fetch(verification.source_ref, verification.requested_version or None)
    except TransientFetchError:
        raise
    except PackageNotFound as exc:
        return _finish_with_error(verification, ERROR_NOT_FOUND, str(exc))
    except InvalidReference as exc:
        return _finish_with_error(verification, ERROR_INVALID, str(exc))
    except FetchError as exc:
        return _finish_with_error(verification, ERROR_FETCH, str(exc))
    try:
        return _complete(verification, artifact)
    finally:
        artifact.cleanup()


def _finish_with_error(verification: Verification, reason: str, message: str) -> Verification:
    verification_record_error(verification=verification, reason=reason, message=message)
    _enqueue_callback(verification)
    return verification


def _scan(verification: Verification, artifact: Artifact):
    from scans.engine import scan_archive, scan_directory

    rules = _compiled_rules(verification.signatures_fingerprint or _fingerprint())
    ecosystem = ECOSYSTEM_BY_SOURCE.get(verification.source_type)
    name = artifact.name if ecosystem else None
    if artifact.directory:
        return scan_directory(artifact.directory, rules, ecosystem=ecosystem, package_name=name)
    return scan_archive(artifact.data, rules, filename=artifact.filename, ecosystem=ecosystem, package_name=name)


def _known_threats(ecosystem: str | None, artifact: Artifact, file_hashes) -> int:
    from intel.selectors import threats_matching

    hashes = sorted({artifact.artifact_hash, *file_hashes})
    versions = [(ecosystem, artifact.name, artifact.version)] if ecosystem and artifact.version else []
    found: set[int] = set()
    # Chunks keep the IN list inside SQLite's variable limit for very large packages.
    for start in range(0, max(len(hashes), 1), 500):
        chunk = hashes[start:start + 500]
        found |= {threat.pk for threat in threats_matching(hashes=chunk, package_versions=versions if start == 0 else ())}
    return len(found)


def _publisher(ecosystem: str | None, artifact: Artifact):
    """Record the package version and its publisher; (publisher or None, reputation score or None)."""
    from intel.selectors import publisher_reputation
    from intel.services import package_version_record, publisher_get_or_create

    if not ecosystem:
        return None, None
    publisher = publisher_get_or_create(ecosystem=ecosystem, name=artifact.publisher) if artifact.publisher else None
    if artifact.version:
        try:
            package_version_record(ecosystem=ecosystem, name=artifact.name, version=artifact.version,
                                   publisher=publisher)
        except ValueError:
            logger.warning("package version %s@%s not recordable", artifact.name, artifact.version)
    if publisher is None:
        return None, None  # unknown publisher: null, neutral (docs/design.md)
    return publisher, publisher_reputation(publisher=publisher)["score"]


def _details(result, known_threats: int, reputation: int | None) -> dict:
    flagged = []
    for phase in result.phases:
        if phase.score > 0:
            note = phase.findings[0] if phase.findings else phase.name
            flagged.append({"phase": phase.phase, "score": phase.score, "note": note})
    return {
        "phases_clean": [p.phase for p in result.phases if p.score == 0],
        "phases_flagged": flagged,
        "publisher_reputation": reputation,
        "known_threats": known_threats,
    }


def _complete(verification: Verification, artifact: Artifact) -> Verification:
    from scans.engine import EngineError

    if verification.source_hash and verification.source_hash != artifact.artifact_hash:
        return _finish_with_error(
            verification, ERROR_FETCH,
            f"The downloaded artifact is {artifact.artifact_hash}, not the source_hash you sent.")
    try:
        result = _scan(verification, artifact)
    except EngineError as exc:
        return _finish_with_error(verification, ERROR_FETCH, f"The artifact could not be read: {exc}")
    ecosystem = ECOSYSTEM_BY_SOURCE.get(verification.source_type)
    with transaction.atomic():
        known = _known_threats(ecosystem, artifact, result.file_hashes.values())
        publisher, reputation = _publisher(ecosystem, artifact)
        verification.source_version = artifact.version
        verification.artifact_hash = artifact.artifact_hash
        verification.artifact_filename = artifact.filename[:255]
        verification.score = result.score
        verification.verdict = result.verdict
        verification.status = (VerificationStatus.VERIFIED if result.verdict in PASSING_VERDICTS and known == 0
                               else VerificationStatus.FAILED)
        verification.details = _details(result, known, reputation)
        verification.phases = [{"phase": p.phase, "name": p.name, "score": p.score, "findings": p.findings[:20]}
                               for p in result.phases]
        verification.publisher = publisher
        verification.error = ""
        verification.stamp()
        verification.save()
    logger.info("verification %s %s (%s, score %s)", verification.public_id, verification.status,
                verification.verdict, verification.score)
    _enqueue_callback(verification)
    return verification


def _enqueue_callback(verification: Verification, event: str = WebhookEvent.COMPLETED) -> None:
    if not verification.callback_url:
        return
    from marketplace.tasks import webhook_deliver

    # Callers are outside any atomic block here, so the row is committed before a worker reads it.
    webhook_deliver.delay(verification.public_id, str(event))


# ---- webhooks --------------------------------------------------------------------------------

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


def webhook_payload(verification: Verification, event: str = WebhookEvent.COMPLETED) -> bytes:
    from marketplace.api.serializers import verification_body

    event = {"type": str(event), "timestamp": timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
             "data": verification_body(verification)}
    return json.dumps(event, separators=(",", ":"), sort_keys=True).encode()


def webhook_message_id(verification: Verification, event: str = WebhookEvent.COMPLETED) -> str:
    """The webhook-id: the same on every retry of one event, so receivers can deduplicate."""
    if event == WebhookEvent.COMPLETED:
        return f"msg_{verification.public_id}"  # as before event types existed
    return f"msg_{verification.public_id}_{str(event).rpartition('.')[2]}"


def webhook_deliver_attempt(*, verification: Verification, event: str = WebhookEvent.COMPLETED) -> WebhookDelivery:
    """POST one event to callback_url once, signed; record the attempt. 2xx is success, anything else not."""
    event = WebhookEvent(event)
    secret = webhook_secret_get(user=verification.owner).secret
    attempt = verification.deliveries.count() + 1
    message_id = webhook_message_id(verification, event)
    body = webhook_payload(verification, event)
    timestamp = int(time.time())
    started = time.monotonic()
    status_code, error = None, ""
    try:
        response = guarded_http.request("POST", verification.callback_url, body=body,
                                        headers=webhooks.headers(secret, message_id, timestamp, body),
                                        follow_redirects=False, max_bytes=64 * 1024, timeout=(5.0, 10.0),
                                        total_seconds=20.0)
        status_code = response.status
        if not 200 <= response.status < 300:
            error = f"HTTP {response.status}" + (" (redirects are not followed)" if 300 <= response.status < 400 else "")
    except OutboundRefused as exc:
        error = f"refused: {exc}"
    except OutboundError as exc:
        error = str(exc)
    delivery = WebhookDelivery(
        verification=verification, message_id=message_id, event_type=event, attempt=attempt,
        url=verification.callback_url,
        outcome=DeliveryOutcome.FAILURE if error else DeliveryOutcome.SUCCESS, status_code=status_code,
        error=error[:500], duration_ms=int((time.monotonic() - started) * 1000),
    )
    delivery.full_clean()
    delivery.save()
    logger.info("webhook for %s attempt %s: %s", verification.public_id, attempt, error or "delivered")
    return delivery
