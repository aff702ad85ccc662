"""Writes for threat intelligence: publishers, packages, reports, analyst reviews, threats."""
from __future__ import annotations

import logging
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from domain.errors import InvalidRequest, LimitReached
from domain.identifiers import normalize_hash, normalize_package_name, normalize_publisher_name, parse_source_ref
from domain.scoring import SEVERITY_RANK
from intel.constants import (
    RANGE_START,
    RECOMMENDED_ACTION_FOR_SEVERITY,
    RangeType,
    ReportStatus,
    ReviewAction,
)
from intel.models import (
    InvalidTransition,
    Package,
    PackageVersion,
    Publisher,
    Report,
    ReporterReputation,
    ReportReview,
    Threat,
    ThreatArtifactHash,
    ThreatRange,
)
from intel.selectors import reporter_reputation_figures
from intel.signals import threat_changed
from scans.selectors import scan_get
from sigil.audit import audit_reason
from signatures.services import signature_create

logger = logging.getLogger(__name__)

REPORT_WINDOW = timedelta(hours=1)


class ReportLimitReached(LimitReached):
    """The user's tier allows no more reports this hour."""


class ReportScanUnknown(InvalidRequest):
    default_message = "scan_id: Unknown scan; send the scan_id that POST /v1/scan returned to you."


class ReportDescriptionBlank(InvalidRequest):
    default_message = "description: Describe what the package does that is malicious."


class ReportNotActionable(Exception):
    """A report that names neither a content hash nor an exact package version."""


def publisher_get_or_create(*, ecosystem: str, name: str) -> Publisher:
    """The publisher for this registry account, created on first sight."""
    key = normalize_publisher_name(ecosystem, name)
    publisher = Publisher.objects.filter(ecosystem=ecosystem, name=key).first()
    if publisher is not None:
        return publisher
    publisher = Publisher(ecosystem=ecosystem, name=key, display_name=name.strip())
    audit_reason(publisher, "First seen in registry metadata.")
    try:
        with transaction.atomic():
            publisher.save()
    except IntegrityError:  # created concurrently by another request
        publisher = Publisher.objects.get(ecosystem=ecosystem, name=key)
    return publisher


def _get_or_create(model, **fields):
    try:
        with transaction.atomic():
            return model.objects.get_or_create(**fields)[0]
    except IntegrityError:
        return model.objects.get(**fields)


def package_record(*, ecosystem: str, name: str) -> Package:
    """The Package row for this (normalised) name, created on first sight."""
    return _get_or_create(Package, ecosystem=ecosystem, name=normalize_package_name(ecosystem, name))


def threat_mark_curated(*, threat: Threat, fields) -> None:
    """Remember which fields an analyst edited, so that OSV imports leave them alone."""
    curated = sorted(set(threat.curated_fields) | set(fields))
    if curated != threat.curated_fields:
        Threat.objects.filter(pk=threat.pk).update(curated_fields=curated)
        threat.curated_fields = curated


def package_version_record(*, ecosystem: str, name: str, version: str, publisher: Publisher | None = None) -> PackageVersion:
    """Record that this package version exists (and who publishes it, when known)."""
    normalized = normalize_package_name(ecosystem, name)
    version = (version or "").strip()
    if not version or len(version) > 128:
        raise ValueError("A version must be 1 to 128 characters.")
    package = package_record(ecosystem=ecosystem, name=normalized)
    if publisher is not None and package.publisher_id != publisher.pk:
        # The registry's metadata is the authority on who publishes a package now.
        Package.objects.filter(pk=package.pk).update(publisher=publisher)
        package.publisher = publisher
    return _get_or_create(PackageVersion, package=package, version=version)


def report_submit(*, user, source_type: str, source_ref: str, category: str, severity: str, description: str,
                  source_hash: str = "", evidence: list[str] | None = None, scan_id: str | None = None,
                  package: tuple[str, str, str | None] | None = None) -> Report:
    """Store a community report for analysts; it never changes threat data by itself.

    `package` is parsed from source_ref when not given; at most the tier's reports_per_hour per
    rolling hour.
    """
    scan = None
    if scan_id:
        # Only the caller's own scan can be attached; anyone else's is "unknown".
        scan = scan_get(user=user, public_id=scan_id)
        if scan is None:
            raise ReportScanUnknown()
    if not description.strip():
        raise ReportDescriptionBlank()
    if package is None:
        package = parse_source_ref(source_type, source_ref)
    now = timezone.now()
    limit = user.limits.reports_per_hour
    # Counting stored rows is exact across processes; lock the user row so parallel
    # submissions cannot all pass the check (PostgreSQL; SQLite serialises writes anyway).
    with transaction.atomic():
        type(user).objects.select_for_update().filter(pk=user.pk).first()
        recent = list(
            Report.objects.filter(user=user, created_at__gt=now - REPORT_WINDOW)
            .order_by("created_at").values_list("created_at", flat=True)[:limit]
        )
        if len(recent) >= limit:
            retry_after = int((recent[0] + REPORT_WINDOW - now).total_seconds()) + 1
            raise ReportLimitReached(f"Report limit reached ({limit} per hour); retry later.", retry_after=retry_after)
        ecosystem, name, version = package or ("", "", None)
        report = Report(
            user=user, source_type=source_type, source_ref=source_ref, source_hash=source_hash or "",
            category=category, severity=severity, description=description, evidence=evidence or [],
            scan=scan, ecosystem=ecosystem, package_name=name, package_version=version or "",
            created_at=now, updated_at=now,
        )
        report.full_clean()
        audit_reason(report, "Submitted by the reporter (POST /v1/report).")
        report.save()
    logger.info("report %s submitted", report.public_id)
    return report


