"""Issue 11, point 10 (Django side): the login answer is never cached; anonymous 429s carry X-RateLimit-*."""
import pytest

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_login_answer_says_no_store(api, alice):
    response = api.post_json("/v1/auth/login", {"email": "alice@example.com", "password": PASSWORD})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"


def test_anonymous_429_has_rate_limit_headers(api, settings):
    settings.SIGIL_ANONYMOUS_PER_MINUTE = 3
    for _ in range(3):
        assert api.post_json("/v1/auth/login", {"email": "x@example.com"}).status_code == 422
    response = api.post_json("/v1/auth/login", {"email": "x@example.com"})
    assert response.status_code == 429, response.content
    assert response.json()["code"] == "RATE_LIMITED" and int(response["Retry-After"]) > 0
    assert response["X-RateLimit-Limit"] == "3" and response["X-RateLimit-Remaining"] == "0"
    assert int(response["X-RateLimit-Reset"]) > 0
