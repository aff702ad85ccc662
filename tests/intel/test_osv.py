"""OSV import (manage.py import_osv, beat job) and export (/v1/osv/...), checked against the official schema."""
import io
import json
import shutil
import zipfile
from pathlib import Path

import jsonschema
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from intel.matching import threats_for_package
from intel.models import Threat
from marketplace.tasks import osv_import_scheduled
from tests.fakes.servers import FakeWeb
from tests.intel.factories import make_threat

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "osv"
RECORDS = FIXTURES / "records"
SCHEMA = json.loads((FIXTURES / "schema" / "osv-schema.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())


def import_osv(source) -> str:
    out = io.StringIO()
    call_command("import_osv", str(source), stdout=out)
    return out.getvalue()


def bump(record_path: Path, tmp_path: Path, **changes) -> Path:
    """A copy of the fixture tree with one record changed."""
    tree = tmp_path / "tree"
    shutil.copytree(RECORDS, tree)
    target = tree / record_path.relative_to(RECORDS)
    record = json.loads(target.read_text())
    record.update(changes)
    target.write_text(json.dumps(record))
    return tree


def test_fixture_records_are_valid_osv():
    files = sorted(RECORDS.rglob("*.json"))
    assert len(files) == 6
    for path in files:
        errors = [e.message for e in VALIDATOR.iter_errors(json.loads(path.read_text()))]
        assert errors == [], path


def test_import_creates_threats_with_ranges_versions_and_aliases():
    output = import_osv(RECORDS)
    assert ("4 created, 0 updated, 0 unchanged, 0 withdrawn, 1 not malicious-package records, "
            "1 other ecosystems, 0 invalid") in output
    loader = Threat.objects.get(osv_id="MAL-2025-2002")
    assert loader.aliases == ["MAL-2025-2002"] and loader.summary == "Malicious code in @scope/evil-loader (npm)"
    assert loader.first_seen.isoformat() == "2025-03-01T09:30:00+00:00"
    assert loader.extra_references == ["https://github.com/scope/evil-loader/issues/12"]

    def basis(ecosystem, name, version=None):
        return [(m.reference, m.basis) for m in threats_for_package(ecosystem=ecosystem, name=name, version=version)]

    assert basis("npm", "@scope/evil-loader", "2.1.5") == [(loader.reference, "range")]
    assert basis("npm", "@scope/evil-loader", "2.2.0") == []
    assert basis("npm", "@scope/evil-loader", "3.0.0-rc.2") == [(loader.reference, "range")]
    assert basis("npm", "@scope/evil-loader", "3.0.1") == []
    colourama = Threat.objects.get(osv_id="MAL-2022-4001")
    assert colourama.aliases == ["MAL-2022-4001", "GHSA-hh5x-9m4q-33v7"]
    assert basis("pypi", "Colourama", "0.1.7") == [(colourama.reference, "version")]
    assert basis("pypi", "reqeusts", "9.9") == [(Threat.objects.get(osv_id="MAL-2024-1001").reference, "range")]
    assert not Threat.objects.filter(osv_id__in=["PYSEC-2023-74", "MAL-2024-3003"]).exists()


def test_reimport_is_idempotent_and_follows_modified(tmp_path):
    import_osv(RECORDS)
    before = {t.osv_id: (t.reference, t.updated_at) for t in Threat.objects.all()}
    assert "0 created, 0 updated, 4 unchanged" in import_osv(RECORDS)
    assert {t.osv_id: (t.reference, t.updated_at) for t in Threat.objects.all()} == before
    path = RECORDS / "osv/malicious/npm/flatmap-stream/MAL-2018-0001.json"
    tree = bump(path, tmp_path, modified="2025-01-01T00:00:00Z", summary="Malicious code in flatmap-stream (npm), v2")
    assert "0 created, 1 updated, 3 unchanged" in import_osv(tree)
    threat = Threat.objects.get(osv_id="MAL-2018-0001")
    assert threat.reference == before["MAL-2018-0001"][0] and threat.summary.endswith("v2")
    # Both the import and the re-import are in the threat's audit trail, with the old and new summary.
    reasons = [r.history_change_reason for r in threat.history.order_by("history_id")]
    assert reasons[0] == "Imported from OSV MAL-2018-0001."
    assert "Re-imported from OSV MAL-2018-0001 (modified 2025-01-01T00:00:00Z)." in reasons


def test_withdrawn_records_withdraw_the_threat(tmp_path):
    import_osv(RECORDS)
    path = RECORDS / "osv/malicious/pypi/colourama/MAL-2022-4001.json"
    tree = bump(path, tmp_path, modified="2025-02-02T00:00:00Z", withdrawn="2025-02-02T00:00:00Z")
    assert "1 withdrawn" in import_osv(tree)
    threat = Threat.objects.get(osv_id="MAL-2022-4001")
    assert threat.withdrawn_at is not None
    [match] = threats_for_package(ecosystem="pypi", name="colourama", version="0.1.6")
    assert match.withdrawn and not match.confirmed


def test_analyst_curated_fields_survive_an_import(tmp_path):
    import_osv(RECORDS)
    threat = Threat.objects.get(osv_id="MAL-2025-2002")
    threat.summary = "Steals npm tokens in postinstall (analyst wording)"
    threat.curated_fields = ["summary", "affected"]
    threat.save()
    from intel.services import threat_affected_replace

    threat_affected_replace(threat=threat, versions=[("npm", "@scope/evil-loader", "2.1.0")])
    path = RECORDS / "osv/malicious/npm/@scope/evil-loader/MAL-2025-2002.json"
    tree = bump(path, tmp_path, modified="2025-09-09T00:00:00Z", summary="Upstream wording",
                details="Upstream details")
    assert "1 updated" in import_osv(tree)
    threat.refresh_from_db()
    assert threat.summary == "Steals npm tokens in postinstall (analyst wording)"
    assert threat.description == "Upstream details"  # not curated: follows the source
    assert threat.ranges.count() == 0 and list(threat.package_versions.values_list("version", flat=True)) == ["2.1.0"]


def test_invalid_records_are_reported_by_file_and_nothing_of_them_is_stored(tmp_path):
    tree = tmp_path / "mixed"
    shutil.copytree(RECORDS, tree)
    shutil.copytree(FIXTURES / "invalid", tree / "invalid")
    output = import_osv(tree)
    assert "4 created" in output and "3 invalid" in output
    assert "invalid: invalid/MAL-2025-9001.json: " in output and "SemVer" in output
    assert "invalid: invalid/MAL-2025-9002.json: modified is not an RFC 3339 time" in output
    assert "invalid: invalid/MAL-2025-9003.json: not JSON" in output
    assert not Threat.objects.filter(osv_id__startswith="MAL-2025-90").exists()
    assert Threat.objects.count() == 4


def _zip_of(root: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(root.rglob("*.json")):
            archive.write(path, path.name)
    return buffer.getvalue()


def test_zip_file_and_https_url_sources(tmp_path, settings):
    archive = tmp_path / "all.zip"
    archive.write_bytes(_zip_of(RECORDS / "osv" / "malicious" / "npm"))
    assert "2 created" in import_osv(archive)
    with FakeWeb({"/npm/all.zip": (200, _zip_of(RECORDS / "osv" / "malicious" / "pypi"), {})}) as web:
        with pytest.raises(CommandError, match="import_osv"):
            import_osv(web.url + "/npm/all.zip")  # loopback is refused by the guarded client
        settings.SIGIL_OUTBOUND_ALLOWLIST = [web.hostport]
        assert "2 created" in import_osv(web.url + "/npm/all.zip")
        with pytest.raises(CommandError, match="HTTP 404"):
            import_osv(web.url + "/missing.zip")
    with pytest.raises(CommandError, match="no such directory"):
        import_osv(tmp_path / "nope")
    (tmp_path / "not.zip").write_bytes(b"PK but not really")
    with pytest.raises(CommandError, match="not a zip"):
        import_osv(tmp_path / "not.zip")


def test_beat_job_is_off_by_default_and_imports_the_configured_source(settings):
    assert settings.SIGIL_OSV_IMPORT_URL == ""
    assert osv_import_scheduled() == "off"
    settings.SIGIL_OSV_IMPORT_URL = str(RECORDS)
    assert osv_import_scheduled().startswith("4 created")


# ---------------------------------------------------------------------------------------- export

def test_one_threat_as_an_osv_record(client):
    import_osv(RECORDS)
    threat = Threat.objects.get(osv_id="MAL-2025-2002")
    threat.extra_references = []
    threat.save()
    reported = make_threat(severity="high", category="backdoor", description="Backdoor in postinstall.\nMore.",
                           versions=[("pypi", "evil-pkg", "1.0")], content_hash="sha256:" + "c" * 64, withdrawn=True)
    response = client.get(f"/v1/osv/{threat.reference}")
    assert response.status_code == 200
    record = response.json()
    assert list(VALIDATOR.iter_errors(record)) == []
    assert record["id"] == threat.reference and record["aliases"] == ["MAL-2025-2002"]
    assert record["affected"] == [{
        "package": {"ecosystem": "npm", "name": "@scope/evil-loader", "purl": "pkg:npm/%40scope/evil-loader"},
        "ranges": [{"type": "SEMVER", "events": [{"introduced": "2.1.0"}, {"fixed": "2.2.0"}]},
                   {"type": "SEMVER", "events": [{"introduced": "3.0.0-rc.1"}, {"last_affected": "3.0.0"}]}],
    }]
    assert record["database_specific"] == {"severity": "critical", "category": "other", "reports_count": 0,
                                           "recommended_action": "reject"}
    assert record["references"] == [{"type": "REPORT", "url": f"http://localhost:8000/threats/{threat.reference}"}]
    assert record["published"] == "2025-03-01T09:30:00Z" and "withdrawn" not in record
    other = client.get(f"/v1/osv/{reported.reference}").json()
    assert list(VALIDATOR.iter_errors(other)) == []
    assert other["summary"] == "Backdoor in postinstall." and other["withdrawn"].endswith("Z")
    assert other["affected"][0]["versions"] == ["1.0"] and other["affected"][0]["package"]["ecosystem"] == "PyPI"
    # Cached with ETag.
    etag = response["ETag"]
    assert client.get(f"/v1/osv/{threat.reference}", HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert client.get("/v1/osv/THR-2020-9999").status_code == 404


def test_all_zip_and_modified_id_csv_for_mirrors(client):
    import_osv(RECORDS)
    response = client.get("/v1/osv/all.zip")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as archive:
        names = sorted(archive.namelist())
        records = [json.loads(archive.read(name)) for name in names]
    threats = Threat.objects.order_by("reference")
    assert names == [f"{t.reference}.json" for t in threats]
    assert all(list(VALIDATOR.iter_errors(r)) == [] for r in records)
    etag = response["ETag"]
    assert client.get("/v1/osv/all.zip", HTTP_IF_NONE_MATCH=etag).status_code == 304

    csv = client.get("/v1/osv/modified_id.csv")
    assert csv.status_code == 200 and csv["ETag"] == etag
    lines = b"".join(csv.streaming_content).decode().splitlines()
    assert len(lines) == 4
    modified = [line.split(",")[0] for line in lines]
    assert modified == sorted(modified, reverse=True)
    assert {line.split(",")[1] for line in lines} == {t.reference for t in threats}
    # Any change moves the ETag, so a mirror fetches again.
    make_threat(versions=[("npm", "new-evil", "1.0.0")])
    assert client.get("/v1/osv/modified_id.csv", HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_exported_records_import_back(client, tmp_path):
    """Sigil's own export is a valid source for another Sigil (or any OSV consumer)."""
    make_threat(versions=[("npm", "exported-evil", "1.0.0")], aliases=["MAL-2026-0042"])
    response = client.get("/v1/osv/all.zip")
    (tmp_path / "sigil.zip").write_bytes(b"".join(response.streaming_content))
    Threat.objects.all().delete()
    assert "1 created" in import_osv(tmp_path / "sigil.zip")
    assert [m.basis for m in threats_for_package(ecosystem="npm", name="exported-evil", version="1.0.0")] == ["version"]
