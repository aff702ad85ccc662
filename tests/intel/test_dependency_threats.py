"""A scan that declares a dependency on a known malicious package is flagged, with the reason."""

import pytest

from scans.api.serializers import ScanInputSerializer
from tests.intel.factories import scan_body, verified_threat
from tests.scans.test_scan_validation import FieldsOnly, _outcome

pytestmark = pytest.mark.django_db

URL = "/v1/scan"


def dep(name, spec="", ecosystem="npm"):
    return {"ecosystem": ecosystem, "name": name, "spec": spec}


@pytest.fixture
def flatmap_threat(bob, carol):
    return verified_threat(bob, carol, source_type="npm", source_ref="flatmap-stream@0.1.1", source_hash="",
                           category="obfuscated_payload", description="Decrypts a payload keyed on its dependant")


@pytest.mark.parametrize("spec", ["^0.1.0", "0.1.1", "", "*", "latest", "github:someone/flatmap-stream", "~0.1"])
def test_a_dependency_admitting_the_malicious_version_is_reported_with_the_reason(alice_api, flatmap_threat, spec):
    body = scan_body(source_type="npm", source_ref="event-stream@3.3.6",
                     dependencies=[dep("through", "~2.3.1"), dep("flatmap-stream", spec)])
    response = alice_api.post_json(URL, body)
    assert response.status_code == 201
    data = response.json()
    assert data["threats"] == []  # the package itself is not known
    [found] = data["dependency_threats"]
    assert (found["name"], found["spec"], found["version"]) == ("flatmap-stream", spec, "0.1.1")
    assert found["threat"]["reference"] == flatmap_threat.reference
    assert "flatmap-stream" in found["reason"] and flatmap_threat.reference in found["reason"]
    assert "obfuscated_payload" in found["reason"]


@pytest.mark.parametrize("spec", ["^0.2.0", "0.1.2", ">=1.0.0 <2"])
def test_a_constraint_that_excludes_the_malicious_version_is_not_reported(alice_api, flatmap_threat, spec):
    body = scan_body(source_type="npm", source_ref="event-stream@3.3.7", dependencies=[dep("flatmap-stream", spec)])
    response = alice_api.post_json(URL, body)
    assert response.status_code == 201
    assert response.json()["dependency_threats"] == []


@pytest.mark.parametrize("spec, reported", [(">=2.0", True), ("", True), ("<2.0", False), ("==2.0.0", True),
                                            ("!=2.0.0", False)])
def test_pypi_constraints_use_version_specifiers(alice_api, bob, carol, spec, reported):
    threat = verified_threat(bob, carol, source_type="pip", source_ref="Colorama_Helper==2.0.0", source_hash="")
    body = scan_body(source_type="pip", source_ref="nice-tool==1.0",
                     dependencies=[dep("colorama.helper", spec, "pypi")])  # any PEP 503 spelling
    response = alice_api.post_json(URL, body)
    assert response.status_code == 201
    refs = [d["threat"]["reference"] for d in response.json()["dependency_threats"]]
    assert refs == ([threat.reference] if reported else [])


def test_a_dependency_in_another_ecosystem_does_not_match(alice_api, flatmap_threat):
    body = scan_body(dependencies=[dep("flatmap-stream", "", "pypi")])
    response = alice_api.post_json(URL, body)
    assert response.status_code == 201 and response.json()["dependency_threats"] == []


def test_scans_without_dependencies_answer_an_empty_list(alice_api):
    response = alice_api.post_json(URL, scan_body())
    assert response.status_code == 201 and response.json()["dependency_threats"] == []


@pytest.mark.parametrize("dependencies", [
    "flatmap-stream",
    [["flatmap-stream", "^1"]],
    [{"ecosystem": "npm", "name": "x"}],
])
def test_dependencies_of_the_wrong_shape_are_422(alice_api, dependencies):
    response = alice_api.post_json(URL, scan_body(dependencies=dependencies))
    assert response.status_code == 422
    assert response.json()["code"] == "VALIDATION_ERROR"
    assert any(key.startswith("dependencies") for key in response.json()["errors"])


@pytest.mark.parametrize("dependencies", [
    [dep("x", ecosystem="cargo")],
    [dep("")],
    [dep("x" * 215)],
    [dep("x", "y" * 257)],
    [dep(f"p{i}") for i in range(501)],
])
def test_invalid_dependencies_are_400(alice_api, dependencies):
    response = alice_api.post_json(URL, scan_body(dependencies=dependencies))
    assert response.status_code == 400
    assert response.json()["code"] == "BAD_REQUEST"
    assert any(key.startswith("dependencies") for key in response.json()["errors"])


@pytest.mark.parametrize("dependencies", [
    [dep("a", "^1"), dep("b", "", "pypi")],
    [],
    [dep(" a")],
    [dep("a", "^1 ")],
    [{**dep("a"), "extra": 1}],
    [dep("a", "^1\x00")],
    [dep("a", ecosystem="github")],
    [dep("a", "\ud800")],
])
def test_the_plain_pass_and_the_fields_agree_on_dependencies(dependencies):
    body = scan_body(dependencies=dependencies)
    assert _outcome(ScanInputSerializer, body) == _outcome(FieldsOnly, body)
