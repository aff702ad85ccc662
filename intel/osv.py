"""Threats as OSV records (https://ossf.github.io/osv-schema/): import and export.

Import (`manage.py import_osv SOURCE`, the optional beat job): malicious-package records (`MAL-…`
ids or aliases) of PyPI and npm become threats; other records and ecosystems are skipped and
counted. A record whose `modified` equals the one last imported is skipped, so re-imports are
cheap. Each record is applied whole or not at all, and the run is one transaction. Fields an
analyst edited (Threat.curated_fields) are never overwritten.
"""
from __future__ import annotations

import hashlib
import io
import json
import logging
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone as dt_timezone
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone
from packageurl import PackageURL

from domain.identifiers import normalize_package_name
from intel import services
from intel.constants import RANGE_START
from intel.models import Threat, ThreatRange, threat_public_url
from sigil.audit import audit_reason
from sigil.timefmt import isoformat_z

logger = logging.getLogger(__name__)

SCHEMA_VERSION = "1.6.0"
OSV_ECOSYSTEM = {"pypi": "PyPI", "npm": "npm"}
ECOSYSTEM_FROM_OSV = {value: key for key, value in OSV_ECOSYSTEM.items()}
MAX_RECORD_BYTES = 1024 * 1024
MAX_RECORDS = 500_000
MAX_ZIP_BYTES = 512 * 1024 * 1024
MAX_REFERENCES = 20
IMPORT_SEVERITY, IMPORT_CATEGORY = "critical", "other"  # a malicious package: reject it; analysts refine


class OsvError(Exception):
    """A source that cannot be read at all (not a single bad record)."""


class InvalidRecord(ValueError):
    pass


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    withdrawn: int = 0
    skipped_not_malicious: int = 0
    skipped_ecosystem: int = 0
    invalid: list[tuple[str, str]] = field(default_factory=list)  # (file, why)

    def as_text(self) -> str:
        text = (f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
                f"{self.withdrawn} withdrawn, {self.skipped_not_malicious} not malicious-package records, "
                f"{self.skipped_ecosystem} other ecosystems, {len(self.invalid)} invalid")
        return "\n".join([text, *(f"invalid: {name}: {why}" for name, why in self.invalid)])


# ------------------------------------------------------------------------------------- sources

def records_from_directory(root: Path) -> Iterator[tuple[str, bytes]]:
    for path in sorted(root.rglob("*.json")):
        if path.is_symlink() or not path.is_file():
            continue
        name = path.relative_to(root).as_posix()
        if path.stat().st_size > MAX_RECORD_BYTES:
            yield name, b""  # reported as invalid
            continue
        yield name, path.read_bytes()


def records_from_zip(data: bytes | Path) -> Iterator[tuple[str, bytes]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data) if isinstance(data, bytes) else data)
    except zipfile.BadZipFile:
        raise OsvError("not a zip archive") from None
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir() and m.filename.endswith(".json")]
        if len(members) > MAX_RECORDS:
            raise OsvError(f"more than {MAX_RECORDS} records")
        for member in members:
            if member.file_size > MAX_RECORD_BYTES:
                yield member.filename, b""
                continue
            with archive.open(member) as stream:
                yield member.filename, stream.read(MAX_RECORD_BYTES + 1)


def records_from_source(source: str, *, fetch_url=None) -> Iterator[tuple[str, bytes]]:
    """A directory of OSV JSON files, a zip of them (all.zip), or an https URL of such a zip.

    URLs are fetched by `fetch_url(url) -> bytes` (raising OsvError): intel makes no outbound
    requests itself; marketplace.osv_source passes the guarded client."""
    if source.startswith(("https://", "http://")):
        if fetch_url is None:
            raise OsvError("URL sources need the guarded outbound client (marketplace.osv_source)")
        return records_from_zip(fetch_url(source))
    path = Path(source)
    if path.is_dir():
        return records_from_directory(path)
    if path.is_file():
        return records_from_zip(path)
    raise OsvError(f"{source}: no such directory, zip or URL")


# -------------------------------------------------------------------------------------- import

