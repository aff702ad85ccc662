"""Issue 11, point 4: NUL bytes and lone surrogates are refused in the request plumbing, on both backends."""
import json

import pytest

from tests.intel.factories import scan_body

pytestmark = pytest.mark.django_db


def assert_envelope(response, status):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["status"] == status and body["code"] == {400: "BAD_REQUEST", 404: "NOT_FOUND"}[status]


@pytest.mark.parametrize("path", [
    "/v1/publisher/%00", "/v1/publisher/npm:left%00pad", "/v1/scans/%00", "/v1/scans/scn_aaaaaaaaaaaa%00",
    "/v1/threat/%00", "/v1/verify/ver_aaaaaaaaaaaa%00", "/badge/ver_aaaaaaaaaaaa%00.svg", "/threats/THR-2026-0001%00",
])
def test_nul_in_the_path_is_404(alice_api, path):
    assert_envelope(alice_api.get(path), 404)


@pytest.mark.parametrize("query", ["cursor=%00", "verdict=clean%00", "source_type=%00git", "x%00=1"])
def test_nul_in_the_query_is_400(alice_api, query):
    response = alice_api.get(f"/v1/scans?{query}")
    assert_envelope(response, 400)
    assert "NUL" in response.json()["detail"]


def post_raw(client, path, text):
    return client.post(path, data=text.encode(), content_type="application/json")


@pytest.mark.parametrize("escape", ["\\u0000", "\\ud800", "\\udfff", "a\\ud800b"])
def test_nul_or_lone_surrogate_in_a_json_key_or_value_is_400(alice_api, escape):
    body = scan_body()
    as_key = json.dumps({**body, "file_stats": {**body["file_stats"], "KEY": 1}}).replace("KEY", escape)
    assert_envelope(post_raw(alice_api, "/v1/scan", as_key), 400)
    as_value = json.dumps({**body, "cli_version": "VALUE"}).replace("VALUE", escape)
    assert_envelope(post_raw(alice_api, "/v1/scan", as_value), 400)
    nested = json.dumps({**body, "phases": [{**body["phases"][0], "findings": ["VALUE"]}, *body["phases"][1:]]})
    assert_envelope(post_raw(alice_api, "/v1/scan", nested.replace("VALUE", escape)), 400)
    from scans.models import Scan
    assert not Scan.objects.exists()


def test_nul_in_login_and_register_is_400(api):
    assert_envelope(post_raw(api, "/v1/auth/login", '{"email": "a\\u0000@example.com", "password": "x"}'), 400)
    assert_envelope(post_raw(api, "/v1/auth/register",
                             '{"email": "b@example.com", "password": "pw\\u0000-long-enough-1"}'), 400)


def test_a_surrogate_pair_is_ordinary_text_and_accepted(alice_api):
    body = json.dumps({**scan_body(), "cli_version": "0.1.0"})
    response = post_raw(alice_api, "/v1/scan", body.replace('"0.1.0"', '"0.1.0 \\ud83d\\ude00"'))
    assert response.status_code == 201, response.content
