"""Which threats match a package: the one answer behind scans, POST /v1/lookup, verification and audit.

A package is (ecosystem, name, version or None) plus any artifact hashes known for it. A threat
matches it on one basis, strongest first (MatchBasis):
- artifact_hash: one of the hashes is the threat's content hash or one of its artifact hashes;
- version: the threat lists this exact version (`1.0` and `1.0.0` are the same PyPI release);
- range: the version falls inside one of the threat's OSV ranges (or no version was given and a
  range covers every version, `introduced: 0` with no end);
- name_only: no version was given and the threat affects some versions of this package.
Names are normalised by domain.identifiers.normalize_package_name, versions compared by
intel.versions. Batched: a thousand packages cost a handful of indexed queries, not a thousand.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection

from domain.identifiers import normalize_hash, normalize_package_name
from domain.scoring import SEVERITY_RANK
from intel.constants import MatchBasis
from intel.models import Package, Threat, ThreatArtifactHash, ThreatRange
from intel.versions import covers_all_versions, in_range, same_version

# Strongest basis first; a threat matched on several bases is reported on the strongest.
_BASIS_ORDER = {basis: rank for rank, basis in enumerate(MatchBasis)}
# Bases that make a package malicious (name_only only warns: the version is unknown).
CONFIRMED_BASES = (MatchBasis.ARTIFACT_HASH, MatchBasis.VERSION, MatchBasis.RANGE)


@dataclass(frozen=True)
class PackageQuery:
    ecosystem: str = ""
    name: str = ""
    version: str | None = None
    hashes: tuple[str, ...] = ()

    @classmethod
    def build(cls, *, ecosystem: str = "", name: str = "", version: str | None = None, hashes=()) -> "PackageQuery":
        """Normalised query; raises ValueError for a bad name or hash (the caller words the error)."""
        normalized = normalize_package_name(ecosystem, name) if name else ""
        version = (version or "").strip() or None
        if version is not None and len(version) > 128:
            raise ValueError("A version must be at most 128 characters.")
        return cls(ecosystem=ecosystem if name else "", name=normalized, version=version,
                   hashes=tuple(dict.fromkeys(normalize_hash(h) for h in hashes)))


@dataclass
class ThreatMatch:
    reference: str
    severity: str
    category: str
    withdrawn: bool
    basis: str
    threat_id: int = field(repr=False, default=0)

    @property
    def confirmed(self) -> bool:
        """This match makes the package malicious (a withdrawn threat never does)."""
        return not self.withdrawn and self.basis in CONFIRMED_BASES


def threat_matches(queries: list[PackageQuery]) -> list[list[ThreatMatch]]:
    """For each query, in order, its matching threats: most severe first, each on its strongest basis."""
    found: list[dict[int, str]] = [{} for _ in queries]  # per query: threat id -> basis

    def note(index: int, threat_id: int, basis: str) -> None:
        current = found[index].get(threat_id)
        if current is None or _BASIS_ORDER[basis] < _BASIS_ORDER[current]:
            found[index][threat_id] = basis

    _match_hashes(queries, note)
    _match_packages(queries, note)
    threats = _threat_rows({threat_id for per_query in found for threat_id in per_query})
    results = []
    for per_query in found:
        matches = [ThreatMatch(threat_id=threat_id, basis=basis, **threats[threat_id])
                   for threat_id, basis in per_query.items() if threat_id in threats]
        matches.sort(key=lambda m: (m.withdrawn, -SEVERITY_RANK[m.severity], _BASIS_ORDER[m.basis], m.reference))
        results.append(matches)
    return results


def threats_for_package(*, ecosystem: str = "", name: str = "", version: str | None = None,
                        hashes=()) -> list[ThreatMatch]:
    """threat_matches for one package (raises ValueError for a bad name or hash)."""
    return threat_matches([PackageQuery.build(ecosystem=ecosystem, name=name, version=version, hashes=hashes)])[0]


def _match_hashes(queries, note) -> None:
    wanted: dict[str, list[int]] = {}
    for index, query in enumerate(queries):
        for value in query.hashes:
            wanted.setdefault(value, []).append(index)
    if not wanted:
        return
    values = sorted(wanted)
    placeholders = ", ".join(["%s"] * len(values))
    # `content_hash <> ''` lets PostgreSQL use the partial unique index threat_unique_hash.
    sql = (f"SELECT id, content_hash FROM {Threat._meta.db_table} WHERE content_hash IN ({placeholders}) "
           f"AND content_hash <> '' UNION ALL "
           f"SELECT threat_id, hash FROM {ThreatArtifactHash._meta.db_table} WHERE hash IN ({placeholders})")
    with connection.cursor() as cursor:
        cursor.execute(sql, values + values)
        for threat_id, value in cursor.fetchall():
            for index in wanted[value]:
                note(index, threat_id, MatchBasis.ARTIFACT_HASH)


def _match_packages(queries, note) -> None:
    by_package: dict[tuple[str, str], list[int]] = {}
    for index, query in enumerate(queries):
        if query.name:
            by_package.setdefault((query.ecosystem, query.name), []).append(index)
    if not by_package:
        return
    package_ids: dict[int, tuple[str, str]] = {}
    names_by_ecosystem: dict[str, list[str]] = {}
    for ecosystem, name in by_package:
        names_by_ecosystem.setdefault(ecosystem, []).append(name)
    for ecosystem, names in names_by_ecosystem.items():
        for package_id, name in Package.objects.filter(ecosystem=ecosystem, name__in=names).values_list("id", "name"):
            package_ids[package_id] = (ecosystem, name)
    if not package_ids:
        return
    through = Threat.package_versions.through
    versions = (through.objects.filter(packageversion__package_id__in=package_ids)
                .values_list("packageversion__package_id", "packageversion__version", "threat_id"))
    for package_id, listed, threat_id in versions:
        ecosystem, name = package_ids[package_id]
        for index in by_package[(ecosystem, name)]:
            version = queries[index].version
            if version is None:
                note(index, threat_id, MatchBasis.NAME_ONLY)
            elif same_version(ecosystem, version, listed):
                note(index, threat_id, MatchBasis.VERSION)
    ranges = ThreatRange.objects.filter(package_id__in=package_ids).values_list(
        "package_id", "threat_id", "range_type", "introduced", "fixed", "last_affected")
    for package_id, threat_id, range_type, introduced, fixed, last_affected in ranges:
        ecosystem, name = package_ids[package_id]
        bounds = {"introduced": introduced, "fixed": fixed, "last_affected": last_affected}
        for index in by_package[(ecosystem, name)]:
            version = queries[index].version
            if version is None:
                note(index, threat_id, MatchBasis.RANGE if covers_all_versions(**bounds) else MatchBasis.NAME_ONLY)
            elif in_range(ecosystem, range_type, version, **bounds):
                note(index, threat_id, MatchBasis.RANGE)


def _threat_rows(threat_ids: set[int]) -> dict[int, dict]:
    if not threat_ids:
        return {}
    rows = Threat.objects.filter(pk__in=threat_ids).values_list("id", "reference", "severity", "category", "withdrawn_at")
    return {threat_id: {"reference": reference, "severity": severity, "category": category,
                        "withdrawn": withdrawn_at is not None}
            for threat_id, reference, severity, category, withdrawn_at in rows}