def _time(value, name: str, *, required: bool = False) -> datetime | None:
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise InvalidRecord(f"{name} must be an RFC 3339 time")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidRecord(f"{name} is not an RFC 3339 time: {value[:40]!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt_timezone.utc)


def _strings(value, name: str, limit: int = 1000) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value) or len(value) > limit:
        raise InvalidRecord(f"{name} must be a list of at most {limit} strings")
    return value


def _intervals(events) -> list[dict]:
    """OSV events in order -> [{introduced, fixed, last_affected}] intervals (limit is ignored)."""
    if not isinstance(events, list) or not events:
        raise InvalidRecord("a range needs events")
    intervals, current = [], None
    for event in events:
        if not isinstance(event, dict) or len(event) != 1 or not isinstance(next(iter(event.values())), str):
            raise InvalidRecord("each range event is one of introduced, fixed, last_affected, limit")
        (kind, value), = event.items()
        if kind == "introduced":
            current = {"introduced": value or RANGE_START, "fixed": "", "last_affected": ""}
            intervals.append(current)
        elif kind in ("fixed", "last_affected"):
            if current is None or current["fixed"] or current["last_affected"]:
                raise InvalidRecord(f"a {kind} event without an introduced before it")
            current[kind] = value
        elif kind != "limit":
            raise InvalidRecord(f"unknown range event {kind!r}")
    if not intervals:
        raise InvalidRecord("a range needs an introduced event")
    return intervals


def parse_record(raw: bytes) -> dict | None:
    """The threat fields of a malicious-package record; None for records Sigil does not import.

    Raises InvalidRecord; returns {"skip": reason} for well-formed records of other kinds."""
    if not raw:
        raise InvalidRecord(f"empty or larger than {MAX_RECORD_BYTES} bytes")
    try:
        record = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidRecord(f"not JSON ({exc})") from None
    if not isinstance(record, dict):
        raise InvalidRecord("not a JSON object")
    record_id = record.get("id")
    if not isinstance(record_id, str) or not 1 <= len(record_id) <= 64:
        raise InvalidRecord("id must be a string of 1 to 64 characters")
    modified = _time(record.get("modified"), "modified", required=True)
    aliases = _strings(record.get("aliases"), "aliases", 100)
    if not any(i.startswith("MAL-") for i in [record_id, *aliases]):
        return {"skip": "not_malicious"}
    affected = record.get("affected") or []
    if not isinstance(affected, list):
        raise InvalidRecord("affected must be a list")
    versions, ranges = [], []
    for entry in affected:
        if not isinstance(entry, dict) or not isinstance(entry.get("package"), dict):
            raise InvalidRecord("each affected entry needs a package")
        package = entry["package"]
        ecosystem, name = ECOSYSTEM_FROM_OSV.get(package.get("ecosystem")), package.get("name")
        if ecosystem is None:
            continue
        if not isinstance(name, str):
            raise InvalidRecord("package.name must be a string")
        try:
            name = normalize_package_name(ecosystem, name)
        except ValueError as exc:
            raise InvalidRecord(str(exc)) from None
        versions += [(ecosystem, name, v) for v in _strings(entry.get("versions"), "versions", 5000) if v]
        for osv_range in entry.get("ranges") or []:
            if not isinstance(osv_range, dict) or osv_range.get("type") not in ("ECOSYSTEM", "SEMVER", "GIT"):
                raise InvalidRecord("each range needs a type of ECOSYSTEM, SEMVER or GIT")
            if osv_range["type"] == "GIT":
                continue
            ranges += [{"ecosystem": ecosystem, "name": name, "range_type": osv_range["type"], **interval}
                       for interval in _intervals(osv_range.get("events"))]
    if not versions and not ranges:
        return {"skip": "ecosystem"}
    references = [r.get("url") for r in record.get("references") or [] if isinstance(r, dict)]
    references = [url for url in references if isinstance(url, str) and url.startswith(("https://", "http://"))
                  and len(url) <= 2048][:MAX_REFERENCES]
    summary = record.get("summary") if isinstance(record.get("summary"), str) else ""
    details = record.get("details") if isinstance(record.get("details"), str) else ""
    return {
        "osv_id": record_id, "osv_modified": modified, "aliases": [record_id, *aliases] if record_id.startswith("MAL-")
        else aliases, "summary": summary[:200], "description": (details or summary or record_id)[:10000],
        "first_seen": _time(record.get("published"), "published") or modified,
        "withdrawn_at": _time(record.get("withdrawn"), "withdrawn"), "extra_references": references,
        "versions": versions, "ranges": ranges,
    }


