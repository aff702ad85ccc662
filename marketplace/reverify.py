"""Re-verification: when threats or signatures change, re-check the unexpired verified results.

Every change is an IntelChange row; its id is the intel feed version N. A pass finds the results
the change could affect, answers everything else from what is stored (a threat by hash and
package version, a signature by the artifact's file paths and the latest scan's fingerprint),
and hands the rest to Celery in batches. A result whose outcome flips is revoked; one that
still passes records "re-checked against feed version N". See README, Badges and re-verification.

Nothing here queues a task: functions return what marketplace.tasks queues (passes, batches,
revoked results whose callback gets verification.revoked).
"""
from __future__ import annotations

import fnmatch
import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from domain.scoring import PASSING_VERDICTS
from intel.models import PackageVersion, Threat
from marketplace import execution
from marketplace.constants import (
    ECOSYSTEM_BY_SOURCE,
    SOURCE_BY_ECOSYSTEM,
    IntelChangeAction,
    IntelChangeKind,
    VerificationStatus,
)
from marketplace.models import ArtifactFile, ArtifactScan, IntelChange, Verification
from marketplace.registries import FetchError, TransientFetchError, fetcher_for
from signatures.models import Signature
from signatures.selectors import signatures_fingerprint

logger = logging.getLogger(__name__)

# Sources whose pinned version names immutable bytes; a different hash for it is a failure.
# A git ref (even a tag) and a URL can legitimately move, but the verified bytes are gone:
# for url that is a failure too; for git the result is left alone and logged.
REFETCH_MUST_MATCH = ("pip", "npm", "url")
EVERY_RESULT = Q(pk__isnull=False)  # unlike Q(), exclude() honours it


def intel_change_record(*, kind: str, subject: str, action: str, subject_seq: int = 0,
                        subject_updated_at=None) -> IntelChange | None:
    """Record one change to intelligence and queue its re-verification pass after commit.

    With no live result there is nothing to re-check: nothing is written (beat's baseline moves on).
    """
    if not _live(timezone.now()).exists():
        return None
    change = IntelChange.objects.create(kind=kind, subject=subject[:32], action=action, subject_seq=subject_seq,
                                        subject_updated_at=subject_updated_at)
    logger.info("intel change %s recorded: %s %s %s", change.pk, kind, subject, action)
    return change


def _live(now) -> "Verification.objects":
    """The results a change can revoke: verified and not expired."""
    return Verification.objects.filter(status=VerificationStatus.VERIFIED, expires_at__gt=now)


def _threat_candidates(change: IntelChange) -> Q | None:
    """Results a threat could match: its content or artifact hashes (or a file inside holding one), or
    any version of the packages it lists or ranges over.

    The intel threat selector then decides per result (exact versions, OSV ranges, hashes).
    A withdrawn threat can only un-fail results, and revocation is never undone by itself: no candidates.
    """
    threat = Threat.objects.filter(reference=change.subject).first()
    if threat is None or threat.withdrawn_at is not None or change.action == IntelChangeAction.WITHDRAWN:
        return None
    condition = None
    hashes = {threat.content_hash, *threat.artifact_hashes.values_list("hash", flat=True)} - {""}
    if hashes:
        holders = {*hashes, *ArtifactFile.objects.filter(sha256__in=sorted(hashes))
                   .values_list("artifact_hash", flat=True).distinct()}
        condition = Q(artifact_hash__in=sorted(holders))
    packages = {*PackageVersion.objects.filter(threats=threat).values_list("package__ecosystem", "package__name"),
                *threat.ranges.values_list("package__ecosystem", "package__name")}
    for ecosystem, name in sorted(packages):
        source_type = SOURCE_BY_ECOSYSTEM.get(ecosystem)
        if source_type:
            by_package = Q(source_type=source_type, source_ref=name)
            condition = by_package if condition is None else condition | by_package
    return condition


def _glob_matches(path: str, globs: list[str]) -> bool:
    """Could the engine apply a rule with these file_globs to this path? Errs towards yes.

    The engine matches a glob without "/" against the file name and one with "/" against the
    path inside the package; any sub-path of the stored path covers the archive's root folder.
    """
    parts = path.split("/")
    targets = {"/".join(parts[i:]) for i in range(len(parts))}
    for glob in globs:
        lowered = glob.lower()
        for target in (targets if "/" in glob else {parts[-1]}):
            if fnmatch.fnmatchcase(target, glob) or fnmatch.fnmatchcase(target.lower(), lowered):
                return True
    return False


