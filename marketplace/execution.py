"""What the Celery workers run (marketplace.tasks calls it): one verification (fetch, scan, match
against threat intelligence, record) and one webhook delivery attempt. Nothing here queues a task:
the tasks queue the callback once a run has finished (one place, tasks.webhook_queue)."""
from __future__ import annotations

import json
import logging
import time

from django.db import transaction
from django.utils import timezone

from domain.scoring import PASSING_VERDICTS, SEVERITY_RANK, verdict_for_score
from intel.matching import threats_for_package
from intel.selectors import dependency_threats, publisher_reputation, threats_matching
from intel.services import package_version_record, publisher_get_or_create
from marketplace import guarded_http, webhooks
from marketplace.constants import (
    ECOSYSTEM_BY_SOURCE,
    DeliveryOutcome,
    VerificationError,
    VerificationStatus,
    WebhookEvent,
)
from marketplace.guarded_http import OutboundError, OutboundRefused
from marketplace.models import ArtifactFile, ArtifactScan, Verification, WebhookDelivery, WebhookSecret
from marketplace.registries import (
    Artifact,
    FetchError,
    InvalidReference,
    PackageNotFound,
    TransientFetchError,
    fetcher_for,
)
from marketplace.selectors import verification_previous_release
from scans.engine import (
    EngineError,
    Release,
    compile_rules,
    manifest_of_archive,
    release_diff,
    scan_archive,
    scan_directory,
)
from signatures.selectors import signature_active_rules, signatures_fingerprint

logger = logging.getLogger(__name__)

_compiled_cache: dict[str, object] = {}


def _compiled_rules(fingerprint: str):
    """Active signatures compiled once per signature fingerprint (RE2 compilation is not free)."""
    compiled = _compiled_cache.get(fingerprint)
    if compiled is None:
        compiled = compile_rules(signature_active_rules())
        _compiled_cache.clear()
        _compiled_cache[fingerprint] = compiled
    return compiled


def verification_record_error(*, verification: Verification, reason: str, message: str) -> Verification:
    """End a verification in status "error" with a reason (VerificationError); nothing stays pending."""
    verification.transition_to(VerificationStatus.ERROR)
    verification.error_code = reason
    verification.error = message[:2000]
    verification.score = None
    verification.verdict = ""
    verification.stamp()
    verification.expires_at = None
    verification.save(update_fields=["status", "error_code", "error", "score", "verdict", "verified_at", "expires_at"])
    logger.warning("verification %s error: %s: %s", verification.public_id, reason, verification.error)
    return verification


def verification_record_failure(*, verification_id: str, exc: BaseException) -> Verification | None:
    """The task's final failure (retries exhausted or a bug): record it if still pending."""
    verification = Verification.objects.filter(public_id=verification_id, status=VerificationStatus.PENDING).first()
    if verification is None:
        return None
    if isinstance(exc, TransientFetchError):
        reason, message = VerificationError.UNAVAILABLE, f"{exc} (gave up after retries)"
    else:
        reason, message = VerificationError.INTERNAL, "the verification could not be completed"
    return verification_record_error(verification=verification, reason=reason, message=message)


def verification_execute(*, verification_id: str) -> Verification | None:
    """Fetch, scan, match against threat intelligence and store the result; None if already done.

    TransientFetchError propagates so the Celery task retries; other failures are recorded.
    """
    verification = Verification.objects.get(public_id=verification_id)
    if verification.status != VerificationStatus.PENDING:
        return None  # a redelivered task (acks_late) finds the work done
    fetcher = fetcher_for(verification.source_type)
    try:
        artifact = fetcher.fetch(verification.source_ref, verification.requested_version or None)
    except TransientFetchError:
        raise
    except PackageNotFound as exc:
        return _finish_with_error(verification, VerificationError.NOT_FOUND, str(exc))
    except InvalidReference as exc:
        return _finish_with_error(verification, VerificationError.INVALID_REFERENCE, str(exc))
    except FetchError as exc:
        return _finish_with_error(verification, VerificationError.FETCH_FAILED, str(exc))
    try:
        return _complete(verification, artifact)
    finally:
        artifact.cleanup()


def _finish_with_error(verification: Verification, reason: str, message: str) -> Verification:
    return verification_record_error(verification=verification, reason=reason, message=message)
    return verification


def _scan(verification: Verification, artifact: Artifact):
    return artifact_scan(source_type=verification.source_type, artifact=artifact,
                         fingerprint=verification.signatures_fingerprint or signatures_fingerprint())


