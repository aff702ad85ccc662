import pytest

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

URL = "/v1/auth/login"


def test_login_returns_bearer_token_and_user(api, alice):
    response = api.post_json(URL, {"email": "alice@example.com", "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600
    assert body["user"] == {"id": alice.public_id, "email": "alice@example.com", "name": "Alice", "tier": "pro"}
    me = api.get("/v1/auth/me", HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")
    assert me.status_code == 200 and me.json()["id"] == alice.public_id


def test_login_email_is_case_insensitive(api, alice):
    response = api.post_json(URL, {"email": "ALICE@example.com", "password": PASSWORD})
    assert response.status_code == 200


@pytest.mark.parametrize("email, password", [("alice@example.com", "wrong-password"), ("nobody@example.com", PASSWORD)])
def test_login_with_bad_credentials_is_401(api, alice, email, password):
    response = api.post_json(URL, {"email": email, "password": password})
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid email or password.", "code": "UNAUTHORIZED", "status": 401}


def test_login_of_deactivated_user_is_401(api, alice):
    alice.is_active = False
    alice.save()
    assert api.post_json(URL, {"email": "alice@example.com", "password": PASSWORD}).status_code == 401


@pytest.mark.parametrize("body", [{"email": "alice@example.com"}, {"password": PASSWORD}, {"email": 1, "password": PASSWORD}])
def test_login_missing_or_mistyped_field_is_422(api, body):
    response = api.post_json(URL, body)
    assert response.status_code == 422
    assert response.json()["code"] == "VALIDATION_ERROR"


def test_repeated_failures_for_one_email_are_throttled_with_retry_after(api, alice, settings):
    settings.SIGIL_LOGIN_FAILURES_PER_EMAIL = 3
    for _ in range(3):
        assert api.post_json(URL, {"email": "alice@example.com", "password": "nope-nope"}).status_code == 401
    response = api.post_json(URL, {"email": "alice@example.com", "password": PASSWORD})
    assert response.status_code == 429
    assert response.json()["code"] == "RATE_LIMITED"
    assert 0 < int(response["Retry-After"]) <= settings.SIGIL_LOGIN_WINDOW_SECONDS


def test_failures_from_one_address_are_throttled_across_emails(api, db, settings):
    settings.SIGIL_LOGIN_FAILURES_PER_ADDRESS = 4
    for n in range(4):
        api.post_json(URL, {"email": f"user{n}@example.com", "password": "nope-nope"})
    response = api.post_json(URL, {"email": "other@example.com", "password": "nope-nope"})
    assert response.status_code == 429
    assert "Retry-After" in response


def test_login_throttle_window_expires(api, alice, settings, monkeypatch):
    import time
    import types

    import django_ratelimit.core

    settings.SIGIL_LOGIN_FAILURES_PER_EMAIL = 2
    settings.SIGIL_LOGIN_WINDOW_SECONDS = 60
    now = [time.time()]
    monkeypatch.setattr(django_ratelimit.core, "time", types.SimpleNamespace(time=lambda: now[0]))
    for _ in range(2):
        api.post_json(URL, {"email": "alice@example.com", "password": "nope-nope"})
    assert api.post_json(URL, {"email": "alice@example.com", "password": PASSWORD}).status_code == 429
    now[0] += 61
    response = api.post_json(URL, {"email": "alice@example.com", "password": PASSWORD})
    assert response.status_code == 200, response.json()
