"""Fetchers against the fake registries: the right file, its digest checked, the publisher read."""
import hashlib
import os

import pytest

from marketplace.registries import (
    FetchError,
    GitFetcher,
    InvalidReference,
    NpmRegistry,
    PackageNotFound,
    PyPIRegistry,
    TransientFetchError,
    UrlFetcher,
)
from scans.engine import tree_hash

from .conftest import leftpad_tgz, tidy_sdist


def test_pypi_takes_the_sdist_of_the_requested_version_and_checks_its_digest(fake_pypi):
    artifact = PyPIRegistry().fetch("Tidy", "1.0.0")
    assert artifact.filename == "tidy-1.0.0.tar.gz"
    assert artifact.version == "1.0.0"
    assert artifact.artifact_hash == "sha256:" + hashlib.sha256(tidy_sdist()).hexdigest()
    assert artifact.publisher == "Tidy-Dev"
    simple = [r for r in fake_pypi.requests if r["path"] == "/simple/tidy/"]
    assert simple and "application/vnd.pypi.simple.v1+json" in simple[0]["headers"]["accept"]
    assert not any(r["path"].startswith("/pypi/tidy/1.0.0") for r in fake_pypi.requests)


def test_pypi_without_version_takes_the_latest_and_falls_back_to_a_wheel(fake_pypi):
    artifact = PyPIRegistry().fetch("tidy", None)
    assert (artifact.version, artifact.filename) == ("1.1.0", "tidy-1.1.0-py3-none-any.whl")


def test_pypi_project_without_owners_has_an_unknown_publisher(fake_pypi):
    assert PyPIRegistry().fetch("orphan", None).publisher is None


def test_pypi_digest_mismatch_is_refused(fake_pypi):
    fake_pypi.bad_digest.add("tidy-1.0.0.tar.gz")
    with pytest.raises(FetchError, match="sha256"):
        PyPIRegistry().fetch("tidy", "1.0.0")


@pytest.mark.parametrize("name, version", [("no-such-project", None), ("tidy", "9.9.9")])
def test_pypi_unknown_project_or_version_is_not_found(fake_pypi, name, version):
    with pytest.raises(PackageNotFound):
        PyPIRegistry().fetch(name, version)


def test_registry_that_is_down_is_a_transient_error(fake_pypi):
    fake_pypi.status_override = 503
    with pytest.raises(TransientFetchError):
        PyPIRegistry().fetch("tidy", "1.0.0")


def test_npm_checks_integrity_and_reads_npm_user(fake_npm):
    artifact = NpmRegistry().fetch("leftpad-ok", "1.0.0")
    assert artifact.artifact_hash == "sha256:" + hashlib.sha256(leftpad_tgz("1.0.0")).hexdigest()
    assert (artifact.version, artifact.publisher) == ("1.0.0", "padder")
    assert NpmRegistry().fetch("leftpad-ok", None).version == "1.2.0"


def test_npm_without_npm_user_or_maintainers_has_unknown_publisher_not_the_author(fake_npm):
    assert NpmRegistry().fetch("evil-pkg", None).publisher is None


def test_npm_integrity_mismatch_is_refused(fake_npm):
    fake_npm.bad_integrity.add(("leftpad-ok", "1.0.0"))
    with pytest.raises(FetchError, match="integrity"):
        NpmRegistry().fetch("leftpad-ok", "1.0.0")


def test_npm_unknown_version_is_not_found(fake_npm):
    with pytest.raises(PackageNotFound):
        NpmRegistry().fetch("leftpad-ok", "3.0.0")


def test_git_shallow_clone_hashes_the_tree(fake_git):
    artifact = GitFetcher().fetch(fake_git.repo_url("acme/tool"), None)
    try:
        assert artifact.artifact_hash == tree_hash(artifact.directory)
        assert len(artifact.version) == 40
        assert sorted(os.listdir(artifact.directory)) == [".git", "README.md", "src"]
        shallow = os.path.join(artifact.directory, ".git", "shallow")
        assert os.path.exists(shallow)
    finally:
        artifact.cleanup()
    assert not os.path.exists(artifact.directory)


def test_git_clone_of_a_tag_and_of_a_missing_ref(fake_git):
    artifact = GitFetcher().fetch(fake_git.repo_url("acme/tool"), "v1")
    artifact.cleanup()
    with pytest.raises(PackageNotFound):
        GitFetcher().fetch(fake_git.repo_url("acme/tool"), "no-such-branch")


def test_git_refs_that_look_like_options_are_refused(fake_git):
    with pytest.raises(InvalidReference):
        GitFetcher().fetch(fake_git.repo_url("acme/tool"), "--upload-pack=touch /tmp/pwned")


def test_url_fetcher_downloads_within_the_size_cap(web, settings):
    web.routes["/pkg.tgz"] = (200, leftpad_tgz(), {})
    artifact = UrlFetcher().fetch(f"{web.url}/pkg.tgz", None)
    assert artifact.filename == "pkg.tgz"
    settings.SIGIL_VERIFY_MAX_ARTIFACT_BYTES = 100
    with pytest.raises(FetchError, match="over 100 bytes"):
        UrlFetcher().fetch(f"{web.url}/pkg.tgz", None)
