from datetime import timedelta

import pytest
from django.utils import timezone

from tests.intel.factories import make_scan, scan_body

pytestmark = pytest.mark.django_db

URL = "/v1/scans"


def test_history_lists_only_the_callers_scans_newest_first(alice_api, alice, bob):
    now = timezone.now()
    old = make_scan(alice, score=0, created_at=now - timedelta(hours=2))
    new = make_scan(alice, score=30, created_at=now - timedelta(hours=1))
    make_scan(bob, score=60)
    response = alice_api.get(URL)
    assert response.status_code == 200
    body = response.json()
    assert [s["scan_id"] for s in body["results"]] == [new.public_id, old.public_id]
    assert body["next"] is None and body["previous"] is None
    assert body["results"][0]["verdict"] == "high" and body["results"][0]["source_hash"] is None


def test_history_shows_what_was_submitted(alice_api):
    submitted = scan_body(15)
    scan_id = alice_api.post_json("/v1/scan", submitted).json()["scan_id"]
    item = alice_api.get(URL).json()["results"][0]
    assert item["scan_id"] == scan_id
    for field in ("quarantine_id", "source_type", "source_ref", "source_hash", "score", "verdict", "phases", "file_stats",
                  "cli_version"):
        assert item[field] == submitted[field]


def test_history_pages_with_a_cursor(alice_api, alice):
    now = timezone.now()
    scans = [make_scan(alice, created_at=now - timedelta(minutes=n)) for n in range(5)]
    seen = []
    url = f"{URL}?limit=2"
    while url:
        body = alice_api.get(url).json()
        assert len(body["results"]) <= 2
        seen += [s["scan_id"] for s in body["results"]]
        url = body["next"]
    assert seen == [s.public_id for s in scans]


def test_history_with_a_forged_cursor_is_400(alice_api):
    response = alice_api.get(f"{URL}?cursor=not-a-cursor")
    assert response.status_code == 400 and response.json()["code"] == "BAD_REQUEST"


def test_history_filters_by_verdict_and_source_type(alice_api, alice):
    clean = make_scan(alice, score=0, source_type="pip")
    critical = make_scan(alice, score=70, source_type="npm")
    high = make_scan(alice, score=30, source_type="npm")
    ids = lambda query: [s["scan_id"] for s in alice_api.get(f"{URL}?{query}").json()["results"]]  # noqa: E731
    assert ids("verdict=critical") == [critical.public_id]
    assert set(ids("verdict=critical&verdict=high")) == {critical.public_id, high.public_id}
    assert ids("source_type=pip") == [clean.public_id]
    assert ids("source_type=npm&verdict=high") == [high.public_id]


def test_history_filters_by_date_range(alice_api, alice):
    now = timezone.now()
    make_scan(alice, created_at=now - timedelta(days=10))
    middle = make_scan(alice, created_at=now - timedelta(days=5))
    make_scan(alice, created_at=now - timedelta(days=1))
    after = (now - timedelta(days=6)).strftime("%Y-%m-%dT%H:%M:%SZ")
    before = (now - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%S%%2B00:00")
    response = alice_api.get(f"{URL}?created_after={after}&created_before={before}")
    assert response.status_code == 200
    assert [s["scan_id"] for s in response.json()["results"]] == [middle.public_id]


@pytest.mark.parametrize("query", ["verdict=severe", "source_type=svn", "created_after=yesterday"])
def test_history_with_an_invalid_filter_is_400(alice_api, query):
    response = alice_api.get(f"{URL}?{query}")
    assert response.status_code == 400
    assert response.json()["code"] == "BAD_REQUEST"


def test_history_without_token_is_401(api):
    assert api.get(URL).status_code == 401


def test_scan_detail_returns_the_callers_scan(alice_api, alice):
    scan = make_scan(alice, score=12)
    response = alice_api.get(f"{URL}/{scan.public_id}")
    assert response.status_code == 200
    assert response.json()["scan_id"] == scan.public_id and response.json()["verdict"] == "medium"


def test_another_users_scan_is_404(alice_api, bob):
    scan = make_scan(bob, score=12)
    response = alice_api.get(f"{URL}/{scan.public_id}")
    assert response.status_code == 404
    assert response.json() == {"detail": "Scan not found.", "code": "NOT_FOUND", "status": 404}


def test_unknown_scan_is_404(alice_api):
    assert alice_api.get(f"{URL}/scn_000000000000").status_code == 404


def test_scan_detail_without_token_is_401(api, alice):
    scan = make_scan(alice)
    assert api.get(f"{URL}/{scan.public_id}").status_code == 401
