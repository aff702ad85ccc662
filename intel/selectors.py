"""Reads for threat intelligence: threat matching, lookups, publisher reputation."""
from __future__ import annotations

import operator
from collections.abc import Iterable
from datetime import timedelta
from functools import reduce

from django.apps import apps
from django.db.models import Avg, Case, Count, IntegerField, Max, Q, QuerySet, Value, When
from django.utils import timezone

from intel.constants import SEVERITY_RANK, ReportStatus
from intel.models import Package, PackageVersion, Publisher, Report, Threat
from intel.normalize import normalize_hash, normalize_package_name

NEW_ACCOUNT_DAYS = 30
BLOCKING_SCORE = 25  # verdict high and above (DESIGN.md)


def threats_matching(*, hashes: Iterable[str] = (), package_versions: Iterable[tuple[str, str, str]] = ()) -> QuerySet[Threat]:
    """Threats for any of these content hashes or exact package versions, most severe first."""
    hash_set = {normalize_hash(h) for h in hashes}
    version_conditions = []
    for ecosystem, name, version in package_versions:
        if not version:
            continue
        try:
            normalized = normalize_package_name(ecosystem, name)
        except ValueError:
            continue
        version_conditions.append(Q(package__ecosystem=ecosystem, package__name=normalized, version=version))
    # Two index lookups, then a primary-key fetch. One query with `hash IN … OR pk IN (subquery)`
    # makes PostgreSQL scan the whole threat table (400 ms at a million rows).
    threat_ids = set()
    if hash_set:
        # `content_hash <> ''` lets PostgreSQL use the partial unique index threat_unique_hash.
        threat_ids.update(Threat.objects.filter(content_hash__in=hash_set).exclude(content_hash="").values_list("id", flat=True))
    if version_conditions:
        through = Threat.package_versions.through
        versions = PackageVersion.objects.filter(reduce(operator.or_, version_conditions))
        threat_ids.update(through.objects.filter(packageversion__in=versions)
                          .values_list("threat_id", flat=True))
    return Threat.objects.filter(pk__in=threat_ids).order_by(severity_order().desc(), "id")


def severity_order():
    """Severity as its rank, for ordering most severe first."""
    return Case(*[When(severity=s, then=Value(r)) for s, r in SEVERITY_RANK.items()], output_field=IntegerField())


def threat_lookup(*, content_hash: str) -> Threat | None:
    """The threat known for this (normalised) content hash.

    The hot path of the API: one unique-index probe, no ordering, no prefetch.
    """
    return next(iter(Threat.objects.filter(content_hash=content_hash).exclude(content_hash="").order_by()[:1]), None)


def threat_by_reference(*, reference: str) -> Threat | None:
    return next(iter(Threat.objects.filter(reference=reference).order_by()[:1]), None)


def affected_packages(*, threat: Threat) -> list[dict]:
    """The package versions a threat affects, in one joined query."""
    rows = (PackageVersion.objects.filter(threats=threat)
            .order_by("package__ecosystem", "package__name", "version")
            .values_list("package__ecosystem", "package__name", "version"))
    return [{"ecosystem": ecosystem, "name": name, "version": version} for ecosystem, name, version in rows]


def publisher_find(*, identifier: str, ecosystem: str | None = None) -> Publisher | None:
    """A publisher by public id (`pub_…`) or registry name, optionally in one ecosystem."""
    identifier = identifier.strip()
    if not identifier or len(identifier) > 214:
        return None
    publishers = Publisher.objects.all()
    if ecosystem:
        publishers = publishers.filter(ecosystem=ecosystem)
    by_id = publishers.filter(public_id=identifier).first() if identifier.startswith("pub_") else None
    return by_id or publishers.filter(name=identifier.lower()).order_by("first_seen", "id").first()


def publisher_for_package(*, ecosystem: str, name: str) -> Publisher | None:
    try:
        normalized = normalize_package_name(ecosystem, name)
    except ValueError:
        return None
    package = Package.objects.select_related("publisher").filter(ecosystem=ecosystem, name=normalized).first()
    return package.publisher if package else None


def _publisher_scans(publisher: Publisher):
    from scans.models import Scan

    names = publisher.packages.values("name")
    return Scan.objects.filter(ecosystem=publisher.ecosystem, package_name__in=names)


def _verifications(publisher: Publisher) -> list:
    try:
        apps.get_model("marketplace", "Verification")
    except LookupError:  # the marketplace app has no Verification model yet
        return []
    return list(publisher.verifications.values("status", "verdict", "source_ref", "source_version"))


def _typosquat_names(names: list[str], ecosystem: str) -> list[str]:
    from scans.engine import typosquat_target

    return [name for name in names if typosquat_target(name, ecosystem) is not None]


def reputation_label(score: int) -> str:
    if score < 30:
        return "low"
    if score < 70:
        return "medium"
    return "high"


