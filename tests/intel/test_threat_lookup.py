import pytest

from intel import services
from tests.intel.factories import HASH_A, HASH_B, verified_threat

pytestmark = pytest.mark.django_db


def test_known_hash_returns_the_full_threat(alice_api, bob, carol, settings):
    settings.SIGIL_PUBLIC_URL = "https://sigil.example"
    threat = verified_threat(bob, carol, source_hash=HASH_A, source_ref="aws-helper-utils@1.2.3", severity="critical",
                             description="Uploads .aws/credentials")
    response = alice_api.get(f"/v1/threat/{HASH_A}")
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "hash": HASH_A,
        "known_threat": True,
        "severity": "critical",
        "category": "credential_exfiltration",
        "description": "Uploads .aws/credentials",
        "first_seen": body["first_seen"],
        "last_seen": body["last_seen"],
        "reports_count": 1,
        "affected_packages": [{"ecosystem": "npm", "name": "aws-helper-utils", "version": "1.2.3"}],
        "references": [f"https://sigil.example/threats/{threat.reference}"],
        "recommended_action": "reject",
    }
    assert body["first_seen"].endswith("Z") and body["last_seen"].endswith("Z")


def test_lookup_lists_every_affected_version_and_reference_in_one_query(alice_api, bob, carol, settings,
                                                                       django_assert_num_queries):
    from sigil.timefmt import isoformat_z

    settings.SIGIL_PUBLIC_URL = "https://sigil.example"
    threat = verified_threat(bob, carol, source_hash=HASH_A, source_ref="zeta@2.0.0")
    threat.package_versions.add(services.package_version_record(ecosystem="npm", name="alpha", version="1.0.0"),
                                services.package_version_record(ecosystem="pypi", name="alpha", version="0.9"))
    threat.extra_references = ["https://advisory.example/1"]
    threat.save()
    threat.refresh_from_db()
    # The user is read by authentication; the threat, its versions and packages come in one query.
    with django_assert_num_queries(2):
        body = alice_api.get(f"/v1/threat/{HASH_A}").json()
    assert body["affected_packages"] == [{"ecosystem": "npm", "name": "alpha", "version": "1.0.0"},
                                         {"ecosystem": "npm", "name": "zeta", "version": "2.0.0"},
                                         {"ecosystem": "pypi", "name": "alpha", "version": "0.9"}]
    assert body["references"] == [f"https://sigil.example/threats/{threat.reference}", "https://advisory.example/1"]
    assert (body["first_seen"], body["last_seen"]) == (isoformat_z(threat.first_seen), isoformat_z(threat.last_seen))


def test_unknown_hash_returns_the_no_threat_shape(alice_api):
    response = alice_api.get(f"/v1/threat/{HASH_B}")
    assert response.status_code == 200
    assert response.json() == {"hash": HASH_B, "known_threat": False, "severity": None, "category": None, "description": None}


def test_hash_without_prefix_or_in_upper_case_finds_the_threat(alice_api, bob, carol):
    verified_threat(bob, carol, source_hash=HASH_A)
    response = alice_api.get(f"/v1/threat/{HASH_A.removeprefix('sha256:').upper()}")
    assert response.status_code == 200
    assert response.json()["known_threat"] is True and response.json()["hash"] == HASH_A


def test_a_report_alone_does_not_make_a_known_threat(alice_api, bob):
    from tests.intel.factories import make_report

    make_report(bob, source_hash=HASH_A)
    assert alice_api.get(f"/v1/threat/{HASH_A}").json()["known_threat"] is False


@pytest.mark.parametrize("value", ["abc123", "sha256:abc", "sha1:" + "a" * 40, "sha256:" + "z" * 64, "a" * 65])
def test_malformed_hash_is_400(alice_api, value):
    response = alice_api.get(f"/v1/threat/{value}")
    assert response.status_code == 400
    assert response.json()["code"] == "BAD_REQUEST"


def test_threat_lookup_without_token_is_401(api):
    assert api.get(f"/v1/threat/{HASH_A}").status_code == 401


def test_threats_matching_finds_hashes_and_package_versions_with_index_lookups(bob, carol, django_assert_num_queries):
    from intel.selectors import threats_matching

    by_hash = verified_threat(bob, carol, source_hash=HASH_A, source_ref="one@1.0.0")
    by_version = verified_threat(bob, carol, source_hash="", source_ref="two@2.0.0", severity="low")
    services.package_version_record(ecosystem="npm", name="three", version="3.0.0")
    # Threat ids by hash, packages by name, their listed versions, their ranges, the matched threats'
    # summaries, the Threat rows: index lookups only, never a scan of the threat table.
    with django_assert_num_queries(6):
        found = list(threats_matching(hashes=[HASH_A.upper(), HASH_B],
                                      package_versions=[("npm", "TWO", "2.0.0"), ("npm", "three", "3.0.0")]))
    assert found == [by_hash, by_version]  # most severe first
    assert list(threats_matching(package_versions=[("npm", "two", "2.0.1")])) == []
    assert list(threats_matching()) == []
