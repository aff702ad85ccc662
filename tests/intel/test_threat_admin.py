"""Analysts edit what a threat affects (exact versions, OSV ranges, artifact hashes) on the threat page."""
import pytest

from intel.matching import threats_for_package
from tests.intel.factories import HASH_B, make_threat

pytestmark = pytest.mark.django_db


@pytest.fixture
def analyst(client, carol):
    client.force_login(carol)
    return client


def formset(prefix, rows, initial=0):
    data = {f"{prefix}-TOTAL_FORMS": str(len(rows)), f"{prefix}-INITIAL_FORMS": str(initial),
            f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"}
    for index, row in enumerate(rows):
        data.update({f"{prefix}-{index}-{key}": value for key, value in row.items()})
    return data


def change_form(threat, *, versions=(), ranges=(), hashes=(), **fields):
    data = {"description": threat.description, "summary": threat.summary, "recommended_action": threat.recommended_action,
            "extra_references": "[]", "aliases": "[]", "withdrawn_at_0": "", "withdrawn_at_1": "",
            "change_reason": "Analyst correction", **fields}
    data.update(formset("Threat_package_versions", list(versions)))
    data.update(formset("ranges", list(ranges)))
    data.update(formset("artifact_hashes", list(hashes)))
    return data


def url(threat):
    return f"/admin/intel/threat/{threat.pk}/change/"


def test_analyst_adds_versions_ranges_and_hashes_and_lookups_follow(analyst):
    threat = make_threat(versions=[("pypi", "evil-pkg", "0.9")])
    page = analyst.get(url(threat))
    assert page.status_code == 200
    assert b"Affected ranges" in page.content and b"Artifact hashes" in page.content and b"evil-pkg" in page.content
    data = change_form(
        threat, summary="Steals cloud credentials on import",
        ranges=[{"ecosystem": "npm", "name": "@Evil/Loader", "range_type": "SEMVER", "introduced": "1.2.0",
                 "fixed": "1.4.0", "last_affected": ""}],
        versions=[{"ecosystem": "pypi", "name": "Evil_Pkg", "version": "2.0"}],
        hashes=[{"hash": HASH_B.upper()}],
    )
    response = analyst.post(url(threat), data)
    assert response.status_code == 302, response.context["errors"] if response.context else response
    threat.refresh_from_db()
    assert threat.summary == "Steals cloud credentials on import"
    assert set(threat.curated_fields) == {"summary", "affected"}
    assert [m.basis for m in threats_for_package(ecosystem="npm", name="@evil/loader", version="1.3.9")] == ["range"]
    assert threats_for_package(ecosystem="npm", name="@evil/loader", version="1.4.0") == []
    assert [m.basis for m in threats_for_package(ecosystem="pypi", name="evil.pkg", version="2.0.0")] == ["version"]
    assert [m.basis for m in threats_for_package(hashes=[HASH_B])] == ["artifact_hash"]


def test_bad_bounds_are_shown_on_the_form_and_nothing_is_saved(analyst):
    threat = make_threat(versions=[("pypi", "evil-pkg", "0.9")])
    data = change_form(threat, ranges=[{"ecosystem": "pypi", "name": "evil-pkg", "range_type": "ECOSYSTEM",
                                        "introduced": "1.0", "fixed": "soon", "last_affected": ""}])
    response = analyst.post(url(threat), data)
    assert response.status_code == 200
    assert b"is not a PEP 440 version" in response.content
    assert threat.ranges.count() == 0
    data = change_form(threat, ranges=[{"ecosystem": "npm", "name": "has space", "range_type": "ECOSYSTEM",
                                        "introduced": "0", "fixed": "", "last_affected": ""}])
    response = analyst.post(url(threat), data)
    assert response.status_code == 200 and b"not a valid npm package name" in response.content


def test_public_page_shows_ranges_aliases_and_withdrawal(client):
    threat = make_threat(ranges=[{"ecosystem": "npm", "name": "evil-loader", "introduced": "0"},
                                 {"ecosystem": "pypi", "name": "evil-pkg", "introduced": "1.0", "fixed": "1.2"}],
                         aliases=["MAL-2025-1234"], withdrawn=True)
    response = client.get(f"/threats/{threat.reference}")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Withdrawn" in body and "MAL-2025-1234" in body
    assert "evil-loader" in body and "every later version" in body and "before 1.2" in body
