"""`sigil audit` as a subprocess against a live server: lockfiles and SBOMs checked through POST /v1/lookup."""
import hashlib
import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from marketplace.models import Verification
from tests.intel.factories import make_threat

pytestmark = pytest.mark.django_db(transaction=True)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "lockfiles"
EVIL_WHEEL = "sha256:" + hashlib.sha256(b"evil-wheel").hexdigest()


@pytest.fixture
def threats(alice):
    now = timezone.now()
    Verification.objects.create(owner=alice, source_type="npm", source_ref="left-pad", source_version="1.3.0",
                                status="failed", verdict="high", verified_at=now, expires_at=now + timedelta(days=30))
    return {
        "flatmap": make_threat(severity="critical", category="credential_exfiltration",
                               ranges=[{"ecosystem": "npm", "name": "flatmap-stream", "introduced": "0"}]),
        "event-stream": make_threat(severity="high", category="backdoor", versions=[("npm", "event-stream", "3.3.6")]),
        "evil-pkg": make_threat(severity="critical", category="data_exfiltration", versions=[("pypi", "evil_pkg", "1.0")],
                                artifact_hashes=[EVIL_WHEEL]),
        "reqeusts": make_threat(severity="high", category="typosquat",
                                ranges=[{"ecosystem": "pypi", "name": "reqeusts", "introduced": "0"}]),
        "colourama": make_threat(severity="high", category="typosquat", versions=[("pypi", "colourama", "0.1.6")]),
        "evil-loader": make_threat(severity="high", category="install_hook_abuse",
                                   ranges=[{"ecosystem": "npm", "name": "@scope/evil-loader", "range_type": "SEMVER",
                                            "introduced": "2.1.0", "fixed": "2.2.0"}]),
    }


@pytest.fixture
def logged_in(sigil, alice):
    sigil.login("alice@example.com")
    return sigil


def test_table_names_malicious_packages_with_why_and_threat_page(logged_in, threats):
    proc = logged_in("audit", FIXTURES / "npm-v3")
    assert proc.returncode == 2, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split()[:5] == ["PACKAGE", "VERSION", "STATUS", "WHY", "THREAT"]
    flatmap = next(line for line in lines if "npm:flatmap-stream" in line)
    assert "MALICIOUS" in flatmap and "version in affected range (critical, credential_exfiltration)" in flatmap
    assert flatmap.rstrip().endswith(f"/threats/{threats['flatmap'].reference}")
    event_stream = next(line for line in lines if "npm:event-stream" in line)
    assert "version listed (high, backdoor)" in event_stream
    assert "failed verification" in next(line for line in lines if "npm:left-pad" in line)
    assert "4 dependencies in 1 file(s): 2 malicious, 1 failed verification, 0 verified, 1 unknown, 0 not pinned" in proc.stdout


def test_requirements_pins_hashes_and_unpinned_lines(logged_in, threats):
    proc = logged_in("audit", FIXTURES / "requirements")
    assert proc.returncode == 2, proc.stderr
    assert "MALICIOUS" in next(line for line in proc.stdout.splitlines() if "pypi:colourama" in line)
    unpinned = [line for line in proc.stdout.splitlines() if "not pinned, not checked" in line]
    assert {line.split()[0] for line in unpinned} == {"pypi:pytest", "pypi:black", "pypi:./tools/linter", "pypi:django"}
    assert any("requirements-dev.txt:1" in line for line in unpinned)


def test_only_unpinned_warnings_exit_1_and_nothing_is_resolved(logged_in, threats):
    proc = logged_in("audit", FIXTURES / "requirements" / "requirements-dev.txt")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "0 malicious" in proc.stdout and "4 not pinned" in proc.stdout


def test_clean_lockfile_exits_0(logged_in, threats):
    proc = logged_in("audit", FIXTURES / "shrinkwrap" / "npm-shrinkwrap.json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 dependencies in 1 file(s): 0 malicious" in proc.stdout


def test_json_covers_every_format(logged_in, threats):
    proc, body = logged_in.json("audit", FIXTURES, "--json")
    assert proc.returncode == 2
    assert body["summary"]["files"] == 15 and body["errors"] == []
    malicious = {(Path(d["file"]).parent.name, d["name"], d["version"], d["match"])
                 for d in body["dependencies"] if d["status"] == "malicious"}
    assert malicious == {
        ("npm-v3", "flatmap-stream", "0.1.1", "range"), ("npm-v3", "event-stream", "3.3.6", "version"),
        ("poetry", "evil-pkg", "1.0.0", "artifact_hash"),  # hash and version both match: the hash wins
        ("pylock", "evil-pkg", "0.9.0", "artifact_hash"),  # version not listed, wheel hash known
        ("pipenv", "evil-pkg", "1.0", "version"),
        ("uv", "reqeusts", "2.28.1", "range"),
        ("requirements", "colourama", "0.1.6", "version"),
        ("yarn-berry", "@scope/evil-loader", "2.1.0", "range"),
        ("sbom", "@scope/evil-loader", "2.1.0", "range"),
        ("sbom", "evil-pkg", "1.0.0", "version"),
    }
    # 2.0.5 is below the range's introduced 2.1.0: checked, not malicious.
    loader = next(d for d in body["dependencies"] if d["file"].endswith("pnpm-v9/pnpm-lock.yaml") and "loader" in d["name"])
    assert loader["status"] == "unknown" and loader["threats"] == []


def test_sarif_locations_are_lockfile_lines(logged_in, threats):
    proc, sarif = logged_in.json("audit", FIXTURES / "npm-v3", FIXTURES / "yarn-classic", "--sarif")
    assert proc.returncode == 2
    assert sarif["version"] == "2.1.0"
    run = sarif["runs"][0]
    rules = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    by_package = {r["properties"]["package"]: r for r in run["results"]}
    flatmap = by_package["flatmap-stream"]
    assert rules[flatmap["ruleIndex"]] == flatmap["ruleId"] == "sigil-audit/malicious" and flatmap["level"] == "error"
    location = flatmap["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"].endswith("npm-v3/package-lock.json")
    assert location["region"]["startLine"] == 30
    fork = by_package["my-fork"]
    assert fork["ruleId"] == "sigil-audit/not-pinned" and fork["locations"][0]["physicalLocation"]["region"]["startLine"] == 22
    assert by_package["left-pad"]["ruleId"] == "sigil-audit/failed-verification"


def test_batches_of_a_thousand(logged_in, threats, tmp_path):
    lines = [f"pkg-{n}=={n % 7}.0.{n % 13}" for n in range(1500)] + ["colourama==0.1.6"]
    (tmp_path / "requirements.txt").write_text("\n".join(lines) + "\n")
    proc, body = logged_in.json("audit", tmp_path, "--json")
    assert proc.returncode == 2, proc.stderr
    assert body["summary"]["dependencies"] == 1501 and body["summary"]["unknown"] == 1500
    assert body["summary"]["malicious"] == 1


def test_unreadable_file_is_an_error_exit_3(logged_in, threats, tmp_path):
    (tmp_path / "package-lock.json").write_text("{broken")
    proc = logged_in("audit", tmp_path)
    assert proc.returncode == 3
    assert "package-lock.json: not valid JSON" in proc.stdout


def test_not_logged_in_is_exit_3(sigil, alice):
    proc = sigil("audit", FIXTURES / "npm-v3")
    assert proc.returncode == 3
    assert "not logged in" in proc.stderr


def test_nothing_to_audit_is_exit_3(logged_in, tmp_path):
    proc = logged_in("audit", tmp_path)
    assert proc.returncode == 3
    assert "no lockfile or SBOM found" in proc.stdout
