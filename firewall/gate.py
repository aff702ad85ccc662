"""Scan on first download: a file is served only once Sigil has verified its exact bytes.

The file is fetched through the guarded client and its sha256 checked against the upstream
metadata. An artifact hash with a completed verification (any user's) is answered from it: verified
is served, failed or revoked is refused. Otherwise the existing marketplace pipeline verifies it
(a `url` verification pinned to the hash, owned by the requesting user); the request waits up to
SIGIL_FIREWALL_SCAN_WAIT_SECONDS, then answers 503 with Retry-After while the scan goes on, and a
retry is answered from the result. Concurrent first downloads wait on the same verification.
"""
from __future__ import annotations

import hashlib
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from firewall import upstream
from firewall.limits import proxy_scan_spend
from firewall.constants import WITHHELD_VISIBLY, RemovalReason
from firewall.policy import Candidate, blocked_message, decide
from marketplace import selectors as marketplace_selectors
from marketplace import services as marketplace_services
from marketplace.constants import VerificationStatus, VerifySourceType

IN_FLIGHT_SECONDS = 900


class Blocked(Exception):
    """The artifact must not be served (403); the message names Sigil and why."""


class ScanPending(Exception):
    """The verification is still running (503 with Retry-After)."""

    def __init__(self, message: str, verification_id: str):
        super().__init__(message)
        self.verification_id = verification_id


class Mismatch(Blocked):
    """The file is not what the upstream metadata says: refused like a block (403, which pip reports
    with its reason rather than retrying as it does a 502)."""


def cleared_artifact(*, user, ecosystem: str, name: str, version: str, filename: str, upstream_url: str,
                     expected: tuple[str, str, str]) -> tuple[bytes, str]:
    """The file's bytes and the id of the verification that cleared them.

    `expected` is (metadata field, hash algorithm, hex digest) from the upstream metadata.
    """
    field, algorithm, expected_hex = expected
    data = upstream.fetch_file(upstream_url, what=filename)
    if hashlib.new(algorithm, data).hexdigest() != expected_hex:
        raise Mismatch(f"Blocked by Sigil: {filename} does not match the {field} the upstream registry publishes.")
    sha256 = hashlib.sha256(data).hexdigest()
    digest = f"sha256:{sha256}"
    # The artifact hash is known for sure only now (npm publishes sha512): match threats on it.
    decision = decide(ecosystem, [Candidate(key=filename, name=name, version=version, sha256=sha256)]).get(filename)
    if decision is not None and decision.reason in WITHHELD_VISIBLY:
        raise Blocked(decision.message)
    verification = marketplace_selectors.artifact_latest_verifications(artifact_hashes=[digest]).get(digest)
    if verification is None or (verification.status == VerificationStatus.VERIFIED and verification.is_expired):
        verification = _verify(user=user, upstream_url=upstream_url, digest=digest)
    if verification.status == VerificationStatus.VERIFIED:
        return data, verification.public_id
    if verification.status in (VerificationStatus.FAILED, VerificationStatus.REVOKED):
        raise Blocked(blocked_message(RemovalReason.FAILED_VERIFICATION, verification=verification.public_id))
    if verification.status == VerificationStatus.PENDING:
        raise ScanPending(f"Sigil is verifying {filename} ({verification.public_id}); retry shortly.",
                          verification.public_id)
    raise upstream.UpstreamError(f"Sigil could not verify {filename}: {verification.error or 'error'}")


def _verify(*, user, upstream_url: str, digest: str):
    since = timezone.now() - timedelta(seconds=IN_FLIGHT_SECONDS)
    verification = marketplace_selectors.verification_in_flight(
        source_type=VerifySourceType.URL, source_ref=upstream_url, source_hash=digest, since=since)
    if verification is None:
        proxy_scan_spend(user=user)  # fail closed: over the budget the file is not served
        verification = marketplace_services.verification_submit(
            owner=user, source_type=VerifySourceType.URL, source_ref=upstream_url, source_hash=digest)
    return marketplace_selectors.verification_wait(verification=verification,
                                                   seconds=settings.SIGIL_FIREWALL_SCAN_WAIT_SECONDS)