def _signature_candidates(change: IntelChange, pool) -> Q | None:
    """Results a new or changed signature could fail: any whose artifact has a file it applies to.

    A withdrawn signature only removes findings, so nothing it did can fail a result: no candidates.
    Without file_globs every artifact could hold a match; the rescan's stored fingerprint still
    spares a second download of the same artifact.
    """
    signature = Signature.objects.filter(public_id=change.subject).first()
    if signature is None or not signature.is_active or change.action == IntelChangeAction.WITHDRAWN:
        return None
    globs = list(signature.file_globs or [])
    if not globs:
        return EVERY_RESULT
    artifact_hashes = pool.values("artifact_hash")
    matching = {artifact for artifact, path in
                ArtifactFile.objects.filter(artifact_hash__in=artifact_hashes).values_list("artifact_hash", "path")
                .iterator(chunk_size=5000) if _glob_matches(path, globs)}
    # Artifacts recorded before file paths were kept cannot be ruled out.
    known = set(ArtifactFile.objects.filter(artifact_hash__in=artifact_hashes).values_list("artifact_hash", flat=True)
                .distinct())
    return Q(artifact_hash__in=sorted(matching)) | ~Q(artifact_hash__in=sorted(known))


def reverify_pass(*, change_id: int) -> tuple[IntelChange, list[list]]:
    """Find what a change could affect and record the rest as re-checked; returns (change, batches to
    queue: result ids for a threat, artifact hashes for a signature). Safe to run twice."""
    change = IntelChange.objects.get(pk=change_id)
    if change.finished_at is not None:
        return change, []
    now = timezone.now()
    pool = _live(now)
    if change.kind == IntelChangeKind.THREAT:
        condition = _threat_candidates(change)
    else:
        condition = _signature_candidates(change, pool)
    candidates = pool.filter(condition) if condition is not None else pool.none()
    # Everything else is answered by the stored hashes, versions and file paths: re-checked at N.
    rest = pool.exclude(condition) if condition is not None else pool
    answered = rest.filter(rechecked_version__lt=change.pk).update(rechecked_version=change.pk, rechecked_at=now)
    if change.kind == IntelChangeKind.THREAT:
        ids = list(candidates.order_by("pk").values_list("pk", flat=True))
        size = settings.SIGIL_REVERIFY_BATCH_SIZE
        batches = [ids[i:i + size] for i in range(0, len(ids), size)]
    else:
        hashes = sorted(set(candidates.values_list("artifact_hash", flat=True)))
        ids = hashes
        size = settings.SIGIL_REVERIFY_RESCAN_BATCH_SIZE
        batches = [hashes[i:i + size] for i in range(0, len(hashes), size)]
    IntelChange.objects.filter(pk=change.pk).update(
        started_at=now, candidates=candidates.count(), pending_batches=len(batches),
        answered_from_store=answered, finished_at=None if batches else timezone.now())
    logger.info("intel change %s: %s candidate(s) in %s batch(es), %s answered from the store",
                change.pk, len(ids), len(batches), answered)
    change.refresh_from_db()
    return change, batches


def _batch_done(change_id: int) -> None:
    IntelChange.objects.filter(pk=change_id).update(pending_batches=F("pending_batches") - 1)
    IntelChange.objects.filter(pk=change_id, pending_batches__lte=0, finished_at__isnull=True).update(
        finished_at=timezone.now())


def _mark_rechecked(verification_ids, change: IntelChange) -> int:
    return Verification.objects.filter(pk__in=verification_ids, status=VerificationStatus.VERIFIED,
                                       rechecked_version__lt=change.pk).update(
        rechecked_version=change.pk, rechecked_at=timezone.now())


def _revoke(verification_id: int, change: IntelChange, **why) -> Verification | None:
    """verified -> revoked, once; None when it was no longer verified (a batch run twice)."""
    with transaction.atomic():
        verification = Verification.objects.select_for_update().filter(pk=verification_id).first()
        if verification is None or verification.status != VerificationStatus.VERIFIED:
            return None
        verification.revoke(feed_version=change.pk, **why)
        verification.rechecked_at = verification.revoked_at
        verification.rechecked_version = max(verification.rechecked_version, change.pk)
        verification.save(update_fields=["status", "revoked_at", "revocation", "rechecked_at", "rechecked_version"])
        IntelChange.objects.filter(pk=change.pk).update(revoked=F("revoked") + 1)
    logger.warning("verification %s revoked at feed version %s: %s", verification.public_id, change.pk,
                   verification.revocation["reason"])
    return verification


def _stored_file_hashes(artifact_hash: str) -> list[str]:
    return list(ArtifactFile.objects.filter(artifact_hash=artifact_hash).values_list("sha256", flat=True))