def _next_reference(year: int) -> tuple[int, str]:
    last = Threat.objects.filter(year=year).order_by("-sequence").values_list("sequence", flat=True).first()
    sequence = (last or 0) + 1
    return sequence, f"THR-{year}-{sequence:04d}"


def threat_create(*, severity: str, category: str, description: str, first_seen, content_hash: str = "",
                  now=None, reason: str = "Created.", **fields) -> Threat:
    """A new threat with the next THR-YYYY-NNNN reference (fields: summary, aliases, osv_id, ...)."""
    now = now or timezone.now()
    # The sequence comes from MAX()+1; a concurrent create can take the same number, so retry.
    for _ in range(5):
        sequence, reference = _next_reference(now.year)
        threat = Threat(
            reference=reference, year=now.year, sequence=sequence, content_hash=content_hash,
            severity=severity, category=category, description=description,
            recommended_action=fields.pop("recommended_action", RECOMMENDED_ACTION_FOR_SEVERITY[severity]),
            first_seen=first_seen, last_seen=now, reports_count=0, created_at=now, updated_at=now, **fields,
        )
        audit_reason(threat, reason)
        try:
            with transaction.atomic():
                threat.save()
            return threat
        except IntegrityError:
            if content_hash and Threat.objects.filter(content_hash=content_hash).exists():
                return Threat.objects.get(content_hash=content_hash)
    raise RuntimeError("Could not allocate a threat reference.")


def _threat_create(*, report: Report, content_hash: str, now, reason: str) -> Threat:
    return threat_create(severity=report.severity, category=report.category, description=report.description,
                         first_seen=report.created_at, content_hash=content_hash, now=now, reason=reason)


@transaction.atomic
def threat_affected_replace(*, threat: Threat, versions=(), ranges=(), artifact_hashes=()) -> None:
    """Replace what a threat affects: exact versions (ecosystem, name, version), OSV range intervals
    (dicts of ecosystem, name, range_type, introduced, fixed, last_affected) and artifact hashes.
    Raises ValidationError (a bad name, version or bound) and changes nothing then."""
    try:
        package_versions = [package_version_record(ecosystem=e, name=n, version=v) for e, n, v in versions]
        hashes = sorted({normalize_hash(h) for h in artifact_hashes})
        range_rows = []
        for bounds in ranges:
            package = package_record(ecosystem=bounds["ecosystem"], name=bounds["name"])
            row = ThreatRange(threat=threat, package=package, range_type=bounds.get("range_type") or RangeType.ECOSYSTEM,
                              introduced=bounds.get("introduced") or RANGE_START, fixed=bounds.get("fixed") or "",
                              last_affected=bounds.get("last_affected") or "")
            row.full_clean(exclude=["threat"])
            range_rows.append(row)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    threat.package_versions.set(package_versions)
    threat.updated_at = timezone.now()
    Threat.objects.filter(pk=threat.pk).update(updated_at=threat.updated_at)
    threat.ranges.all().delete()
    ThreatRange.objects.bulk_create(range_rows)
    threat.artifact_hashes.exclude(hash__in=hashes).delete()
    ThreatArtifactHash.objects.bulk_create([ThreatArtifactHash(threat=threat, hash=h) for h in hashes], ignore_conflicts=True)
    _announce_threat(threat, "changed")


