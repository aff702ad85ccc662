"""`sigil firewall token|setup` and `sigil pip|npm install`, the real CLI against a live server."""
import os
import stat

import pytest

from firewall.models import InstallToken
from tests.cli.conftest import Sigil
from tests.firewall.test_npm_real import registry  # noqa: F401  (the fake npm registry fixture)
from tests.intel.factories import make_threat

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sigil(live_server, alice, tmp_path):
    cli = Sigil(tmp_path / "home", live_server.url)
    cli.env_extra = {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config"),
                     "PIP_CONFIG_FILE": os.devnull, "PIP_NO_CACHE_DIR": "1", "PIP_RETRIES": "0"}
    cli.login("alice@example.com")
    return cli


def test_tokens_from_the_cli(sigil, alice):
    created = sigil("firewall", "token", "create", "--name", "laptop", "--save")
    assert created.returncode == 0, created.stderr
    token = created.stdout.splitlines()[1].strip()
    assert token.startswith("sigil_it_") and InstallToken.objects.get(user=alice).name == "laptop"
    token_id = InstallToken.objects.get(user=alice).public_id
    listed = sigil("firewall", "token", "list")
    assert token_id in listed.stdout and "active" in listed.stdout and token not in listed.stdout
    assert sigil("firewall", "token", "revoke", token_id).returncode == 0
    assert "revoked" in sigil("firewall", "token", "list").stdout


def test_sigil_pip_install_goes_through_the_firewall_and_exits_2_on_a_block(sigil, index, tmp_path):
    site = tmp_path / "site"
    result = sigil("pip", "install", "--target", str(site), "lonely")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (site / "lonely.py").exists()
    assert [r for r in index.requests if r["path"] == "/files/lonely-1.0-py3-none-any.whl"]
    threat = make_threat(versions=[("pypi", "helper", "2.0")])
    result = sigil("pip", "download", "-d", str(tmp_path / "dl"), "helper==2.0")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "sigil: the firewall blocked:" in result.stdout and threat.reference in result.stdout
    assert not (tmp_path / "dl").exists() or not list((tmp_path / "dl").iterdir())


def test_sigil_npm_install_exits_2_on_a_block(sigil, registry, tmp_path):  # noqa: F811
    threat = make_threat(versions=[("npm", "dep-js", "1.1.0")])
    project = tmp_path / "project"
    project.mkdir()
    (project / "package.json").write_text('{"name": "t", "version": "1.0.0", "private": true}')
    result = sigil("npm", "install", "--prefix", str(project), "--no-audit", "--no-fund",
                   "--cache", str(tmp_path / "npm-cache"), "dep-js@1.1.0")
    assert result.returncode == 2, result.stdout + result.stderr
    assert threat.reference in result.stdout
    result = sigil("npm", "install", "--prefix", str(project), "--no-audit", "--no-fund",
                   "--cache", str(tmp_path / "npm-cache"), "dep-js")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (project / "node_modules" / "dep-js").exists()


def test_setup_prints_and_writes_user_configuration(sigil, live_server, tmp_path):
    printed = sigil("firewall", "setup", "pip")
    assert printed.returncode == 0 and "index-url = http://__token__:sigil_it_" in printed.stdout
    assert f"{live_server.url.split('://')[1]}/simple/" in printed.stdout
    assert sigil("firewall", "setup", "pip", "--write").returncode == 0
    pip_conf = tmp_path / "config" / "pip" / "pip.conf"
    assert "index-url = http://__token__:sigil_it_" in pip_conf.read_text()
    assert stat.S_IMODE(pip_conf.stat().st_mode) == 0o600
    (tmp_path / ".npmrc").write_text("registry=https://registry.npmjs.org/\nfund=false\n")
    assert sigil("firewall", "setup", "npm", "--write").returncode == 0
    npmrc = (tmp_path / ".npmrc").read_text()
    assert "registry=https://registry.npmjs.org/" not in npmrc and "fund=false" in npmrc
    assert f"registry={live_server.url}/npm/" in npmrc and "/npm/:_authToken=sigil_it_" in npmrc
    assert sigil("firewall", "setup", "uv", "--write").returncode == 0
    assert 'url = "http://__token__:sigil_it_' in (tmp_path / "config" / "uv" / "uv.toml").read_text()
    poetry = sigil("firewall", "setup", "poetry")
    assert "poetry source add --priority=primary sigil" in poetry.stdout and "http-basic.sigil __token__" in poetry.stdout
    # One install token, created once and reused by every command.
    assert len({line for line in [printed.stdout, poetry.stdout] if "sigil_it_" in line}) == 2


def test_setup_pip_warns_about_other_package_sources_pip_would_merge(sigil):
    # pip merges index and find-links settings from every config file and PIP_* variable.
    mirror = sigil("firewall", "setup", "pip", env={"PIP_EXTRA_INDEX_URL": "https://mirror.example/simple",
                                                    "PIP_FIND_LINKS": ""})
    assert mirror.returncode == 0, mirror.stderr
    assert ("warning: pip also reads :env:.extra-index-url=https://mirror.example/simple (a global or site "
            "pip.conf, or a PIP_* variable); packages from there bypass the Sigil firewall") in mirror.stdout
    clean = sigil("firewall", "setup", "pip", env={"PIP_FIND_LINKS": "", "PIP_EXTRA_INDEX_URL": ""})
    assert clean.returncode == 0 and "warning" not in clean.stdout, clean.stdout