def reverify_threat_batch(*, change_id: int, verification_ids: list[int]) -> list[Verification]:
    """Match these results against the threats now known, from stored hashes and versions (no
    download); returns the ones revoked."""
    change = IntelChange.objects.get(pk=change_id)
    revoked = []
    passed = []
    for verification in Verification.objects.filter(pk__in=verification_ids, status=VerificationStatus.VERIFIED):
        ecosystem = ECOSYSTEM_BY_SOURCE.get(verification.source_type)
        threats = execution.known_threats(
            ecosystem=ecosystem, name=verification.source_ref, version=verification.source_version,
            hashes=[verification.artifact_hash, *_stored_file_hashes(verification.artifact_hash)])
        if not threats:
            passed.append(verification.pk)
            continue
        threat = next((t for t in threats if t.reference == change.subject), threats[0])
        reason = (f"threat {threat.reference} ({threat.severity} {threat.category}) recorded since matches "
                  f"{'this package version' if not _hash_match(threat, verification) else 'its content'}")
        revocation = _revoke(verification.pk, change, reason=reason, threat=threat.reference)
        if revocation is not None:
            revoked.append(revocation)
    _mark_rechecked(passed, change)
    _batch_done(change_id)
    return revoked


def _hash_match(threat: Threat, verification: Verification) -> bool:
    hashes = {threat.content_hash, *threat.artifact_hashes.values_list("hash", flat=True)} - {""}
    return verification.artifact_hash in hashes or ArtifactFile.objects.filter(
        artifact_hash=verification.artifact_hash, sha256__in=sorted(hashes)).exists()


@dataclass
class Rescan:
    """What a re-scan of one artifact found: its verdict now, or why the verified bytes are gone."""

    score: int | None = None
    verdict: str | None = None
    known_threats: int = 0
    rule_ids: tuple = ()
    moved_to: str | None = None   # the hash the source serves now, when it is not the verified one
    unavailable: str | None = None  # the pinned version cannot be fetched any more

    @property
    def fails(self) -> bool:
        return self.verdict is not None and (self.verdict not in PASSING_VERDICTS or self.known_threats > 0)


def _rescan(artifact_hash: str, holder: Verification, fingerprint: str) -> Rescan:
    """Re-fetch the verified artifact by its pinned version, check its hash, scan it with today's signatures."""
    fetcher = fetcher_for(holder.source_type)
    pinned = holder.source_version if holder.source_type in ("pip", "npm") else holder.requested_version
    try:
        artifact = fetcher.fetch(holder.source_ref, pinned or None)
    except TransientFetchError:
        raise  # the task retries; revocations already made stay made
    except FetchError as exc:
        return Rescan(unavailable=str(exc)[:300])
    try:
        if artifact.artifact_hash != artifact_hash:
            return Rescan(moved_to=artifact.artifact_hash)
        result = execution.artifact_scan(source_type=holder.source_type, artifact=artifact, fingerprint=fingerprint)
        ecosystem = ECOSYSTEM_BY_SOURCE.get(holder.source_type)
        known = len(execution.known_threats(ecosystem=ecosystem, name=artifact.name, version=artifact.version,
                                           hashes=[artifact_hash, *result.file_hashes.values()]))
        execution.artifact_record(artifact_hash=artifact_hash, file_hashes=result.file_hashes,
                                 fingerprint=fingerprint, result=result, known=known)
        return Rescan(score=result.score, verdict=result.verdict, known_threats=known,
                      rule_ids=tuple(sorted(result.rule_ids())))
    finally:
        artifact.cleanup()


def reverify_rescan_batch(*, change_id: int, artifact_hashes: list[str]) -> list[Verification]:
    """Re-scan these artifacts (one download each, none when today's scan is stored), settle their
    results; returns the ones revoked."""
    change = IntelChange.objects.get(pk=change_id)
    fingerprint = signatures_fingerprint()
    revoked = []
    for artifact_hash in artifact_hashes:
        holders = list(_live(timezone.now()).filter(artifact_hash=artifact_hash).order_by("-verified_at"))
        if not holders:
            continue
        stored = ArtifactScan.objects.filter(artifact_hash=artifact_hash, fingerprint=fingerprint).first()
        if stored is not None:
            outcome = Rescan(score=stored.score, verdict=stored.verdict, known_threats=stored.known_threats,
                             rule_ids=tuple(stored.rule_ids))
        else:
            outcome = _rescan(artifact_hash, holders[0], fingerprint)
            IntelChange.objects.filter(pk=change.pk).update(downloads=F("downloads") + 1)
        revoked += _settle(change, holders, outcome)
    _batch_done(change_id)
    return revoked


