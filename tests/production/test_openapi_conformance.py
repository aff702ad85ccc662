"""Schemathesis against /v1/openapi.json on a live server: no 5xx, every response as documented."""
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import pytest
from django.core.management import call_command

from sigil.api.authentication import issue_access_token
from sigil.timefmt import isoformat_z
from tests.conftest import make_user
from tests.fakes.servers import FakeNpm, FakePyPI, make_targz, make_zip

OFFLINE = Path(__file__).resolve().parent / "offline"  # sitecustomize: no name off this machine resolves
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


def _schemathesis() -> str:
    beside_python = Path(sys.executable).with_name("schemathesis")
    return str(beside_python) if beside_python.exists() else shutil.which("schemathesis") or "schemathesis"


def _registries():
    npm = FakeNpm({"leftpad-ok": {"versions": {"1.0.0": make_targz({"index.js": "module.exports = 1;\n"},
                                                                    root="package")},
                                  "latest": "1.0.0", "npm_user": "padder", "maintainers": ["padder"]}})
    pypi = FakePyPI({"tidy": {"versions": {"1.0.0": {"tidy-1.0.0-py3-none-any.whl": make_zip({"tidy.py": "x = 1\n"})}},
                              "latest": "1.0.0", "owners": ["tidy-dev"]}})
    return npm, pypi


def _existing_objects_config(server, token: str, directory: Path) -> Path:
    """A scan, a verification and a publisher of the fuzzing user, so detail endpoints are not all 404."""
    scan = server.post("/v1/scan", {
        "quarantine_id": "fuzz-seed", "source_type": "npm", "source_ref": "leftpad-ok", "score": 0,
        "verdict": "clean", "phases": [{"phase": n, "name": name, "score": 0, "findings": []} for n, name in
                                       enumerate(["install_hooks", "code_patterns", "network_exfil", "credentials",
                                                  "obfuscation", "provenance"], start=1)],
    }, token=token)
    assert scan.status_code == 201, scan.text
    verification = server.post("/v1/verify", {"source_type": "npm", "source_ref": "leftpad-ok",
                                              "source_version": "1.0.0"}, token=token)
    assert verification.status_code == 200, verification.text
    assert verification.json()["publisher"] == "padder"
    config = directory / "schemathesis.toml"
    config.write_text(
        "[parameters]\n"
        f'"path.scan_id" = "{scan.json()["scan_id"]}"\n'
        f'"path.verification_id" = "{verification.json()["verification_id"]}"\n'
        '"path.id" = "padder"\n'  # GET /v1/publisher/{id}
    )
    return config


@pytest.mark.needs_services
def test_every_endpoint_answers_as_the_openapi_schema_says_under_fuzzing(live_server_factory, tmp_path):
    call_command("load_signature_pack", verbosity=0)
    token = issue_access_token(make_user("fuzzer@example.com", tier="team"))
    npm, pypi = _registries()
    with npm, pypi:
        server = live_server_factory(
            PYTHONPATH=OFFLINE,
            NPM_REGISTRY_URL=npm.url,
            PYPI_URL=pypi.url,
            SIGIL_OUTBOUND_ALLOWLIST=f"{npm.hostport},{pypi.hostport}",
            SIGIL_VERIFY_WAIT_SECONDS=5,
            # Anonymous endpoints (register, login) are fuzzed from one address: lift their limits.
            SIGIL_ANONYMOUS_PER_MINUTE=1_000_000,
            SIGIL_LOGIN_FAILURES_PER_EMAIL=1_000_000,
            SIGIL_LOGIN_FAILURES_PER_ADDRESS=1_000_000,
        )
        config = _existing_objects_config(server, token, tmp_path)
        result = subprocess.run(
            [_schemathesis(), "--config-file", str(config), "run", f"{server.url}/v1/openapi.json",
             "--header", f"Authorization: Bearer {token}",
             "--checks", CHECKS,
             "--max-examples", "15", "--seed", "1",
             # The team tier allows 600 requests a minute; stay under it so answers are not all 429.
             "--rate-limit", "580/m",
             "--request-timeout", "30", "--no-color"],
            capture_output=True, text=True, timeout=900,
        )
    output = result.stdout + result.stderr
    Path(tempfile.gettempdir(), "sigil-schemathesis.txt").write_text(output)  # for reading after a run
    assert result.returncode == 0, output[-30000:] + "\n--- server log ---\n" + server.log()[-5000:]
    assert "Tested:" in output  # the run really happened


def test_times_before_the_year_1000_keep_four_digit_years(db):
    # Found by schemathesis: GET /v1/signatures?since=0200-06-17T04:12:45Z echoed "200-06-17…",
    # which is not an RFC 3339 date-time.
    assert isoformat_z(datetime(200, 6, 17, 4, 12, 45, tzinfo=timezone.utc)) == "0200-06-17T04:12:45Z"
    assert isoformat_z(datetime(2026, 2, 15, 10, 30, 0, 999, tzinfo=timezone.utc)) == "2026-02-15T10:30:00Z"
