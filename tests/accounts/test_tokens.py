import base64
import json
from datetime import timedelta

import jwt
import pytest
from django.conf import settings
from rest_framework_simplejwt.tokens import AccessToken

pytestmark = pytest.mark.django_db

ME = "/v1/auth/me"


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(user, **overrides):
    token = AccessToken.for_user(user)
    claims = dict(token.payload, iss=settings.SIMPLE_JWT["ISSUER"], aud=settings.SIMPLE_JWT["AUDIENCE"])
    claims.update(overrides)
    return claims


def _get_me(api, token):
    return api.get(ME, HTTP_AUTHORIZATION=f"Bearer {token}")


def test_me_returns_profile_with_zero_scans(alice_api, alice):
    response = alice_api.get(ME)
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "id": alice.public_id, "email": "alice@example.com", "name": "Alice", "tier": "pro",
        "created_at": body["created_at"], "scan_count": 0, "last_scan_at": None,
    }
    assert body["created_at"].endswith("Z")


def test_me_without_token_is_401(api):
    response = api.get(ME)
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided.", "code": "UNAUTHORIZED", "status": 401}


@pytest.mark.parametrize("header", ["Bearer", "Bearer not.a.jwt", "Token abc", "Bearer a b", "Basic dXNlcjpwYXNz"])
def test_malformed_authorization_is_401(api, alice, header):
    response = api.get(ME, HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json()["code"] == "UNAUTHORIZED"


def test_expired_token_is_403_token_expired(api, alice):
    token = AccessToken.for_user(alice)
    token.set_exp(lifetime=-timedelta(seconds=5))
    response = _get_me(api, str(token))
    assert response.status_code == 403
    assert response.json() == {"detail": "Token expired", "code": "FORBIDDEN", "status": 403}


def test_tampered_token_is_401(api, alice):
    header, payload, signature = str(AccessToken.for_user(alice)).split(".")
    forged_payload = _b64({**_claims(alice), "sub": "usr_someoneelse1"})
    assert _get_me(api, f"{header}.{forged_payload}.{signature}").status_code == 401


def test_token_signed_with_another_key_is_401(api, alice):
    token = jwt.encode(_claims(alice), "not-the-server-key", algorithm="HS256")
    assert _get_me(api, token).status_code == 401


def test_expired_token_signed_with_another_key_is_401_not_403(api, alice):
    claims = _claims(alice, exp=1)
    token = jwt.encode(claims, "not-the-server-key", algorithm="HS256")
    assert _get_me(api, token).status_code == 401


def test_alg_none_token_is_401(api, alice):
    token = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_claims(alice))}."
    assert _get_me(api, token).status_code == 401


def test_wrong_algorithm_token_is_401(api, alice):
    token = jwt.encode(_claims(alice), settings.JWT_SIGNING_KEY, algorithm="HS512")
    assert _get_me(api, token).status_code == 401


@pytest.mark.parametrize("claim, value", [("iss", "https://evil.example"), ("aud", "another-service"), ("token_type", "refresh")])
def test_token_with_wrong_issuer_audience_or_type_is_401(api, alice, claim, value):
    token = jwt.encode(_claims(alice, **{claim: value}), settings.JWT_SIGNING_KEY, algorithm="HS256")
    assert _get_me(api, token).status_code == 401


def test_correctly_signed_token_is_accepted(api, alice):
    token = jwt.encode(_claims(alice), settings.JWT_SIGNING_KEY, algorithm="HS256")
    assert _get_me(api, token).status_code == 200


def test_deactivated_users_token_is_401(api, alice):
    token = str(AccessToken.for_user(alice))
    alice.is_active = False
    alice.save()
    assert _get_me(api, token).status_code == 401


def test_deleted_users_token_is_401(api, alice):
    token = str(AccessToken.for_user(alice))
    alice.delete()
    assert _get_me(api, token).status_code == 401
