"""POST /v1/lookup: many packages in one request, each answered in order with its status and why."""
from datetime import timedelta

import pytest
from django.utils import timezone

from marketplace.models import Verification
from tests.conftest import Api, make_user
from tests.intel.factories import HASH_A, HASH_B, make_threat

pytestmark = pytest.mark.django_db

URL = "/v1/lookup"


def lookup(api, items):
    return api.post_json(URL, {"packages": items})


def test_each_item_answered_in_order_with_status_basis_and_threat(alice_api, alice):
    critical = make_threat(severity="critical", category="credential_exfiltration",
                           ranges=[{"ecosystem": "npm", "name": "@evil/loader", "introduced": "0"}])
    pinned = make_threat(severity="high", versions=[("pypi", "reqeusts", "2.32.3")])
    by_hash = make_threat(severity="medium", content_hash=HASH_A)
    withdrawn = make_threat(versions=[("npm", "left-pad", "1.3.0")], withdrawn=True)
    now = timezone.now()
    Verification.objects.create(owner=alice, source_type="pip", source_ref="requests", source_version="2.32.3",
                                status="verified", verdict="clean", verified_at=now, expires_at=now + timedelta(days=30))
    Verification.objects.create(owner=alice, source_type="npm", source_ref="tiny-lib", source_version="0.1.0",
                                status="failed", verdict="high", verified_at=now, expires_at=now + timedelta(days=30))
    response = lookup(alice_api, [
        {"purl": "pkg:npm/%40evil/loader@4.2.0"},
        {"purl": "pkg:pypi/Reqeusts@2.32.3"},
        {"hash": HASH_A.upper()},
        {"ecosystem": "npm", "name": "left-pad", "version": "1.3.0"},
        {"ecosystem": "PyPI", "name": "requests", "version": "2.32.3"},
        {"ecosystem": "npm", "name": "tiny-lib", "version": "0.1.0"},
        {"ecosystem": "pypi", "name": "reqeusts"},
        {"ecosystem": "pypi", "name": "numpy", "version": "2.1.0", "hashes": [HASH_B]},
    ])
    assert response.status_code == 200
    body = response.json()
    results = body["results"]
    assert [r["index"] for r in results] == list(range(8))
    assert [r["status"] for r in results] == ["malicious", "malicious", "malicious", "unknown", "verified",
                                              "failed_verification", "unknown", "unknown"]
    assert [r["match"] for r in results] == ["range", "version", "artifact_hash", None, None, None, None, None]
    first = results[0]
    assert first["package"] == {"ecosystem": "npm", "name": "@evil/loader", "version": "4.2.0",
                                "purl": "pkg:npm/%40evil/loader@4.2.0"}
    assert first["threats"] == [{"reference": critical.reference, "severity": "critical",
                                 "category": "credential_exfiltration", "withdrawn": False, "match": "range",
                                 "url": f"http://localhost:8000/threats/{critical.reference}"}]
    assert results[1]["package"]["name"] == "reqeusts" and results[1]["threats"][0]["reference"] == pinned.reference
    assert results[2]["package"] is None and results[2]["hashes"] == [HASH_A]
    assert results[2]["threats"][0]["reference"] == by_hash.reference
    # A withdrawn threat is listed, says so, and does not make the package malicious.
    assert [(t["reference"], t["withdrawn"]) for t in results[3]["threats"]] == [(withdrawn.reference, True)]
    verification = results[4]["verification"]
    assert verification["verdict"] == "clean" and verification["badge_url"].endswith(".svg")
    assert verification["expired"] is False and verification["expires_at"].endswith("Z")
    assert results[5]["verification"]["badge_url"] is None
    # No version: the threat is named, on name_only, as a warning only.
    assert [(t["reference"], t["match"]) for t in results[6]["threats"]] == [(pinned.reference, "name_only")]
    assert results[7]["threats"] == [] and results[7]["verification"] is None
    assert body["summary"] == {"malicious": 3, "failed_verification": 1, "verified": 1, "unknown": 3, "error": 0}


def test_bad_items_get_their_own_error_and_the_rest_are_answered(alice_api):
    make_threat(versions=[("npm", "evil", "1.0.0")])
    response = lookup(alice_api, [
        {"purl": "pkg:cargo/serde@1.0.0"},
        {"purl": "not a purl"},
        {"hash": "md5:abc"},
        {"ecosystem": "npm", "name": "../etc/passwd", "version": "1.0.0"},
        {"ecosystem": "rubygems", "name": "rails"},
        "evil@1.0.0",
        {"ecosystem": "npm", "name": "evil", "version": "1.0.0", "extra": True},
        {"ecosystem": "npm", "name": "evil", "version": "1.0.0"},
    ])
    assert response.status_code == 200
    results = response.json()["results"]
    assert all(set(r) == {"index", "error"} and r["error"]["code"] == "INVALID_ITEM" for r in results[:7])
    assert "cargo" in results[0]["error"]["detail"]
    assert "sha256" in results[2]["error"]["detail"]
    assert results[7]["status"] == "malicious"
    assert response.json()["summary"]["error"] == 7


@pytest.mark.parametrize("body", [
    [], {}, {"packages": []}, {"packages": "evil"}, {"packages": [{"purl": "pkg:npm/a@1.0.0"}] * 1001},
    {"packages": [{"purl": "pkg:npm/a@1.0.0"}], "more": 1},
])
def test_only_a_malformed_body_or_too_many_items_is_400(alice_api, body):
    response = alice_api.post_json(URL, body)
    assert response.status_code == 400
    assert response.json()["code"] == "BAD_REQUEST"


def test_unparsable_json_is_400(alice_api):
    response = alice_api.post(URL, data="{not json", content_type="application/json")
    assert response.status_code == 400


def test_authentication_is_required(api):
    assert api.post_json(URL, {"packages": [{"purl": "pkg:npm/a@1.0.0"}]}).status_code == 401


def test_item_budget_per_minute_answers_429_with_retry_after(db):
    user = make_user("free@example.com", tier="free")  # 2,000 items a minute
    api = Api().as_user(user)
    items = [{"ecosystem": "npm", "name": f"pkg-{n}", "version": "1.0.0"} for n in range(1000)]
    assert lookup(api, items).status_code == 200
    assert lookup(api, items).status_code == 200
    refused = lookup(api, items[:1])
    assert refused.status_code == 429
    assert refused.json()["code"] == "RATE_LIMITED"
    assert 1 <= int(refused["Retry-After"]) <= 61
    # Another user's budget is their own.
    assert lookup(Api().as_user(make_user("other@example.com", tier="free")), items[:10]).status_code == 200


def test_lookup_is_in_the_openapi_schema(api):
    schema = api.get("/v1/openapi.json").json()
    operation = schema["paths"]["/v1/lookup"]["post"]
    assert set(operation["responses"]) >= {"200", "400", "401", "429"}
    assert "item budget" in operation["description"]


def test_answers_conform_to_the_schema(alice_api, alice):
    from tests.platform.test_openapi import _assert_conforms

    make_threat(versions=[("npm", "evil", "1.0.0")])
    now = timezone.now()
    Verification.objects.create(owner=alice, source_type="npm", source_ref="good", source_version="1.0.0",
                                status="verified", verdict="clean", verified_at=now, expires_at=now + timedelta(days=30))
    schema = alice_api.get("/v1/openapi.json").json()
    response = lookup(alice_api, [{"purl": "pkg:npm/evil@1.0.0"}, {"purl": "pkg:npm/good@1.0.0"}, {"hash": "x"}])
    _assert_conforms(schema, "/v1/lookup", "post", response)
