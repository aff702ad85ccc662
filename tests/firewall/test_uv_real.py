"""The real uv (`uv pip install`, installed from PyPI into the test venv by requirements.txt) against
the proxy on a live server, with the fake upstream on loopback. Every run is configured on its
command line and environment only: no uv.toml or pip.conf is read, the cache is a temporary folder."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from firewall.services import install_token_create, install_token_revoke
from marketplace.models import Verification
from tests.firewall.conftest import wheel_name
from tests.intel.factories import make_threat

pytestmark = pytest.mark.django_db(transaction=True)
UV = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")


@pytest.fixture
def token(alice):
    return install_token_create(user=alice, name="uv")[1]


def run_uv(live_url: str, token: str | None, *packages: str, tmp_path) -> subprocess.CompletedProcess:
    assert UV, "uv is pinned in requirements.txt"
    scheme, _, rest = live_url.partition("://")
    auth = f"__token__:{token}@" if token else ""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UV_", "PIP_"))}
    env.update({"HOME": str(tmp_path), "UV_NO_CONFIG": "1", "UV_CACHE_DIR": str(tmp_path / "uv-cache"),
                "XDG_CONFIG_HOME": str(tmp_path / "config"), "NO_COLOR": "1", "UV_HTTP_RETRIES": "0"})
    command = [UV, "pip", "install", "--python", sys.executable, "--target", str(tmp_path / "site"),
               "--index-url", f"{scheme}://{auth}{rest}/simple/", "--no-progress", *packages]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=180)


def _files_fetched(index) -> set[str]:
    return {r["path"] for r in index.requests if r["path"].startswith("/files/")}


def test_a_clean_tree_installs_through_the_proxy(live_server, index, token, tmp_path):
    result = run_uv(live_server.url, token, "app", tmp_path=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "site" / "app.py").exists() and "2.0" in (tmp_path / "site" / "helper.py").read_text()
    assert _files_fetched(index) == {"/files/app-1.0-py3-none-any.whl", "/files/helper-2.0-py3-none-any.whl"}
    assert Verification.objects.filter(status="verified").count() == 2  # each verified before it was served


def test_a_threatened_version_is_never_downloaded(live_server, index, token, tmp_path):
    make_threat(versions=[("pypi", "helper", "2.0")])
    result = run_uv(live_server.url, token, "helper", tmp_path=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1.0" in (tmp_path / "site" / "helper.py").read_text()  # the older, allowed version
    assert _files_fetched(index) == {f"/files/{wheel_name('helper', '1.0')}"}


def test_a_pinned_threatened_version_fails_naming_sigil_and_the_threat(live_server, index, token, tmp_path):
    threat = make_threat(versions=[("pypi", "helper", "2.0")])
    result = run_uv(live_server.url, token, "helper==2.0", tmp_path=tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode != 0 and "Blocked by Sigil" in output, output
    assert threat.reference in output, output
    assert not (tmp_path / "site" / "helper.py").exists()
    assert not _files_fetched(index)


def test_a_revoked_token_and_no_token_are_refused_with_401(live_server, index, alice, tmp_path):
    row, raw = install_token_create(user=alice)
    install_token_revoke(user=alice, public_id=row.public_id)
    for credential in (raw, None):
        result = run_uv(live_server.url, credential, "lonely", tmp_path=tmp_path)
        output = result.stdout + result.stderr
        assert result.returncode != 0 and "401" in output, output
    assert not _files_fetched(index)


def test_the_uv_toml_that_sigil_firewall_setup_writes_routes_uv_through_the_proxy(live_server, index, alice, tmp_path):
    from tests.cli.conftest import Sigil

    cli = Sigil(tmp_path / "home", live_server.url)
    cli.env_extra = {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    cli.login("alice@example.com")
    assert cli("firewall", "setup", "uv", "--write").returncode == 0
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UV_", "PIP_"))}
    env.update({"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config"), "NO_COLOR": "1",
                "UV_CACHE_DIR": str(tmp_path / "uv-cache"), "UV_HTTP_RETRIES": "0"})
    # No index on the command line: only the user-level uv.toml names one.
    result = subprocess.run([UV, "pip", "install", "--python", sys.executable, "--target", str(tmp_path / "site"),
                             "--no-progress", "-v", "lonely"], env=env, capture_output=True, text=True, timeout=180)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert str(tmp_path / "config" / "uv" / "uv.toml") in output  # uv says which configuration it read
    assert (tmp_path / "site" / "lonely.py").exists()
    assert _files_fetched(index) == {f"/files/{wheel_name('lonely', '1.0')}"}
    assert Verification.objects.filter(status="verified").count() == 1
