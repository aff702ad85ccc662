"""The proxy's policy: which files and versions of upstream metadata a user may have, and why not.

Per candidate (one file or one npm version): removed when (a) a threat matches its version or its
artifact hash, (b) the latest verification of its artifact failed or was revoked, or (c) it is
younger than the user's minimum release age (unknown upload time counts as too new while the
setting is on). Threats and verifications are read in one batch per document.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from firewall.constants import RemovalReason
from intel.matching import PackageQuery, threat_matches
from intel.models import threat_public_url
from marketplace.constants import VerificationStatus
from marketplace.selectors import artifact_latest_verifications


@dataclass(frozen=True)
class Candidate:
    key: str                      # filename (PyPI) or version (npm)
    name: str
    version: str
    sha256: str | None            # lower-case hex of the artifact, when upstream publishes it
    uploaded: datetime | None = None


@dataclass(frozen=True)
class Decision:
    reason: str
    message: str


def blocked_message(reason: str, *, threat: str = "", verification: str = "") -> str:
    if reason == RemovalReason.THREAT:
        return f"Blocked by Sigil: known threat {threat}, see {threat_public_url(threat)}"
    if reason == RemovalReason.FAILED_VERIFICATION:
        return f"Blocked by Sigil: failed verification {verification}, see {settings.SIGIL_PUBLIC_URL}/verifications/{verification}"
    return f"Withheld by Sigil: {reason}"


def decide(ecosystem: str, candidates: list[Candidate], *, min_release_age_hours: int = 0,
           now: datetime | None = None) -> dict[str, Decision]:
    """The removed candidates by key, each with its reason; the rest are allowed."""
    decisions: dict[str, Decision] = {}
    queries, kept = [], []
    for candidate in candidates:
        try:
            queries.append(PackageQuery.build(ecosystem=ecosystem, name=candidate.name, version=candidate.version,
                                              hashes=[f"sha256:{candidate.sha256}"] if candidate.sha256 else []))
            kept.append(candidate)
        except ValueError:
            decisions[candidate.key] = Decision(RemovalReason.UNREADABLE, blocked_message(RemovalReason.UNREADABLE))
    for candidate, matches in zip(kept, threat_matches(queries) if queries else []):
        confirmed = [m for m in matches if m.confirmed]
        if confirmed:
            decisions[candidate.key] = Decision(RemovalReason.THREAT,
                                                blocked_message(RemovalReason.THREAT, threat=confirmed[0].reference))
    verifications = artifact_latest_verifications(
        artifact_hashes=[f"sha256:{c.sha256}" for c in kept if c.sha256 and c.key not in decisions])
    for candidate in kept:
        verification = verifications.get(f"sha256:{candidate.sha256}") if candidate.sha256 else None
        if candidate.key in decisions or verification is None:
            continue
        if verification.status in (VerificationStatus.FAILED, VerificationStatus.REVOKED):
            decisions[candidate.key] = Decision(
                RemovalReason.FAILED_VERIFICATION,
                blocked_message(RemovalReason.FAILED_VERIFICATION, verification=verification.public_id))
    if min_release_age_hours:
        cutoff = (now or timezone.now()) - timedelta(hours=min_release_age_hours)
        for candidate in candidates:
            if candidate.key not in decisions and (candidate.uploaded is None or candidate.uploaded > cutoff):
                decisions[candidate.key] = Decision(RemovalReason.TOO_NEW, blocked_message(RemovalReason.TOO_NEW))
    return decisions


def removed_header(decisions) -> str:
    """`threat=1, too_new=2`: what was removed and why (X-Sigil-Firewall-Removed)."""
    counts = Counter(str(d.reason) for d in decisions)
    return ", ".join(f"{reason}={counts[reason]}" for reason in RemovalReason.values if counts[reason])


def parse_time(value) -> datetime | None:
    """An ISO 8601 upload time from registry metadata, or None."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