def artifact_scan(*, source_type: str, artifact: Artifact, fingerprint: str):
    """Scan a fetched artifact with the active signatures (compiled once per fingerprint)."""
    rules = _compiled_rules(fingerprint)
    ecosystem = ECOSYSTEM_BY_SOURCE.get(source_type)
    name = artifact.name if ecosystem else None
    if artifact.directory:
        return scan_directory(artifact.directory, rules, ecosystem=ecosystem, package_name=name)
    return scan_archive(artifact.data, rules, filename=artifact.filename, ecosystem=ecosystem, package_name=name)


def _known_threats(ecosystem: str | None, artifact: Artifact, file_hashes) -> int:
    return len(known_threats(ecosystem=ecosystem, name=artifact.name, version=artifact.version,
                             hashes=[artifact.artifact_hash, *file_hashes]))


def known_threats(*, ecosystem: str | None, name: str, version: str, hashes) -> list:
    """Threats matching any of these hashes or this package version, most severe first."""
    hashes = sorted(set(hashes) - {""})
    versions = [(ecosystem, name, version)] if ecosystem and name and version else []
    found: dict[int, object] = {}
    # Chunks keep the IN list inside SQLite's variable limit for very large packages.
    for start in range(0, max(len(hashes), 1), 500):
        chunk = hashes[start:start + 500]
        for threat in threats_matching(hashes=chunk, package_versions=versions if start == 0 else ()):
            found[threat.pk] = threat
    return sorted(found.values(), key=lambda threat: (-SEVERITY_RANK[threat.severity], threat.pk))


def artifact_record(*, artifact_hash: str, file_hashes: dict, fingerprint: str, result, known: int) -> None:
    """Keep what re-verification needs to answer without a download: file hashes and the latest scan."""
    if not artifact_hash:
        return
    if not ArtifactFile.objects.filter(artifact_hash=artifact_hash).exists():
        ArtifactFile.objects.bulk_create(
            [ArtifactFile(artifact_hash=artifact_hash, path=path[:1024], sha256=digest)
             for path, digest in file_hashes.items()],
            batch_size=500, ignore_conflicts=True)
    ArtifactScan.objects.update_or_create(
        artifact_hash=artifact_hash,
        defaults={"fingerprint": fingerprint or "", "score": result.score, "verdict": result.verdict,
                  "known_threats": known, "rule_ids": sorted(result.rule_ids()), "scanned_at": timezone.now()})


def _changes_since(verification: Verification, artifact: Artifact, result) -> dict | None:
    """Diff against the release verified before this one, else the one the registry published before
    it (re-fetched by its version, scanned with the same signatures); None for a first release,
    git/url sources, or when it cannot be fetched."""
    ecosystem = ECOSYSTEM_BY_SOURCE.get(verification.source_type)
    if not ecosystem or artifact.data is None or not artifact.version:
        return None
    fetcher = fetcher_for(verification.source_type)
    previous = verification_previous_release(source_type=verification.source_type,
                                             source_ref=verification.source_ref, version=artifact.version)
    try:
        # Never verified before: the release the registry published last before this one.
        lookup = getattr(fetcher, "previous_release", None)  # a fetcher may not know upload times
        previous_version = previous.source_version if previous else (
            lookup(verification.source_ref, artifact.version) if lookup else None)
        if not previous_version:
            return None
        old = fetcher.fetch(verification.source_ref, previous_version)
    except FetchError as exc:
        logger.warning("verification %s: previous release not fetched (%s); no diff", verification.public_id, exc)
        return None
    try:
        if old.data is None:
            return None
        fingerprint = verification.signatures_fingerprint or signatures_fingerprint()
        old_result = artifact_scan(source_type=verification.source_type, artifact=old, fingerprint=fingerprint)
        publisher = previous.publisher if previous else None
        changes = release_diff(
            Release(previous_version, old_result, manifest_of_archive(old.data, old.filename),
                    publisher=publisher.shown_name if publisher else old.publisher),
            Release(artifact.version, result, manifest_of_archive(artifact.data, artifact.filename),
                    publisher=artifact.publisher))
    except EngineError as exc:
        logger.warning("verification %s: previous release unreadable (%s); no diff", verification.public_id, exc)
        return None
    finally:
        old.cleanup()
    changes["previous_verification"] = previous.public_id if previous else None
    for dependency in changes["new_dependencies"]:
        try:
            matches = threats_for_package(ecosystem=ecosystem, name=dependency["name"])
        except ValueError:
            matches = []
        dependency["known_threats"] = [m.reference for m in matches if not m.withdrawn]
    return changes


