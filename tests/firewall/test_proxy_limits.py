"""Tier limits on the proxy: requests per minute per user (429 with Retry-After and X-RateLimit-*),
counted apart from the API's; first-download verifications per hour on every tier, failing closed."""
import dataclasses

import pytest

from accounts.constants import TIER_LIMITS, Tier
from firewall.services import install_token_create
from marketplace.models import Verification
from tests.conftest import make_user
from tests.firewall.conftest import basic, wheel_name

JSON = "application/vnd.pypi.simple.v1+json"


@pytest.fixture
def tier_limits(monkeypatch):
    """Set one tier's limits for this test (the tier table is data; User.limits reads it per call)."""
    def _set(tier, **limits):
        monkeypatch.setitem(TIER_LIMITS, tier, dataclasses.replace(TIER_LIMITS[tier], **limits))
    return _set


def test_requests_over_the_tier_limit_get_429_with_retry_after(client, index, alice, bob, tier_limits):
    tier_limits(Tier.PRO, proxy_requests_per_minute=3)
    laptop, ci = install_token_create(user=alice)[1], install_token_create(user=alice)[1]
    answers = [client.get("/simple/helper/", HTTP_AUTHORIZATION=basic(t)) for t in (laptop, ci, laptop)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [a["X-RateLimit-Remaining"] for a in answers] == ["2", "1", "0"] and answers[0]["X-RateLimit-Limit"] == "3"
    refused = client.get("/files/helper/" + wheel_name("helper", "1.0"), HTTP_AUTHORIZATION=basic(ci))
    assert refused.status_code == 429 and refused.json()["code"] == "RATE_LIMITED"
    assert 1 <= int(refused["Retry-After"]) <= 60 and refused["X-RateLimit-Remaining"] == "0"
    assert "rate limit of 3 requests a minute on the pro tier" in refused.json()["detail"]
    assert refused.reason_phrase.startswith("Too Many Requests: Sigil firewall")
    assert not [r for r in index.requests if r["path"].startswith("/files/")]
    # Per user, whichever token: another user has their own minute.
    other = client.get("/simple/helper/", HTTP_AUTHORIZATION=basic(install_token_create(user=bob)[1]))
    assert other.status_code == 200 and other["X-RateLimit-Remaining"] == "2"


def test_the_proxy_limit_is_counted_apart_from_the_api_limit(client, index, db):
    free = make_user("free@example.com", tier=Tier.FREE)
    token = install_token_create(user=free)[1]
    api_limit, proxy_limit = TIER_LIMITS[Tier.FREE].requests_per_minute, TIER_LIMITS[Tier.FREE].proxy_requests_per_minute
    assert proxy_limit > api_limit
    for _ in range(api_limit + 1):  # one install sends two requests per package: more than the API's minute
        response = client.get("/simple/helper/", HTTP_AUTHORIZATION=basic(token))
        assert response.status_code == 200
    assert response["X-RateLimit-Limit"] == str(proxy_limit)
    assert response["X-RateLimit-Remaining"] == str(proxy_limit - api_limit - 1)


@pytest.mark.django_db(transaction=True)  # the verification is queued on commit (transaction.on_commit)
def test_a_free_user_s_first_downloads_are_verified_within_the_hour_s_budget(client, index, bob, tier_limits, db):
    tier_limits(Tier.FREE, proxy_scans_per_hour=1)
    free = make_user("free@example.com", tier=Tier.FREE)
    assert not free.limits.can_verify  # no POST /v1/verify on this tier, yet the firewall scans for it
    token = install_token_create(user=free)[1]
    first = client.get("/files/lonely/" + wheel_name("lonely", "1.0"), HTTP_AUTHORIZATION=basic(token))
    assert first.status_code == 200
    assert Verification.objects.get(public_id=first["X-Sigil-Verification"]).owner == free
    helper = "/files/helper/" + wheel_name("helper", "1.0")
    refused = client.get(helper, HTTP_AUTHORIZATION=basic(token))
    assert refused.status_code == 429 and refused.json()["code"] == "RATE_LIMITED"
    assert int(refused["Retry-After"]) <= 3600 and "verifications of never-seen files" in refused.json()["detail"]
    assert Verification.objects.count() == 1  # fail closed: not verified, not served
    # A file someone else's install already verified costs no budget.
    assert client.get(helper, HTTP_AUTHORIZATION=basic(install_token_create(user=bob)[1])).status_code == 200
    again = client.get(helper, HTTP_AUTHORIZATION=basic(token))
    assert again.status_code == 200 and again.content.startswith(b"PK")