def threat_record_from_report(*, report: Report, reason: str = "", threat: Threat | None = None) -> Threat:
    """Create or strengthen the threat a verified report describes (or the one the analyst linked it to)."""
    now = timezone.now()
    reason = f"Verified report {report.public_id}: {reason}".rstrip(": ")
    package_version = None
    if report.ecosystem and report.package_name and report.package_version:
        package_version = package_version_record(
            ecosystem=report.ecosystem, name=report.package_name, version=report.package_version
        )
    if threat is not None:
        threat = Threat.objects.select_for_update().get(pk=threat.pk)
        package_version = None  # linking adds the report to the threat's count, not its facts
    elif not report.source_hash and package_version is None:
        raise ReportNotActionable(
            "The report names neither a content hash nor an exact package version; "
            "fill in ecosystem, package name and version on the report first."
        )
    if threat is None and report.source_hash:
        threat = Threat.objects.select_for_update().filter(content_hash=report.source_hash).first()
    if threat is None and package_version is not None:
        # One threat per content hash: a new hash for a known version gets its own threat,
        # unless the version's threat has no hash yet.
        by_version = Threat.objects.select_for_update().filter(package_versions=package_version)
        if report.source_hash:
            by_version = by_version.filter(content_hash="")
        threat = by_version.order_by("id").first()
    if threat is None:
        threat = _threat_create(report=report, content_hash=report.source_hash, now=now, reason=reason)
    elif report.source_hash and not threat.content_hash and package_version is not None:
        threat.content_hash = report.source_hash
    # A weaker report never lowers severity; a stronger one raises it and its recommendation.
    if SEVERITY_RANK[report.severity] > SEVERITY_RANK[threat.severity]:
        threat.severity = report.severity
        threat.category = report.category
    threat.recommended_action = RECOMMENDED_ACTION_FOR_SEVERITY[threat.severity]
    threat.reports_count += 1
    threat.first_seen = min(threat.first_seen, report.created_at)
    threat.last_seen = now
    threat.updated_at = now
    created = threat.reports_count == 1
    audit_reason(threat, reason)
    threat.save()
    if package_version is not None:
        threat.package_versions.add(package_version)
    _announce_threat(threat, "created" if created else "changed")
    return threat


def _announce_threat(threat: Threat, action: str) -> None:
    """Tell listeners (marketplace re-verification) once the change is committed."""
    reference, updated_at = threat.reference, threat.updated_at
    transaction.on_commit(lambda: threat_changed.send(sender=Threat, reference=reference, action=action,
                                                      updated_at=updated_at))


announce_threat = _announce_threat  # for intel.osv (imports create, change and withdraw threats)


def reporter_reputation_refresh(*, user) -> ReporterReputation:
    """Store the reporter's reputation recomputed from every decision on their reports."""
    figures = reporter_reputation_figures(user=user)
    reputation, _ = ReporterReputation.objects.update_or_create(
        user=user, defaults={**figures, "updated_at": timezone.now()})
    return reputation


@transaction.atomic
def report_review(*, report: Report, actor, action: str, reason: str, threat: Threat | None = None) -> ReportReview:
    """Apply an analyst's decision to a report and append it to the report's history.

    verify with a threat links the report to that known threat (adds it to its count).
    """
    reason = (reason or "").strip()
    if not reason:
        raise InvalidTransition("Give a reason; it is kept in the report's history.")
    report = Report.objects.select_for_update().get(pk=report.pk)
    from_status, to_status = report.transition(action)
    if threat is not None:
        if action != ReviewAction.VERIFY:
            raise InvalidTransition("Only verifying links a report to a threat.")
        reason = f"Linked to {threat.reference}: {reason}"
    if action == ReviewAction.VERIFY:
        report.threat = threat_record_from_report(report=report, reason=reason, threat=threat)
    report.updated_at = timezone.now()
    audit_reason(report, f"{ReviewAction(action).label}: {reason}")
    report.save(update_fields=["status", "threat", "updated_at"])
    review = ReportReview.objects.create(
        report=report, actor=actor, action=action, from_status=from_status, to_status=to_status, reason=reason,
    )
    if to_status in (ReportStatus.VERIFIED, ReportStatus.REJECTED):
        reporter_reputation_refresh(user=report.user)
    logger.info("report %s: %s by user %s", report.public_id, action, getattr(actor, "public_id", None))
    return review


@transaction.atomic
def report_promote(*, report: Report, actor, reason: str, phase: int, name: str, description: str, pattern: str,
                   severity: str, weight: int, ecosystem: str, file_globs=(), tags=()):
    """Turn a report into a detection signature, recorded in the report's history."""
    reason = (reason or "").strip() or f"Promoted to signature {name}."
    if report.status not in (ReportStatus.IN_REVIEW, ReportStatus.VERIFIED):
        raise InvalidTransition("Only a report in review or verified can be promoted to a signature.")
    signature = signature_create(
        phase=phase, name=name, description=description, pattern=pattern, severity=severity, weight=weight,
        ecosystem=ecosystem, file_globs=tuple(file_globs), tags=tuple(tags), origin="report", origin_report=report.public_id,
        reason=f"Promoted from report {report.public_id}: {reason}",
    )
    ReportReview.objects.create(
        report=report, actor=actor, action=ReviewAction.PROMOTE, from_status=report.status,
        to_status=report.status, reason=f"{reason} ({getattr(signature, 'public_id', signature)})",
    )
    return signature
