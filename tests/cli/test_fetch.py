"""--pip, --npm, --git and --url fetch from fake registries on loopback; nothing they contain runs."""

import hashlib

import pytest

from scans.engine import tree_hash
from tests.cli.conftest import EVIL_NPM_PACKAGE, quarantine_ids
from tests.fakes.servers import FakeGit, FakeNpm, FakePyPI, FakeWeb, make_targz, make_zip


def _sdist_that_writes(marker):
    return make_targz({
        "setup.py": f"open({str(marker)!r}, 'w').write('setup.py ran')\nfrom setuptools import setup\nsetup(name='tidy')\n",
        "PKG-INFO": "Metadata-Version: 2.1\nName: tidy\nVersion: 1.0.0\n",
        "tidy/__init__.py": "def add(a, b):\n    return a + b\n",
    }, root="tidy-1.0.0")


@pytest.fixture
def pypi(tmp_path):
    marker = tmp_path / "setup-ran"
    sdist = _sdist_that_writes(marker)
    wheel = make_zip({"tidy/__init__.py": "x = 1\n", "tidy-1.0.0.dist-info/METADATA": "Name: tidy\n"})
    old = make_targz({"tidy/__init__.py": "x = 0\n"}, root="tidy-0.9.0")
    projects = {"tidy": {"versions": {"1.0.0": {"tidy-1.0.0.tar.gz": sdist, "tidy-1.0.0-py3-none-any.whl": wheel},
                                      "0.9.0": {"tidy-0.9.0.tar.gz": old}},
                         "latest": "1.0.0", "owners": ["alice"]}}
    with FakePyPI(projects) as server:
        server.marker = marker
        server.sdist = sdist
        yield server


@pytest.fixture
def npm():
    evil = make_targz(EVIL_NPM_PACKAGE, root="package")
    clean = make_targz({"package.json": '{"name": "@acme/tidy", "version": "2.0.0"}\n', "index.js": "module.exports = 1;\n"},
                       root="package")
    packages = {"evil-pkg": {"versions": {"1.0.0": evil}, "latest": "1.0.0"},
                "@acme/tidy": {"versions": {"2.0.0": clean}, "latest": "2.0.0"}}
    with FakeNpm(packages) as server:
        server.evil = evil
        yield server


def test_pip_fetches_the_sdist_verifies_its_sha256_and_never_runs_setup_py(offline_sigil, pypi):
    offline_sigil.env_extra["SIGIL_PYPI_URL"] = pypi.url

    proc, body = offline_sigil.json("scan", "--pip", "tidy==1.0.0", "--json")

    assert proc.returncode in (0, 1, 2), proc.stderr
    assert body["source_type"] == "pip"
    assert body["source_ref"] == "tidy==1.0.0"
    assert body["source_hash"] == "sha256:" + hashlib.sha256(pypi.sdist).hexdigest()
    assert not pypi.marker.exists()
    downloaded = [r["path"] for r in pypi.requests if r["path"].startswith("/files/")]
    assert downloaded == ["/files/tidy-1.0.0.tar.gz"]  # the sdist, not the wheel
    content = offline_sigil.home / "quarantine" / body["quarantine_id"] / "content"
    assert (content / "tidy-1.0.0.tar.gz").read_bytes() == pypi.sdist  # stored as downloaded


def test_pip_without_a_version_takes_the_latest_from_the_project_json(offline_sigil, pypi):
    offline_sigil.env_extra["SIGIL_PYPI_URL"] = pypi.url

    proc, body = offline_sigil.json("scan", "--pip", "tidy", "--json")

    assert body["source_ref"] == "tidy==1.0.0"
    assert any(r["path"] == "/pypi/tidy/json" for r in pypi.requests)
    assert any(r["headers"].get("accept") == "application/vnd.pypi.simple.v1+json" for r in pypi.requests)


def test_pip_refuses_a_download_whose_sha256_does_not_match(offline_sigil, pypi):
    offline_sigil.env_extra["SIGIL_PYPI_URL"] = pypi.url
    pypi.bad_digest.add("tidy-1.0.0.tar.gz")

    proc = offline_sigil("scan", "--pip", "tidy==1.0.0")

    assert proc.returncode == 3
    assert "sha256 mismatch" in proc.stderr
    assert quarantine_ids(offline_sigil.home) == []


def test_pip_names_an_unknown_version(offline_sigil, pypi):
    offline_sigil.env_extra["SIGIL_PYPI_URL"] = pypi.url

    proc = offline_sigil("scan", "--pip", "tidy==9.9.9")

    assert proc.returncode == 3
    assert "no sdist or wheel of tidy==9.9.9" in proc.stderr


def test_npm_fetches_the_tarball_checks_integrity_and_flags_the_postinstall(offline_sigil, npm):
    offline_sigil.env_extra["SIGIL_NPM_REGISTRY_URL"] = npm.url

    proc = offline_sigil("scan", "--npm", "evil-pkg@1.0.0")

    assert proc.returncode == 2, proc.stderr
    assert "package.json:5" in proc.stdout
    assert "sha512 integrity verified" in proc.stdout
    assert [r["path"] for r in npm.requests][0] == "/evil-pkg/1.0.0"


