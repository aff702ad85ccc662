"""The OpenAPI schema is valid and real responses of the auth endpoints conform to it."""
import copy

import jsonschema
import pytest
from drf_spectacular.validation import validate_schema

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(api):
    response = api.get("/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def _to_json_schema(node):
    """OpenAPI 3.0 `nullable` is not JSON Schema; rewrite it so jsonschema can validate."""
    if isinstance(node, dict):
        node = {key: _to_json_schema(value) for key, value in node.items()}
        if node.pop("nullable", False):
            if "type" in node:
                node["type"] = [node["type"], "null"]
            elif "enum" in node:
                node["enum"] = [*node["enum"], None]
            else:
                node = {"anyOf": [node, {"type": "null"}]}
        return node
    if isinstance(node, list):
        return [_to_json_schema(item) for item in node]
    return node


def _assert_conforms(schema, path, method, response):
    operation = schema["paths"][path][method]
    declared = operation["responses"][str(response.status_code)]["content"]["application/json"]["schema"]
    document = {**_to_json_schema(declared), "components": _to_json_schema(copy.deepcopy(schema["components"]))}
    jsonschema.validate(response.json(), document)


def test_schema_is_valid_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)


def test_schema_documents_auth_endpoints_and_their_errors(schema):
    assert set(schema["paths"]["/v1/auth/register"]["post"]["responses"]) >= {"201", "400", "409", "413", "422", "429"}
    assert set(schema["paths"]["/v1/auth/login"]["post"]["responses"]) >= {"200", "401", "422", "429"}
    assert set(schema["paths"]["/v1/auth/me"]["get"]["responses"]) >= {"200", "401", "403", "429"}


def test_docs_page_is_served(api):
    response = api.get("/v1/docs")
    assert response.status_code == 200
    assert b"swagger-ui" in response.content
    assert b"openapi.json" in api.get("/v1/docs?script=").content  # the init script, a separate file


def test_auth_responses_conform_to_schema(api, schema, alice):
    register = api.post_json("/v1/auth/register", {"email": "new@example.com", "password": "s3cure-passw0rd"})
    _assert_conforms(schema, "/v1/auth/register", "post", register)
    for bad in ({"email": "bad", "password": "s3cure-passw0rd"}, {"password": "x"}):
        _assert_conforms(schema, "/v1/auth/register", "post", api.post_json("/v1/auth/register", bad))
    conflict = api.post_json("/v1/auth/register", {"email": "new@example.com", "password": "s3cure-passw0rd"})
    _assert_conforms(schema, "/v1/auth/register", "post", conflict)

    login = api.post_json("/v1/auth/login", {"email": "alice@example.com", "password": PASSWORD})
    _assert_conforms(schema, "/v1/auth/login", "post", login)
    _assert_conforms(schema, "/v1/auth/login", "post", api.post_json("/v1/auth/login", {"email": "alice@example.com", "password": "wrong-pass"}))

    me = api.get("/v1/auth/me", HTTP_AUTHORIZATION=f"Bearer {login.json()['access_token']}")
    _assert_conforms(schema, "/v1/auth/me", "get", me)
    _assert_conforms(schema, "/v1/auth/me", "get", api.get("/v1/auth/me", HTTP_AUTHORIZATION="Bearer nope"))
