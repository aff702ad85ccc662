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
from intel.models import Package, PackageVersion, Threat, ThreatArtifactHash, ThreatRange
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


def sql_in(column: str, values) -> tuple[str, list]:
    """`column = ANY(%s)` with one array parameter on PostgreSQL, `column IN (%s, ...)` elsewhere.

    A thousand separate placeholders cost more than the query itself: psycopg re-parses a query
    text it has not seen before, and every batch size is a new text; the array form is one text.
    """
    values = list(values)
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [values]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", values


def _rows(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _match_hashes(queries, note) -> None:
    wanted: dict[str, list[int]] = {}
    for index, query in enumerate(queries):
        for value in query.hashes:
            wanted.setdefault(value, []).append(index)
    if not wanted:
        return
    by_content, content_params = sql_in("content_hash", sorted(wanted))
    by_artifact, artifact_params = sql_in("hash", sorted(wanted))
    # `content_hash <> ''` lets PostgreSQL use the partial unique index threat_unique_hash.
    sql = (f"SELECT id, content_hash FROM {Threat._meta.db_table} WHERE {by_content} AND content_hash <> '' "
           f"UNION ALL SELECT threat_id, hash FROM {ThreatArtifactHash._meta.db_table} WHERE {by_artifact}")
    for threat_id, value in _rows(sql, content_params + artifact_params):
        for index in wanted[value]:
            note(index, threat_id, MatchBasis.ARTIFACT_HASH)


def _match_packages(queries, note) -> None:
    by_package: dict[tuple[str, str], list[int]] = {}
    for index, query in enumerate(queries):
        if query.name:
            by_package.setdefault((query.ecosystem, query.name), []).append(index)
    if not by_package:
        return
    names_by_ecosystem: dict[str, list[str]] = {}
    for ecosystem, name in by_package:
        names_by_ecosystem.setdefault(ecosystem, []).append(name)
    package_ids: dict[int, tuple[str, str]] = {}
    for ecosystem, names in names_by_ecosystem.items():
        by_name, params = sql_in("name", names)
        for package_id, name in _rows(f"SELECT id, name FROM {Package._meta.db_table} WHERE ecosystem = %s AND {by_name}",
                                      [ecosystem, *params]):
            package_ids[package_id] = (ecosystem, name)
    if not package_ids:
        return
    through, version_table = Threat.package_versions.through._meta.db_table, PackageVersion._meta.db_table
    by_package_id, params = sql_in("v.package_id", package_ids)
    versions = _rows(f"SELECT v.package_id, v.version, tv.threat_id FROM {version_table} v "
                     f"JOIN {through} tv ON tv.packageversion_id = v.id WHERE {by_package_id}", params)
    for package_id, listed, threat_id in versions:
        ecosystem, name = package_ids[package_id]
        for index in by_package[(ecosystem, name)]:
            version = queries[index].version
            if version is None:
                note(index, threat_id, MatchBasis.NAME_ONLY)
            elif same_version(ecosystem, version, listed):
                note(index, threat_id, MatchBasis.VERSION)
    by_package_id, params = sql_in("package_id", package_ids)
    ranges = _rows(f"SELECT package_id, threat_id, range_type, introduced, fixed, last_affected "
                   f"FROM {ThreatRange._meta.db_table} WHERE {by_package_id}", params)
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
    by_id, params = sql_in("id", threat_ids)
    rows = _rows(f"SELECT id, reference, severity, category, withdrawn_at FROM {Threat._meta.db_table} WHERE {by_id}",
                 params)
    return {threat_id: {"reference": reference, "severity": severity, "category": category,
                        "withdrawn": withdrawn_at is not None}
            for threat_id, reference, severity, category, withdrawn_at in rows}
