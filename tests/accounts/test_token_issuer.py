"""A token signed by this server under another public URL (the issuer changed) is refused with a
message that says so; a forged one still gets the plain answer."""
import jwt
import pytest
from django.conf import settings

from sigil.public_url import embedded_public_url
from tests.accounts.test_tokens import _claims, _get_me

pytestmark = pytest.mark.django_db


def _sign(claims, key=None):
    return jwt.encode(claims, key or settings.SIMPLE_JWT["SIGNING_KEY"], algorithm="HS256")


def test_a_token_from_an_earlier_public_url_says_why_and_to_log_in_again(api, alice):
    assert settings.SIMPLE_JWT["ISSUER"] != "http://localhost:8001"
    assert _get_me(api, _sign(_claims(alice))).status_code == 200  # the same token, today's issuer

    response = _get_me(api, _sign(_claims(alice, iss="http://localhost:8001")))

    assert response.status_code == 401
    body = response.json()
    assert body["code"] == "UNAUTHORIZED"
    assert "issued by http://localhost:8001" in body["detail"]
    assert f"public URL is now {settings.SIGIL_PUBLIC_URL}" in body["detail"]
    assert "Log in again (sigil login)" in body["detail"]


def test_a_forged_token_with_another_issuer_gets_the_plain_answer(api, alice):
    forged = _sign(_claims(alice, iss="http://evil.example"), key="not-our-key-" * 4)
    wrong_audience = _sign(_claims(alice, iss="http://localhost:8001", aud="someone-else"))

    for token in (forged, wrong_audience):
        response = _get_me(api, token)
        assert response.status_code == 401
        assert response.json()["detail"] == "Invalid token."


@pytest.mark.parametrize(("host", "port", "url"), [
    ("", "8000", "http://localhost:8000"),
    ("0.0.0.0", "9000", "http://localhost:9000"),
    ("127.0.0.1", "9000", "http://127.0.0.1:9000"),
    ("::1", "9000", "http://[::1]:9000"),
    ("sigil.internal", "8080", "http://sigil.internal:8080"),
])
def test_the_embedded_public_url_is_the_address_the_server_was_started_on(host, port, url):
    assert embedded_public_url(host, port) == url
