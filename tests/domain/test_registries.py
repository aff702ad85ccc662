"""The release file and digest both the CLI and the server take from registry metadata, and the fetch
flow they share (domain.registries.pypi_release / npm_release)."""
import base64
import hashlib

import pytest

from domain.registries import RegistryError, npm_expected_digest, npm_release, pypi_pick_file, pypi_release

SHA = "a" * 64


def _index(*files):
    return {"files": [{"filename": name, "url": name, "hashes": {"sha256": SHA}, **extra} for name, extra in files]}


def test_a_yanked_file_is_never_picked():
    index = _index(("tidy-1.0.0.tar.gz", {"yanked": "broken build"}), ("tidy-1.0.0-py3-none-any.whl", {"yanked": False}))
    assert pypi_pick_file(index, "tidy", "1.0.0")["filename"] == "tidy-1.0.0-py3-none-any.whl"


def test_only_yanked_files_means_nothing_to_fetch():
    assert pypi_pick_file(_index(("tidy-1.0.0.tar.gz", {"yanked": True})), "tidy", "1.0.0") is None


def test_the_sdist_comes_first_then_a_pure_python_wheel():
    index = _index(("Tidy_Pkg-1.0.0-cp311-cp311-manylinux_2_17_x86_64.whl", {}), ("tidy_pkg-1.0.0-py3-none-any.whl", {}),
                   ("tidy-pkg-1.0.0.tar.gz", {}), ("tidy-pkg-1.0.1.tar.gz", {}), ("other-1.0.0.tar.gz", {}))
    assert pypi_pick_file(index, "tidy.pkg", "1.0.0")["filename"] == "tidy-pkg-1.0.0.tar.gz"
    index["files"] = index["files"][:2]
    assert pypi_pick_file(index, "tidy.pkg", "1.0.0")["filename"] == "tidy_pkg-1.0.0-py3-none-any.whl"


def test_the_strongest_integrity_digest_is_the_one_checked():
    data = b"tarball"
    sri = " ".join(f"{algo}-{base64.b64encode(hashlib.new(algo, data).digest()).decode()}" for algo in ("sha256", "sha512"))
    assert npm_expected_digest({"integrity": sri, "shasum": "b" * 40}) == ("integrity", "sha512", hashlib.sha512(data).hexdigest())


@pytest.mark.parametrize("dist, expected", [
    ({"shasum": "B" * 40}, ("shasum", "sha1", "b" * 40)),
    ({"integrity": "md5-xxxx", "shasum": "b" * 40}, ("shasum", "sha1", "b" * 40)),
    ({"integrity": "sha512-not base64!"}, ("integrity", "sha512", "")),
    ({}, None),
])
def test_old_packages_fall_back_to_shasum_and_nothing_is_trusted_without_a_digest(dist, expected):
    assert npm_expected_digest(dist) == expected


class _Registry:
    """A transport over a dict of URL -> JSON document or file bytes (what a registry would serve)."""

    def __init__(self, answers: dict):
        self.answers, self.fetched = answers, []

    def json(self, url, *, what, headers=None):
        return self.answers[url]

    def download(self, url, *, filename, algorithm):
        self.fetched.append(url)
        return hashlib.new(algorithm, self.answers[url]).hexdigest()


def test_pypi_release_takes_the_latest_and_skips_a_yanked_file():
    data = b"wheel bytes"
    registry = _Registry({
        "https://pypi.test/pypi/tidy/json": {"info": {"version": "1.0.0"}},
        "https://pypi.test/simple/tidy/": {"files": [
            {"filename": "tidy-1.0.0.tar.gz", "url": "x.tar.gz", "hashes": {"sha256": SHA}, "yanked": True},
            {"filename": "tidy-1.0.0-py3-none-any.whl", "url": "../../files/t.whl",
             "hashes": {"sha256": hashlib.sha256(data).hexdigest()}}]},
        "https://pypi.test/files/t.whl": data,
    })
    release = pypi_release(registry, "https://pypi.test/", "Tidy")
    assert (release.version, release.filename, release.checked) == ("1.0.0", "tidy-1.0.0-py3-none-any.whl", "sha256 verified")
    assert registry.fetched == ["https://pypi.test/files/t.whl"]


def test_pypi_release_refuses_a_file_that_does_not_match_the_index():
    registry = _Registry({"https://pypi.test/simple/tidy/": _index(("tidy-1.0.0.tar.gz", {})),
                          "https://pypi.test/simple/tidy/tidy-1.0.0.tar.gz": b"other bytes"})
    with pytest.raises(RegistryError, match="sha256 mismatch: tidy-1.0.0.tar.gz"):
        pypi_release(registry, "https://pypi.test", "tidy", "1.0.0")


def test_npm_release_refuses_a_document_for_another_package_before_downloading():
    registry = _Registry({"https://npm.test/@acme%2Ftidy/latest": {
        "name": "@evil/tidy", "version": "1.0.0", "dist": {"tarball": "https://npm.test/t.tgz", "shasum": "a" * 40}}})
    with pytest.raises(RegistryError, match="answered for package @evil/tidy"):
        npm_release(registry, "https://npm.test", "@acme/tidy")
    assert registry.fetched == []