def _publisher(ecosystem: str | None, artifact: Artifact):
    """Record the package version and its publisher; (publisher or None, reputation score or None)."""
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


def _dependency_threats(result) -> list[dict]:
    """Declared dependencies that admit a version known to be malicious, with the reason."""
    return [{"ecosystem": f["dependency"]["ecosystem"], "name": f["dependency"]["name"], "spec": f["dependency"]["spec"],
             "version": f["version"], "threat": f["threat"].reference, "reason": f["reason"]}
            for f in dependency_threats(d.to_dict() for d in result.dependencies)]


def _details(result, known_threats: int, reputation: int | None, dependencies: list[dict]) -> dict:
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
        "dependency_threats": dependencies,
    }


def _complete(verification: Verification, artifact: Artifact) -> Verification:
    if verification.source_hash and verification.source_hash != artifact.artifact_hash:
        return _finish_with_error(
            verification, VerificationError.FETCH_FAILED,
            f"The downloaded artifact is {artifact.artifact_hash}, not the source_hash you sent.")
    try:
        result = _scan(verification, artifact)
    except EngineError as exc:
        return _finish_with_error(verification, VerificationError.FETCH_FAILED, f"The artifact could not be read: {exc}")
    ecosystem = ECOSYSTEM_BY_SOURCE.get(verification.source_type)
    changes = _changes_since(verification, artifact, result)
    risk = changes["release_risk"]["points"] if changes else 0
    with transaction.atomic():
        dependencies = _dependency_threats(result)
        # A package that only pulls in a known malicious package fails like one that is one.
        known = _known_threats(ecosystem, artifact, result.file_hashes.values()) + len(
            {d["threat"] for d in dependencies})
        publisher, reputation = _publisher(ecosystem, artifact)
        verification.source_version = artifact.version
        verification.artifact_hash = artifact.artifact_hash
        verification.artifact_filename = artifact.filename[:255]
        # A release-risk signal raises the score by its documented points (README, Release diffs).
        verification.score = result.score + risk
        verification.verdict = verdict_for_score(verification.score) if risk else result.verdict
        verification.transition_to(VerificationStatus.VERIFIED
                                   if verification.verdict in PASSING_VERDICTS and known == 0
                                   else VerificationStatus.FAILED)
        verification.details = _details(result, known, reputation, dependencies)
        if changes is not None:
            verification.details["changes_since"] = changes
        verification.phases = [{"phase": p.phase, "name": p.name, "score": p.score, "findings": p.findings[:20]}
                               for p in result.phases]
        verification.publisher = publisher
        verification.error_code = verification.error = ""
        verification.stamp()
        verification.save()
        artifact_record(artifact_hash=artifact.artifact_hash, file_hashes=result.file_hashes,
                        fingerprint=verification.signatures_fingerprint, result=result, known=known)
    logger.info("verification %s %s (%s, score %s)", verification.public_id, verification.status,
                verification.verdict, verification.score)
    return verification


# ---- webhooks --------------------------------------------------------------------------------

def webhook_payload(event: str, data: dict) -> bytes:
    """The signed body: the event type, when it was sent, and the verification as the API shows it."""
    envelope = {"type": str(event), "timestamp": timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ"), "data": data}
    return json.dumps(envelope, separators=(",", ":"), sort_keys=True).encode()


def webhook_message_id(verification: Verification, event: str = WebhookEvent.COMPLETED) -> str:
    """The webhook-id: the same on every retry of one event, so receivers can deduplicate."""
    if event == WebhookEvent.COMPLETED:
        return f"msg_{verification.public_id}"  # as before event types existed
    return f"msg_{verification.public_id}_{str(event).rpartition('.')[2]}"


def webhook_deliver_attempt(*, verification: Verification, data: dict,
                            event: str = WebhookEvent.COMPLETED) -> WebhookDelivery:
    """POST one event to callback_url once, signed; record the attempt. 2xx is success, anything else not.

    `data` is the verification as the API shows it (the task builds it with the API's serializer).
    """
    event = WebhookEvent(event)
    secret = WebhookSecret.objects.get_or_create(user=verification.owner)[0].secret
    attempt = verification.deliveries.count() + 1
    message_id = webhook_message_id(verification, event)
    body = webhook_payload(event, data)
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