def publisher_reputation(*, publisher: Publisher) -> dict:
    """Reputation 0-100 from what the server knows; see README "Scans and threat intelligence".

    Community scans count per account (each account's worst and mean score), so one account
    submitting a thousand critical scans moves the score exactly as much as submitting one.
    """
    packages = list(publisher.packages.all())
    names = [p.name for p in packages]
    flagged = {}  # package id -> worst threat severity rank
    for package_id, severity in Threat.objects.filter(package_versions__package__in=packages).values_list(
        "package_versions__package_id", "severity"
    ):
        flagged[package_id] = max(flagged.get(package_id, 0), SEVERITY_RANK[severity])

    verified_reporters = (
        Report.objects.filter(status=ReportStatus.VERIFIED, ecosystem=publisher.ecosystem, package_name__in=names)
        .values("user").distinct().count()
    ) if names else 0

    per_account = list(_publisher_scans(publisher).values("user").annotate(worst=Max("score"), mean=Avg("score")))
    blocking_accounts = sum(1 for a in per_account if a["worst"] >= BLOCKING_SCORE)
    clean_accounts = sum(1 for a in per_account if a["worst"] < 10)
    total_scans = _publisher_scans(publisher).count() if per_account else 0

    verifications = _verifications(publisher)
    # Distinct package versions, so asking for the same verification again counts once.
    failed = len({(v["source_ref"], v["source_version"]) for v in verifications if v["status"] == "failed"})
    passed = len({(v["source_ref"], v["source_version"]) for v in verifications if v["status"] == "verified"})

    typosquats = _typosquat_names(names, publisher.ecosystem)
    new_account = publisher.first_seen > timezone.now() - timedelta(days=NEW_ACCOUNT_DAYS)

    threat_penalty = min(70, sum({1: 5, 2: 12, 3: 25, 4: 35}[rank] for rank in flagged.values()))
    score = (
        70
        - threat_penalty
        - min(9, 3 * verified_reporters)
        - min(20, 10 * failed) + min(6, 2 * passed)
        - min(20, 4 * blocking_accounts) + min(5, clean_accounts)
        - (10 if new_account else 0)
        - (15 if typosquats else 0)
    )
    score = max(0, min(100, score))

    flags = []
    if len(flagged) >= 2:
        flags.append("multiple_flagged_packages")
    elif len(flagged) == 1:
        flags.append("flagged_package")
    if typosquats:
        flags.append("typosquat_pattern")
    if new_account:
        flags.append("new_account")
    if failed:
        flags.append("failed_verifications")
    if blocking_accounts >= 3:
        flags.append("community_flagged")

    average = None
    if per_account:
        # Mean of each account's mean, for the same reason as above.
        average = round(sum(float(a["mean"]) for a in per_account) / len(per_account), 1)
    return {
        "score": score,
        "label": reputation_label(score),
        "flags": flags,
        "total_packages": len(packages),
        "flagged_packages": len(flagged),
        "total_scans": total_scans,
        "average_risk_score": average,
    }


def publisher_packages(*, publisher: Publisher, limit: int = 100) -> list[dict]:
    """The publisher's known package versions with a verdict and a community scan count."""
    from scans.constants import verdict_for_score

    versions = list(
        PackageVersion.objects.filter(package__publisher=publisher).select_related("package")
        .order_by("package__name", "-created_at")[:limit]
    )
    threat_rank = {}
    for pv_id, severity in Threat.objects.filter(package_versions__in=versions).values_list("package_versions", "severity"):
        threat_rank[pv_id] = max(threat_rank.get(pv_id, 0), SEVERITY_RANK[severity])
    scans = {}
    for row in (
        _publisher_scans(publisher).exclude(package_version="")
        .values("package_name", "package_version", "user").annotate(worst=Max("score"))
    ):
        scans.setdefault((row["package_name"], row["package_version"]), []).append(row["worst"])
    counts = {
        (row["package_name"], row["package_version"]): row["n"]
        for row in _publisher_scans(publisher).exclude(package_version="")
        .values("package_name", "package_version").annotate(n=Count("id"))
    }
    severities = {rank: sev for sev, rank in SEVERITY_RANK.items()}
    result = []
    for pv in versions:
        key = (pv.package.name, pv.version)
        if pv.id in threat_rank:
            verdict = str(severities[threat_rank[pv.id]])
        elif key in scans:
            # The median account's worst score: one noisy account cannot set the verdict.
            worst = sorted(scans[key])
            verdict = str(verdict_for_score(worst[len(worst) // 2]))
        else:
            verdict = None
        result.append({"name": pv.package.name, "version": pv.version, "verdict": verdict, "scans": counts.get(key, 0)})
    return result


def scan_threats_and_publisher(*, scan) -> tuple[list[Threat], dict | None]:
    """Known threats for a scan's content hash or package version, and its publisher's summary."""
    package_versions = []
    if scan.ecosystem and scan.package_name and scan.package_version:
        package_versions.append((scan.ecosystem, scan.package_name, scan.package_version))
    threats = []
    if scan.source_hash or package_versions:
        hashes = [scan.source_hash] if scan.source_hash else []
        threats = list(threats_matching(hashes=hashes, package_versions=package_versions)[:20])
    publisher_summary = None
    publisher = publisher_for_package(ecosystem=scan.ecosystem, name=scan.package_name) if scan.package_name else None
    if publisher is not None:
        reputation = publisher_reputation(publisher=publisher)
        publisher_summary = {
            "id": publisher.public_id,
            "name": publisher.display_name or publisher.name,
            "reputation": reputation["score"],
            "total_packages": reputation["total_packages"],
            "flagged_packages": reputation["flagged_packages"],
        }
    return threats, publisher_summary