def _apply(fields: dict) -> list[str]:
    """Create or update the record's threat; returns the ImportReport counters to add."""
    ids = [fields["osv_id"], *fields["aliases"]]
    threat = Threat.objects.select_for_update().filter(osv_id__in=ids).order_by("id").first()
    if threat is not None and threat.osv_modified == fields["osv_modified"]:
        return ["unchanged"]
    curated = set(threat.curated_fields) if threat is not None else set()
    if threat is None:
        threat = services.threat_create(
            severity=IMPORT_SEVERITY, category=IMPORT_CATEGORY, description=fields["description"],
            first_seen=fields["first_seen"], summary=fields["summary"], aliases=fields["aliases"],
            extra_references=fields["extra_references"], withdrawn_at=fields["withdrawn_at"],
            osv_id=fields["osv_id"], osv_modified=fields["osv_modified"],
            reason=f"Imported from OSV {fields['osv_id']}.")
        action = "created"
    else:
        for name in ("summary", "description", "aliases", "extra_references", "withdrawn_at"):
            if name not in curated:
                setattr(threat, name, fields[name])
        threat.osv_id, threat.osv_modified, threat.updated_at = fields["osv_id"], fields["osv_modified"], timezone.now()
        audit_reason(threat, f"Re-imported from OSV {fields['osv_id']} (modified {fields['osv_modified']:%Y-%m-%dT%H:%M:%SZ}).")
        threat.save()
        action = "changed"
    counters = ["created" if action == "created" else "updated"]
    if threat.withdrawn_at is not None and "withdrawn_at" not in curated:
        counters.append("withdrawn")
        action = "withdrawn"
    if "affected" not in curated:
        # Announces the change itself (re-verification listens).
        services.threat_affected_replace(threat=threat, versions=fields["versions"], ranges=fields["ranges"],
                                         artifact_hashes=list(threat.artifact_hashes.values_list("hash", flat=True)))
    if action != "changed" or "affected" in curated:
        services.announce_threat(threat, action)
    return counters


def osv_import(*, records) -> ImportReport:
    """Import (name, bytes) OSV records; one transaction, each record whole or not at all."""
    report = ImportReport()
    with transaction.atomic():
        for name, raw in records:
            try:
                fields = parse_record(raw)
                if "skip" in fields:
                    if fields["skip"] == "not_malicious":
                        report.skipped_not_malicious += 1
                    else:
                        report.skipped_ecosystem += 1
                    continue
                with transaction.atomic():
                    counters = _apply(fields)
                for counter in counters:
                    setattr(report, counter, getattr(report, counter) + 1)
            except InvalidRecord as exc:
                report.invalid.append((name, str(exc)))
            except ValidationError as exc:
                report.invalid.append((name, "; ".join(exc.messages)))
    logger.info("import_osv: %s", report.as_text().splitlines()[0])
    return report


# -------------------------------------------------------------------------------------- export

def _purl(ecosystem: str, name: str) -> str:
    namespace, _, short = name.rpartition("/")
    return PackageURL(type=ecosystem, namespace=namespace or None, name=short).to_string()


