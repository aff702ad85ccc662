"""The release file and digest both the CLI and the server take from registry metadata."""
import base64
import hashlib

import pytest

from domain.registries import npm_expected_digest, pypi_pick_file

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
