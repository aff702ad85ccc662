"""/healthz answers for process managers; /v1/ping is the cheapest authenticated endpoint."""
from django.core.cache import cache
from redis.exceptions import ConnectionError as RedisConnectionError


def test_healthz_is_200_without_a_token_when_database_and_cache_answer(api, db):
    response = api.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "X-RateLimit-Limit" not in response


def test_healthz_is_a_503_envelope_when_the_cache_is_down(api, db, monkeypatch):
    def refuse(*args, **kwargs):
        raise RedisConnectionError("Connection refused")

    monkeypatch.setattr(cache, "set", refuse)
    response = api.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "detail": "A backing service is unavailable; retry shortly.",
        "code": "SERVICE_UNAVAILABLE",
        "status": 503,
    }


def test_ping_needs_a_token(api, db):
    response = api.get("/v1/ping")
    assert response.status_code == 401
    assert response.json()["code"] == "UNAUTHORIZED"


def test_ping_answers_pong_with_rate_limit_headers(alice_api):
    response = alice_api.get("/v1/ping")
    assert response.status_code == 200
    assert response.json() == {"pong": True}
    assert response["X-RateLimit-Limit"] == "120"
    assert response["X-RateLimit-Remaining"] == "119"


def test_healthz_and_ping_are_in_the_openapi_schema(api, db):
    paths = api.get("/v1/openapi.json").json()["paths"]
    assert "get" in paths["/healthz"]
    assert "get" in paths["/v1/ping"]
