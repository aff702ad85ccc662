"""Cross-cutting statuses on the intel and scan endpoints: 401, 403 (expired token), 429 per minute."""
from datetime import timedelta

import pytest
from rest_framework_simplejwt.tokens import AccessToken

from intel import services
from tests.conftest import Api, make_user
from tests.intel.factories import HASH_A, scan_body

pytestmark = pytest.mark.django_db

ENDPOINTS = [
    ("get", f"/v1/threat/{HASH_A}", None),
    ("get", "/v1/publisher/someone", None),
    ("post", "/v1/report", {"source_type": "npm", "source_ref": "x@1.0.0", "category": "other", "severity": "low",
                            "description": "d"}),
    ("post", "/v1/scan", "scan"),
    ("get", "/v1/scans", None),
    ("get", "/v1/scans/scn_000000000000", None),
]


def call(client, method, path, body):
    if method == "get":
        return client.get(path)
    return client.post_json(path, scan_body() if body == "scan" else body)


@pytest.mark.parametrize("method, path, body", ENDPOINTS)
def test_expired_token_is_403(api, alice, method, path, body):
    token = AccessToken.for_user(alice)
    token.set_exp(lifetime=-timedelta(seconds=5))
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    response = call(api, method, path, body)
    assert response.status_code == 403 and response.json()["detail"] == "Token expired"


@pytest.mark.parametrize("method, path, body", ENDPOINTS)
def test_garbage_token_is_401(api, method, path, body):
    api.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    assert call(api, method, path, body).status_code == 401


# POST /v1/report reaches its 10-per-hour limit first (tested in test_report_submit).
@pytest.mark.parametrize("method, path, body", [e for e in ENDPOINTS if e[1] != "/v1/report"])
def test_requests_over_the_tier_minute_limit_are_429(db, method, path, body):
    services.publisher_get_or_create(ecosystem="npm", name="someone")
    client = Api().as_user(make_user("free@example.com", tier="free"))
    statuses = [call(client, method, path, body).status_code for _ in range(31)]
    assert 429 not in statuses[:30] and statuses[30] == 429
    last = call(client, method, path, body)
    assert last.status_code == 429 and int(last["Retry-After"]) >= 1
    assert last["X-RateLimit-Limit"] == "30" and last["X-RateLimit-Remaining"] == "0"