def threat_records(threats: list[Threat]) -> list[dict]:
    """OSV records for these threats, with their affected packages read in two queries."""
    ids = [t.pk for t in threats]
    affected: dict[int, dict[tuple[str, str], dict]] = {pk: {} for pk in ids}

    def entry(threat_id, ecosystem, name):
        return affected[threat_id].setdefault((ecosystem, name), {"versions": [], "ranges": []})

    through = Threat.package_versions.through
    for threat_id, ecosystem, name, version in (
        through.objects.filter(threat_id__in=ids)
        .order_by("packageversion__package__ecosystem", "packageversion__package__name", "packageversion__version")
        .values_list("threat_id", "packageversion__package__ecosystem", "packageversion__package__name",
                     "packageversion__version")):
        entry(threat_id, ecosystem, name)["versions"].append(version)
    for threat_id, ecosystem, name, range_type, introduced, fixed, last_affected in (
        ThreatRange.objects.filter(threat_id__in=ids).order_by("package__ecosystem", "package__name", "id")
        .values_list("threat_id", "package__ecosystem", "package__name", "range_type", "introduced", "fixed",
                     "last_affected")):
        events = [{"introduced": introduced}]
        if fixed:
            events.append({"fixed": fixed})
        elif last_affected:
            events.append({"last_affected": last_affected})
        entry(threat_id, ecosystem, name)["ranges"].append({"type": range_type, "events": events})
    return [_record(threat, affected[threat.pk]) for threat in threats]


def _record(threat: Threat, affected: dict) -> dict:
    record = {
        "schema_version": SCHEMA_VERSION,
        "id": threat.reference,
        "modified": isoformat_z(threat.updated_at),
        "published": isoformat_z(threat.first_seen),
    }
    if threat.withdrawn_at is not None:
        record["withdrawn"] = isoformat_z(threat.withdrawn_at)
    if threat.aliases:
        record["aliases"] = [str(a) for a in threat.aliases]
    first_line = threat.description.strip().splitlines()[0][:200] if threat.description.strip() else threat.reference
    record["summary"] = threat.summary or first_line
    record["details"] = threat.description
    record["affected"] = []
    for (ecosystem, name), packages in sorted(affected.items()):
        item = {"package": {"ecosystem": OSV_ECOSYSTEM.get(ecosystem, ecosystem), "name": name}}
        if ecosystem in OSV_ECOSYSTEM:
            item["package"]["purl"] = _purl(ecosystem, name)
        if packages["ranges"]:
            item["ranges"] = packages["ranges"]
        if packages["versions"] or not packages["ranges"]:
            item["versions"] = packages["versions"]
        record["affected"].append(item)
    record["database_specific"] = {
        "severity": threat.severity, "category": threat.category, "reports_count": threat.reports_count,
        "recommended_action": threat.recommended_action,
    }
    if threat.content_hash:
        record["database_specific"]["content_hash"] = threat.content_hash
    record["references"] = [{"type": "REPORT", "url": threat_public_url(threat.reference)},
                            *({"type": "WEB", "url": str(url)} for url in threat.extra_references)]
    return record


def threats_for_export():
    return Threat.objects.order_by("-updated_at", "-id")



class _Sink(io.RawIOBase):
    """An unseekable stream zipfile writes into; the response takes what is written so far."""

    def __init__(self):
        self.chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data = b"".join(self.chunks)
        self.chunks.clear()
        return data


def export_zip_stream(batch: int = 1000) -> Iterator[bytes]:
    """all.zip, streamed: one `THR-….json` per threat, a batch of threats at a time."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as archive:
        last = 0
        while True:
            threats = list(Threat.objects.filter(pk__gt=last).order_by("pk")[:batch])
            if not threats:
                break
            for record in threat_records(threats):
                archive.writestr(f"{record['id']}.json", json.dumps(record, indent=2))
            last = threats[-1].pk
            yield sink.take()
    yield sink.take()


def export_modified_csv_stream() -> Iterator[bytes]:
    """modified_id.csv as OSV mirrors read it: `modified,id` per line, newest first, no header."""
    rows = Threat.objects.order_by("-updated_at", "-id").values_list("updated_at", "reference")
    lines = []
    for updated_at, reference in rows.iterator(chunk_size=5000):
        lines.append(f"{isoformat_z(updated_at)},{reference}\n")
        if len(lines) >= 5000:
            yield "".join(lines).encode()
            lines = []
    yield "".join(lines).encode()


def export_etag() -> str:
    """Changes whenever any threat is created, changed or deleted (count and newest change)."""
    state = Threat.objects.aggregate(n=Count("id"), newest=Max("updated_at"))
    newest = state["newest"].isoformat() if state["newest"] else "-"
    return '"' + hashlib.sha256(f"{state['n']}|{newest}".encode()).hexdigest()[:32] + '"'
