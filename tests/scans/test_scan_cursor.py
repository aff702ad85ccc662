"""Issue 11, point 9: every invalid cursor is 400, on both backends; real cursors keep working."""
from base64 import b64encode

import pytest

from tests.intel.factories import make_scan

URL = "/v1/scans"


def b64(text: str) -> str:
    return b64encode(text.encode()).decode()


@pytest.mark.parametrize("cursor", [
    "%25%25%25", "", "%20", "abc", "not-a-cursor", "====", b64(""), b64("x=1"), b64("o=1&x=2"), b64("o=-1"),
    b64("o=1&o=2"), b64("r=2"), b64("r=yes"), b64("p=not-a-date"), b64("p=2026-13-45 99:00:00+00:00"),
    b64("o=1") + "%25", b64("\u00e9=1"),
])
def test_invalid_cursor_is_400(alice_api, alice, cursor):
    make_scan(alice)
    response = alice_api.get(f"{URL}?cursor={cursor}")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "BAD_REQUEST" and "cursor" in response.json()["detail"]


def test_next_and_previous_links_still_page(alice_api, alice):
    scans = [make_scan(alice) for _ in range(5)]
    first = alice_api.get(f"{URL}?limit=2").json()
    second = alice_api.get(first["next"]).json()
    assert second["previous"]
    back = alice_api.get(second["previous"]).json()
    assert [s["scan_id"] for s in back["results"]] == [s["scan_id"] for s in first["results"]]
    assert len({s["scan_id"] for s in first["results"] + second["results"]}) == 4
    assert len(scans) == 5
