"""Threats that know versions: exact versions, OSV ranges, artifact hashes, and the basis of each match."""
import pytest
from django.core.exceptions import ValidationError

from intel.matching import PackageQuery, threat_matches, threats_for_package
from intel.models import ThreatRange
from intel.selectors import threats_matching
from intel.versions import in_range, same_version
from tests.intel.factories import HASH_A, HASH_B, make_threat


@pytest.mark.parametrize("ecosystem, range_type, version, bounds, expected", [
    # PEP 440 order, not text order: 1.10 > 1.9, pre-releases before the release, 1.0 == 1.0.0.
    ("pypi", "ECOSYSTEM", "1.10.0", {"introduced": "1.9"}, True),
    ("pypi", "ECOSYSTEM", "1.10.0", {"introduced": "0", "fixed": "1.9"}, False),
    ("pypi", "ECOSYSTEM", "2.0rc1", {"introduced": "1.0", "fixed": "2.0"}, True),
    ("pypi", "ECOSYSTEM", "2.0", {"introduced": "1.0", "fixed": "2.0"}, False),
    ("pypi", "ECOSYSTEM", "2.0.0", {"introduced": "1.0", "last_affected": "2.0"}, True),
    ("pypi", "ECOSYSTEM", "1.0.post1", {"introduced": "1.0.post1", "fixed": "1.0.post2"}, True),
    # SemVer for npm: prerelease < release, numeric identifiers numerically, build metadata ignored.
    ("npm", "ECOSYSTEM", "1.3.0-beta.2", {"introduced": "1.3.0-beta.10"}, False),
    ("npm", "ECOSYSTEM", "1.3.0-beta.11", {"introduced": "1.3.0-beta.10", "fixed": "1.3.0"}, True),
    ("npm", "SEMVER", "10.0.0", {"introduced": "9.0.0", "fixed": "10.0.0"}, False),
    ("npm", "SEMVER", "9.12.3", {"introduced": "9.2.0", "fixed": "10.0.0"}, True),
    ("npm", "ECOSYSTEM", "v1.2.3", {"introduced": "1.2.3", "last_affected": "1.2.3"}, True),
    # Unparsable versions are never inside a range.
    ("npm", "ECOSYSTEM", "latest", {"introduced": "0"}, False),
    ("pypi", "ECOSYSTEM", "not a version", {"introduced": "0"}, False),
])
def test_range_membership_uses_the_ecosystem_order(ecosystem, range_type, version, bounds, expected):
    assert in_range(ecosystem, range_type, version, **bounds) is expected


def test_same_version_is_the_same_release():
    assert same_version("pypi", "1.0", "1.0.0")
    assert same_version("pypi", "1.0.0", "1.0.0")
    assert not same_version("pypi", "1.0", "1.0.1")
    assert not same_version("npm", "1.0.0", "1.0.1")


@pytest.mark.django_db
def test_each_basis_is_reported_and_the_strongest_wins():
    by_version = make_threat(severity="critical", versions=[("pypi", "Evil_Pkg", "1.0")])
    by_range = make_threat(severity="high", ranges=[{"ecosystem": "pypi", "name": "evil-pkg", "introduced": "1.1",
                                                       "fixed": "2.0"}])
    by_hash = make_threat(severity="medium", artifact_hashes=[HASH_B], versions=[("pypi", "evil-pkg", "1.5")])
    queries = [
        PackageQuery.build(ecosystem="pypi", name="evil.pkg", version="1.0.0"),
        PackageQuery.build(ecosystem="pypi", name="EVIL-PKG", version="1.5", hashes=[HASH_B.upper()]),
        PackageQuery.build(ecosystem="pypi", name="evil-pkg"),
        PackageQuery.build(ecosystem="pypi", name="evil-pkg", version="2.0"),
        PackageQuery.build(hashes=[HASH_B]),
        PackageQuery.build(ecosystem="npm", name="evil-pkg", version="1.0.0"),
    ]
    results = threat_matches(queries)
    as_pairs = [[(m.reference, m.basis) for m in matches] for matches in results]
    assert as_pairs[0] == [(by_version.reference, "version")]
    # Most severe first; the hash beats the listed version of the same threat.
    assert as_pairs[1] == [(by_range.reference, "range"), (by_hash.reference, "artifact_hash")]
    assert sorted(as_pairs[2]) == sorted([(by_version.reference, "name_only"), (by_range.reference, "name_only"),
                                          (by_hash.reference, "name_only")])
    assert as_pairs[3] == []
    assert as_pairs[4] == [(by_hash.reference, "artifact_hash")]
    assert as_pairs[5] == []  # same name, other ecosystem
    assert all(m.confirmed for m in results[1]) and not any(m.confirmed for m in results[2])


@pytest.mark.django_db
def test_all_versions_range_matches_without_a_version_and_withdrawn_threats_do_not_confirm():
    everything = make_threat(ranges=[{"ecosystem": "npm", "name": "@evil/loader", "range_type": "SEMVER"}])
    withdrawn = make_threat(withdrawn=True, versions=[("npm", "@evil/loader", "1.0.0")], content_hash=HASH_A)
    [matches] = threat_matches([PackageQuery.build(ecosystem="npm", name="@Evil/Loader")])
    assert [(m.reference, m.basis, m.confirmed) for m in matches] == [
        (everything.reference, "range", True), (withdrawn.reference, "name_only", False)]
    matches = threats_for_package(ecosystem="npm", name="@evil/loader", version="1.0.0")
    # Withdrawn threats are listed last and never confirm a match.
    assert [(m.reference, m.basis, m.withdrawn, m.confirmed) for m in matches] == [
        (everything.reference, "range", False, True), (withdrawn.reference, "version", True, False)]
    # Scans see only threats that still stand.
    assert threats_matching(hashes=[HASH_A], package_versions=[("npm", "@evil/loader", "3.1.4")]) == [everything]


@pytest.mark.django_db
def test_ranges_with_bad_bounds_are_refused_and_nothing_changes():
    threat = make_threat(versions=[("pypi", "evil", "1.0")])
    with pytest.raises(ValidationError) as raised:
        make_threat(ranges=[{"ecosystem": "pypi", "name": "evil", "introduced": "1.0", "fixed": "not-a-version"}])
    assert "fixed" in str(raised.value)
    with pytest.raises(ValidationError):
        make_threat(ranges=[{"ecosystem": "npm", "name": "evil", "introduced": "1.0"}])  # not SemVer
    with pytest.raises(ValidationError):
        make_threat(ranges=[{"ecosystem": "npm", "name": "evil", "introduced": "0", "fixed": "2.0.0",
                             "last_affected": "1.9.0"}])
    assert ThreatRange.objects.count() == 0
    assert [m.reference for m in threats_for_package(ecosystem="pypi", name="evil", version="1.0")] == [threat.reference]


def test_bad_names_and_hashes_are_value_errors():
    with pytest.raises(ValueError):
        PackageQuery.build(ecosystem="pypi", name="has space", version="1.0")
    with pytest.raises(ValueError):
        PackageQuery.build(hashes=["md5:abc"])
    with pytest.raises(ValueError):
        PackageQuery.build(ecosystem="cargo", name="serde", version="1.0.0")
