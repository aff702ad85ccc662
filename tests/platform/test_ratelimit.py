import time

import pytest

from tests.conftest import Api, make_user

pytestmark = pytest.mark.django_db

ME = "/v1/auth/me"


@pytest.mark.parametrize("tier, limit", [("free", 30), ("pro", 120), ("team", 600)])
def test_authenticated_requests_are_limited_per_minute_by_tier(tier, limit):
    api = Api().as_user(make_user(f"{tier}@example.com", tier=tier))
    for n in range(limit):
        response = api.get(ME)
        assert response.status_code == 200
        assert response["X-RateLimit-Limit"] == str(limit)
        assert response["X-RateLimit-Remaining"] == str(limit - n - 1)
    response = api.get(ME)
    assert response.status_code == 429
    assert response.json()["code"] == "RATE_LIMITED"
    assert 1 <= int(response["Retry-After"]) <= 60
    assert response["X-RateLimit-Remaining"] == "0"
    reset = int(response["X-RateLimit-Reset"])
    assert time.time() < reset <= time.time() + 61


def test_limits_are_per_user(db):
    alice = Api().as_user(make_user("a@example.com"))
    bob = Api().as_user(make_user("b@example.com"))
    for _ in range(30):
        alice.get(ME)
    assert alice.get(ME).status_code == 429
    response = bob.get(ME)
    assert response.status_code == 200
    assert response["X-RateLimit-Remaining"] == "29"


def test_anonymous_endpoints_are_limited_per_client_address(api, settings):
    settings.SIGIL_ANONYMOUS_PER_MINUTE = 5
    for _ in range(5):
        assert api.post_json("/v1/auth/login", {"email": "x@example.com"}).status_code == 422
    limited = api.post_json("/v1/auth/login", {"email": "x@example.com"})
    assert limited.status_code == 429 and "Retry-After" in limited
    other_address = api.post_json("/v1/auth/login", {"email": "x@example.com"}, REMOTE_ADDR="10.1.2.3")
    assert other_address.status_code == 422


def test_forwarded_for_is_ignored_unless_proxies_are_trusted(api, settings):
    settings.SIGIL_ANONYMOUS_PER_MINUTE = 2
    for n in range(2):
        api.post_json("/v1/auth/login", {}, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    # A client cannot reset its counter by inventing X-Forwarded-For.
    assert api.post_json("/v1/auth/login", {}, HTTP_X_FORWARDED_FOR="203.0.113.99").status_code == 429


def test_headers_are_on_authenticated_error_responses_too(alice_api):
    response = alice_api.get("/v1/auth/me?x=1")
    assert response.status_code == 200
    assert {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} <= set(response.headers)