def _settle(change: IntelChange, holders: list[Verification], outcome: Rescan) -> list[Verification]:
    if outcome.unavailable:
        logger.warning("intel change %s: %s could not be re-fetched (%s); left as it is", change.pk,
                       holders[0].public_id, outcome.unavailable)
        return []
    if outcome.moved_to:
        if holders[0].source_type not in REFETCH_MUST_MATCH:
            logger.warning("intel change %s: git ref of %s moved; left as it is", change.pk, holders[0].public_id)
            return []
        reason = (f"the registry now serves {outcome.moved_to} for this version, not the verified "
                  f"{holders[0].artifact_hash}")
        return [v for v in (_revoke(h.pk, change, reason=reason) for h in holders) if v]
    if not outcome.fails:
        _mark_rechecked([v.pk for v in holders], change)
        return []
    signature = Signature.objects.filter(public_id=change.subject).first() if change.subject in outcome.rule_ids else None
    reason = (f"a re-scan with the signatures of feed version {change.pk} gives verdict {outcome.verdict} "
              f"(score {outcome.score})" + (f", {outcome.known_threats} known threat(s)" if outcome.known_threats else ""))
    if signature is not None:
        reason += f"; signature {signature.public_id} ({signature.name}) now matches"
    revoked = (_revoke(v.pk, change, reason=reason, signature=signature.public_id if signature else None,
                       signature_name=signature.name if signature else None, score=outcome.score,
                       verdict=outcome.verdict) for v in holders)
    return [v for v in revoked if v]


def reverify_catch_up() -> list[int]:
    """Beat: the passes to (re-)queue: those that never finished, and changes no signal announced."""
    now = timezone.now()
    stuck = IntelChange.objects.filter(finished_at__isnull=True, created_at__lt=now - timedelta(seconds=30)).filter(
        Q(started_at__isnull=True)
        | Q(started_at__lt=now - timedelta(seconds=settings.SIGIL_REVERIFY_STUCK_SECONDS)))
    requeued = list(stuck.order_by("pk").values_list("pk", flat=True)[:100])
    recorded = [change.pk for change in (*_catch_up_signatures(), *_catch_up_threats()) if change is not None]
    return requeued + recorded


def _catch_up_signatures() -> list[IntelChange | None]:
    changes = IntelChange.objects.filter(kind=IntelChangeKind.SIGNATURE)
    latest = Signature.objects.aggregate(seq=Max("change_seq"))["seq"] or 0
    watermark = changes.aggregate(seq=Max("subject_seq"))["seq"]
    if watermark is None or (latest > watermark and not _live(timezone.now()).exists()):
        # A fresh install, or changes while no result was live: nothing to re-check before here.
        intel_baseline(kind=IntelChangeKind.SIGNATURE, subject_seq=latest)
        return []
    recorded = []
    for signature in Signature.objects.filter(change_seq__gt=watermark).order_by("change_seq")[:200]:
        action = (IntelChangeAction.WITHDRAWN if not signature.is_active else
                  IntelChangeAction.CREATED if signature.created_at == signature.updated_at else IntelChangeAction.CHANGED)
        recorded.append(intel_change_record(kind=IntelChangeKind.SIGNATURE, subject=signature.public_id,
                                            action=action, subject_seq=signature.change_seq))
    return recorded


def _catch_up_threats() -> list[IntelChange | None]:
    changes = IntelChange.objects.filter(kind=IntelChangeKind.THREAT)
    latest = Threat.objects.aggregate(at=Max("updated_at"))["at"]
    watermark = changes.aggregate(at=Max("subject_updated_at"))["at"]
    moved = latest is not None and (watermark is None or latest > watermark)
    if not changes.exists() or (moved and not _live(timezone.now()).exists()):
        intel_baseline(kind=IntelChangeKind.THREAT, subject_updated_at=latest)
        return []
    if not moved:
        return []
    missed = Threat.objects.all() if watermark is None else Threat.objects.filter(updated_at__gt=watermark)
    return [intel_change_record(kind=IntelChangeKind.THREAT, subject=threat.reference,
                                action=IntelChangeAction.CHANGED, subject_updated_at=threat.updated_at)
            for threat in missed.order_by("updated_at")[:200]]


def intel_baseline(*, kind: str, subject_seq: int = 0, subject_updated_at=None) -> IntelChange:
    """The watermark beat starts from: nothing before it needs re-checking."""
    now = timezone.now()
    return IntelChange.objects.create(kind=kind, action=IntelChangeAction.BASELINE, subject_seq=subject_seq,
                                      subject_updated_at=subject_updated_at, started_at=now, finished_at=now)
