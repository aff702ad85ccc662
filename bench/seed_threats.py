"""Seed N synthetic threats into a benchmark database with PostgreSQL COPY (1,000,000 in about two minutes).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sigil_bench python bench/seed_threats.py --count 1000000

Threat i has content hash sha256("sigil-bench-threat-<i>"), so a load generator can ask for known
hashes without reading them back. Refuses a database whose name does not contain "bench".
"""
import argparse
import hashlib
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sigil.settings")

SEVERITIES = ["low", "medium", "high", "critical"]
CATEGORIES = ["credential_exfiltration", "backdoor", "install_hook_abuse", "typosquat", "obfuscated_payload",
              "cryptominer", "data_exfiltration", "other"]
ACTIONS = {"low": "monitor", "medium": "review", "high": "reject", "critical": "reject"}
YEAR = 2025  # references THR-2025-0000001…; real threats use the current year and stay clear of these


def threat_hash(index: int) -> str:
    return "sha256:" + hashlib.sha256(f"sigil-bench-threat-{index}".encode()).hexdigest()


def seed(count: int) -> int:
    """Add threats until there are `count` bench threats; returns how many were added."""
    import django

    django.setup()
    from django.db import connection

    from intel.models import Threat

    if connection.vendor != "postgresql" or "bench" not in connection.settings_dict["NAME"]:
        raise SystemExit("seed_threats: use a PostgreSQL database whose name contains 'bench'")
    existing = Threat.objects.filter(year=YEAR).count()
    if existing >= count:
        return 0
    fields = ["reference", "year", "sequence", "content_hash", "severity", "category", "description",
              "recommended_action", "extra_references", "first_seen", "last_seen", "reports_count",
              "created_at", "updated_at"]
    columns = ", ".join(connection.ops.quote_name(Threat._meta.get_field(f).column) for f in fields)
    now = "2026-01-01 00:00:00+00"
    with connection.cursor() as cursor:
        with cursor.connection.cursor().copy(f"COPY {Threat._meta.db_table} ({columns}) FROM STDIN") as copy:
            for index in range(existing, count):
                severity = SEVERITIES[index % 4]
                copy.write_row((
                    f"THR-{YEAR}-{index + 1:07d}", YEAR, index + 1, threat_hash(index), severity,
                    CATEGORIES[index % len(CATEGORIES)], f"Synthetic benchmark threat {index}",
                    ACTIONS[severity], "[]", now, now, index % 50, now, now,
                ))
        cursor.execute(f"ANALYZE {Threat._meta.db_table}")
    return count - existing


def bench_package(index: int) -> tuple[str, str, str]:
    """Bench package i: (ecosystem, name, malicious version); threat i lists that version."""
    ecosystem = "npm" if index % 2 else "pypi"
    return ecosystem, f"sigil-bench-pkg-{index}", f"1.{index % 7}.{index % 11}"


def seed_packages(count: int) -> int:
    """Give the first `count` bench threats a package each: an exact version, and on every other one an
    OSV range (introduced 2.0.0, fixed 3.0.0). Returns how many were added."""
    import django

    django.setup()
    from django.db import connection

    from intel.models import Package, PackageVersion, Threat, ThreatRange

    if connection.vendor != "postgresql" or "bench" not in connection.settings_dict["NAME"]:
        raise SystemExit("seed_threats: use a PostgreSQL database whose name contains 'bench'")
    existing = Package.objects.filter(name__startswith="sigil-bench-pkg-").count()
    if existing >= count:
        return 0
    through = Threat.package_versions.through
    threat_ids = dict(Threat.objects.filter(year=YEAR, sequence__gt=existing, sequence__lte=count)
                      .values_list("sequence", "id"))
    now = "2026-01-01 00:00:00+00"

    def copy(model, fields, rows):
        table, columns = model._meta.db_table, ", ".join(model._meta.get_field(f).column for f in fields)
        with connection.cursor() as cursor:
            with cursor.connection.cursor().copy(f"COPY {table} ({columns}) FROM STDIN") as stream:
                for row in rows:
                    stream.write_row(row)

    copy(Package, ["ecosystem", "name", "created_at"],
         (bench_package(i)[:2] + (now,) for i in range(existing, count)))
    package_ids = dict(Package.objects.filter(name__startswith="sigil-bench-pkg-").values_list("name", "id"))
    copy(PackageVersion, ["package", "version", "created_at"],
         ((package_ids[bench_package(i)[1]], bench_package(i)[2], now) for i in range(existing, count)))
    version_ids = dict(((name, version), pk) for pk, name, version in PackageVersion.objects.filter(
        package__name__startswith="sigil-bench-pkg-").values_list("id", "package__name", "version"))
    copy(through, ["threat", "packageversion"],
         ((threat_ids[i + 1], version_ids[bench_package(i)[1:]]) for i in range(existing, count)))
    copy(ThreatRange, ["threat", "package", "range_type", "introduced", "fixed", "last_affected"],
         ((threat_ids[i + 1], package_ids[bench_package(i)[1]], "ECOSYSTEM", "2.0.0", "3.0.0", "")
          for i in range(existing, count) if i % 2 == 0))
    with connection.cursor() as cursor:
        for model in (Package, PackageVersion, through, ThreatRange):
            cursor.execute(f"ANALYZE {model._meta.db_table}")
    return count - existing


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--packages", type=int, default=0, help="give this many of them a package (seed_packages)")
    args = parser.parse_args()
    started = time.monotonic()
    added = seed(args.count)
    print(f"seed_threats: {added} added, {args.count} bench threats present ({time.monotonic() - started:.1f} s)")
    if args.packages:
        added = seed_packages(args.packages)
        print(f"seed_threats: {added} packages added, {args.packages} present ({time.monotonic() - started:.1f} s)")


if __name__ == "__main__":
    main()
