import pytest

from accounts.models import User

pytestmark = pytest.mark.django_db

URL = "/v1/auth/register"


def test_register_creates_free_account_and_returns_its_public_fields(api):
    response = api.post_json(URL, {"email": "dev@example.com", "password": "s3cure-passw0rd", "name": "Jane Dev"})
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "email", "name", "created_at", "tier"}
    assert body["id"].startswith("usr_") and len(body["id"]) == 16
    assert body["email"] == "dev@example.com" and body["name"] == "Jane Dev" and body["tier"] == "free"
    assert body["created_at"].endswith("Z")
    stored = User.objects.get(public_id=body["id"])
    assert stored.password.startswith("argon2")
    assert "s3cure" not in stored.password


def test_register_without_name_is_allowed(api):
    response = api.post_json(URL, {"email": "noname@example.com", "password": "s3cure-passw0rd"})
    assert response.status_code == 201
    assert response.json()["name"] == ""


@pytest.mark.parametrize("email", ["dev@example.com", "DEV@Example.COM"])
def test_register_taken_email_in_any_case_is_409(api, email):
    assert api.post_json(URL, {"email": "dev@example.com", "password": "s3cure-passw0rd"}).status_code == 201
    response = api.post_json(URL, {"email": email, "password": "another-passw0rd"})
    assert response.status_code == 409
    assert response.json() == {"detail": "An account with this email already exists.", "code": "CONFLICT", "status": 409}
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    "body, field",
    [
        ({"email": "not-an-email", "password": "s3cure-passw0rd"}, "email"),
        ({"email": "dev@example.com", "password": "short1"}, "password"),
        ({"email": "dev@example.com", "password": "12345678901"}, "password"),  # entirely numeric
        ({"email": "dev@example.com", "password": "password"}, "password"),  # too common
        ({"email": "dev@example.com", "password": "x" * 300}, "password"),  # over the maximum
    ],
)
def test_register_invalid_value_is_400_with_field_errors(api, body, field):
    response = api.post_json(URL, body)
    assert response.status_code == 400
    payload = response.json()
    assert payload["code"] == "BAD_REQUEST" and payload["status"] == 400
    assert field in payload["errors"]
    assert User.objects.count() == 0


def test_register_accepts_a_64_character_password(api):
    response = api.post_json(URL, {"email": "long@example.com", "password": "Ab1-" * 16})
    assert response.status_code == 201


@pytest.mark.parametrize(
    "body, field",
    [
        ({"password": "s3cure-passw0rd"}, "email"),
        ({"email": "dev@example.com"}, "password"),
        ({"email": "dev@example.com", "password": 12345678}, "password"),
        ({"email": ["dev@example.com"], "password": "s3cure-passw0rd"}, "email"),
        ({"email": "dev@example.com", "password": "s3cure-passw0rd", "name": 7}, "name"),
    ],
)
def test_register_missing_field_or_wrong_type_is_422(api, body, field):
    response = api.post_json(URL, body)
    assert response.status_code == 422
    payload = response.json()
    assert payload["code"] == "VALIDATION_ERROR" and payload["status"] == 422
    assert field in payload["errors"]
