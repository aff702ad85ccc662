"""Builders for scans, reports and threats, shared by tests/intel and tests/scans."""
import itertools

from django.utils import timezone

from domain.scoring import PHASE_NAMES, verdict_for_score
from intel import services
from intel.models import Report, Threat
from scans.models import Scan
from tests.scans.factories import ScanFactory

_counter = itertools.count(1)
HASH_A = "sha256:" + "a" * 64
HASH_B = "sha256:" + "b" * 64


def scan_body(score: int = 15, **overrides) -> dict:
    """A valid POST /v1/scan body whose phases add up to `score`."""
    phases = [{"phase": n, "name": name, "score": 0, "findings": []} for n, name in PHASE_NAMES.items()]
    phases[1]["score"] = score
    if score:
        phases[1]["findings"] = ["eval() in src/utils.py:42"]
    body = {
        "quarantine_id": f"20260215_143000_repo_{next(_counter)}",
        "source_type": "git",
        "source_ref": "https://github.com/someone/example-repo",
        "source_hash": HASH_A,
        "score": score,
        "verdict": str(verdict_for_score(score)),
        "phases": phases,
        "file_stats": {"total_files": 24, "python": 12, "total_size_bytes": 145920},
        "cli_version": "0.1.0",
    }
    body.update(overrides)
    return body


def make_scan(user, *, score: int = 0, created_at=None, source_type="git", source_ref="https://github.com/a/b",
              source_hash="", ecosystem="", package_name="", package_version="") -> Scan:
    return ScanFactory(
        user=user, source_type=source_type, source_ref=source_ref, source_hash=source_hash, score=score,
        ecosystem=ecosystem, package_name=package_name, package_version=package_version,
        created_at=created_at or timezone.now(),
    )


def make_report(user, *, source_type="npm", source_ref="aws-helper-utils@1.2.3", source_hash=HASH_A,
                severity="critical", category="credential_exfiltration", description="Steals ~/.aws/credentials",
                evidence=None) -> Report:
    from domain.identifiers import parse_source_ref

    return services.report_submit(
        user=user, source_type=source_type, source_ref=source_ref, source_hash=source_hash, category=category,
        severity=severity, description=description, package=parse_source_ref(source_type, source_ref), evidence=evidence,
    )


def verified_threat(user, analyst, **report_fields) -> Threat:
    """A report verified by an analyst, through the service the admin action calls."""
    report = make_report(user, **report_fields)
    services.report_review(report=report, actor=analyst, action="verify", reason="Confirmed by analysis")
    report.refresh_from_db()
    return report.threat


def make_threat(*, severity="high", category="other", description="Malicious package", content_hash="", versions=(),
                ranges=(), artifact_hashes=(), withdrawn=False, **fields) -> Threat:
    """A threat with what it affects: versions as (ecosystem, name, version), ranges as dicts."""
    threat = services.threat_create(severity=severity, category=category, description=description,
                                    first_seen=timezone.now(), content_hash=content_hash,
                                    withdrawn_at=timezone.now() if withdrawn else None, **fields)
    services.threat_affected_replace(threat=threat, versions=versions, ranges=ranges, artifact_hashes=artifact_hashes)
    return threat
