"""Issue 11, points 7 and 10 under gunicorn: its own refusals are the JSON envelope; chunked bodies are read."""
import json

import pytest
import requests

from sigil.api.authentication import issue_access_token
from tests.conftest import make_user
from tests.intel.factories import scan_body

pytestmark = pytest.mark.needs_services


@pytest.fixture
def server(live_server_factory):
    return live_server_factory()


@pytest.mark.parametrize("make_request, status, code", [
    (lambda url: requests.get(url + "/v1/scans?x=" + "a" * 5000, timeout=15), 414, "URI_TOO_LONG"),
    (lambda url: requests.get(url + "/v1/ping", headers={"X-Big": "b" * 9000}, timeout=15), 431,
     "REQUEST_HEADER_FIELDS_TOO_LARGE"),
])
def test_gunicorn_refusals_are_the_json_envelope(server, make_request, status, code):
    response = make_request(server.url)
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == status and body["code"] == code and body["detail"]


def test_a_chunked_body_is_read_under_gunicorn(server):
    token = issue_access_token(make_user("chunky@example.com", tier="pro"))
    body = json.dumps(scan_body()).encode()
    response = requests.post(f"{server.url}/v1/scan", data=iter([body[:100], body[100:]]), timeout=15,
                             headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    assert response.request.headers.get("Transfer-Encoding") == "chunked"
    assert response.status_code == 201, response.text[:300]