def test_npm_scoped_packages_and_latest_resolve(offline_sigil, npm):
    offline_sigil.env_extra["SIGIL_NPM_REGISTRY_URL"] = npm.url

    proc, body = offline_sigil.json("scan", "--npm", "@acme/tidy", "--json")

    assert proc.returncode == 0, proc.stderr
    assert body["source_ref"] == "@acme/tidy@2.0.0"
    assert npm.requests[0]["path"] == "/@acme%2Ftidy/latest"


def test_npm_refuses_a_tarball_that_does_not_match_its_integrity(offline_sigil, npm):
    offline_sigil.env_extra["SIGIL_NPM_REGISTRY_URL"] = npm.url
    npm.bad_integrity.add(("evil-pkg", "1.0.0"))

    proc = offline_sigil("scan", "--npm", "evil-pkg@1.0.0")

    assert proc.returncode == 3
    assert "does not match dist.integrity" in proc.stderr
    assert quarantine_ids(offline_sigil.home) == []


def test_url_downloads_an_archive_and_scans_it(offline_sigil, npm):
    with FakeWeb({"/evil.tgz": (200, npm.evil, {})}) as web:
        proc, body = offline_sigil.json("scan", "--url", f"{web.url}/evil.tgz", "--json")

    assert proc.returncode == 2
    assert body["source_type"] == "url"
    assert body["source_hash"] == "sha256:" + hashlib.sha256(npm.evil).hexdigest()


def test_url_downloads_stop_at_the_size_cap(offline_sigil, npm):
    offline_sigil.env_extra["SIGIL_MAX_DOWNLOAD_BYTES"] = "100"
    with FakeWeb({"/evil.tgz": (200, npm.evil, {})}) as web:
        proc = offline_sigil("scan", "--url", f"{web.url}/evil.tgz")

    assert proc.returncode == 3
    assert "cap" in proc.stderr
    assert quarantine_ids(offline_sigil.home) == []


def test_git_clones_shallow_and_hashes_the_tree_like_the_server(offline_sigil, tmp_path):
    files = {"package.json": '{"name": "tidy-repo", "version": "1.0.0"}\n', "index.js": "module.exports = 1;\n"}
    with FakeGit({"someone/tidy-repo": files}) as git:
        proc, body = offline_sigil.json("scan", "--git", git.repo_url("someone/tidy-repo"), "--json")

    assert proc.returncode == 0, proc.stderr
    assert body["source_type"] == "git"
    assert body["quarantine_id"].endswith("_tidy_repo")
    checkout = offline_sigil.home / "quarantine" / body["quarantine_id"] / "content" / "repo"
    assert (checkout / ".git" / "shallow").is_file()
    assert body["source_hash"] == tree_hash(checkout)


@pytest.mark.parametrize("url", [
    "file:///etc",
    "ext::sh -c touch% {marker}",
    "--upload-pack=touch {marker}",
    "/etc",
])
def test_git_refuses_local_ext_and_option_urls(offline_sigil, tmp_path, url):
    marker = tmp_path / "pwned"

    proc = offline_sigil("scan", f"--git={url.format(marker=marker)}")

    assert proc.returncode == 3
    assert "refusing git URL" in proc.stderr, proc.stderr
    assert not marker.exists()
    assert quarantine_ids(offline_sigil.home) == []


def test_pip_takes_a_wheel_when_there_is_no_sdist(offline_sigil):
    wheel = make_zip({"solo/__init__.py": "x = 1\n", "solo-2.0.dist-info/METADATA": "Name: solo\n"})
    with FakePyPI({"solo": {"versions": {"2.0": {"solo-2.0-py3-none-any.whl": wheel}}, "latest": "2.0"}}) as pypi:
        offline_sigil.env_extra["SIGIL_PYPI_URL"] = pypi.url
        proc, body = offline_sigil.json("scan", "--pip", "Solo==2.0", "--json")

    assert proc.returncode == 0, proc.stderr
    assert body["source_hash"] == "sha256:" + hashlib.sha256(wheel).hexdigest()
    assert [r["path"] for r in pypi.requests if r["path"].startswith("/files/")] == ["/files/solo-2.0-py3-none-any.whl"]


def test_diff_fetches_both_releases_into_quarantine_and_shows_the_release_risk(offline_sigil):
    from tests.fakes.releases import npm_release_pair

    with FakeNpm(npm_release_pair()) as registry:
        offline_sigil.env_extra["SIGIL_NPM_REGISTRY_URL"] = registry.url
        proc = offline_sigil("diff", "padkit@2.0.0", "padkit@2.0.1")
        json_proc, body = offline_sigil.json("diff", "padkit@2.0.0", "padkit@2.0.1", "--json")

    assert proc.returncode == 1, proc.stderr
    assert "install hook added: postinstall: node hook.js" in proc.stdout
    assert "new dependency: pad-helper 1.0.0" in proc.stdout and "new domain: collect.example.net" in proc.stdout
    assert "new binary: prebuilds/pad.node" in proc.stdout and "release risk: +20" in proc.stdout
    assert json_proc.returncode == 1
    assert {s["signal"] for s in body["release_risk"]["signals"]} == {"install_hook", "install_network"}
    assert body["previous_version"] == "2.0.0" and len(body["quarantine_ids"]) == 2
    assert set(body["quarantine_ids"]) <= set(quarantine_ids(offline_sigil.home))
