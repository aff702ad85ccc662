import base64
from datetime import datetime, timedelta, timezone

import pytest
from django.utils import timezone as dj_timezone

from signatures.models import Signature
from signatures.services import signature_update, signature_withdraw
from tests.signatures.factories import make_signature

pytestmark = pytest.mark.django_db
URL = "/v1/signatures"
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def ids(response):
    return [s["id"] for s in response.json()["signatures"]]


def test_anonymous_request_gets_401(api):
    response = api.get(URL)
    assert response.status_code == 401
    assert response.json()["code"] == "UNAUTHORIZED"


def test_full_sync_returns_active_signatures_in_the_reference_shape(alice_api):
    make_signature(phase=1, name="npm_postinstall_exec", pattern=r"\"postinstall\"\s*:", severity="critical",
                   weight=10, ecosystem="npm", file_globs=["package.json"], tags=["exec", "fetch"])
    make_signature()
    response = alice_api.get(URL)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"signatures", "total", "since", "next_sync_token", "has_more"}
    assert (body["total"], body["since"], body["has_more"]) == (2, None, False)
    first = body["signatures"][0]
    stored = Signature.objects.get(public_id="sig_001")
    assert first == {
        "id": "sig_001", "phase": 1, "name": "npm_postinstall_exec", "description": "Test rule",
        "pattern": r"\"postinstall\"\s*:", "severity": "critical", "weight": 10, "ecosystem": "npm",
        "file_globs": ["package.json"], "tags": ["exec", "fetch"], "status": "active", "withdrawn_at": None,
        "created_at": stored.created_at.strftime(TIME_FORMAT), "updated_at": stored.updated_at.strftime(TIME_FORMAT),
    }
    assert response["X-RateLimit-Limit"] == "120"
    assert response["ETag"]


def test_full_sync_leaves_withdrawn_signatures_out(alice_api):
    keep, gone = make_signature(), make_signature()
    signature_withdraw(signature=gone)
    assert ids(alice_api.get(URL)) == [keep.public_id]


def test_phase_filter_returns_only_that_phase(alice_api):
    make_signature(phase=1)
    three = make_signature(phase=3)
    assert ids(alice_api.get(URL, {"phase": "3"})) == [three.public_id]


@pytest.mark.parametrize(
    ("minimum", "expected"),
    [("low", ["sig_001", "sig_002", "sig_003", "sig_004"]), ("high", ["sig_003", "sig_004"]), ("CRITICAL", ["sig_004"])],
)
def test_severity_filter_is_a_minimum(alice_api, minimum, expected):
    for severity in ("low", "medium", "high", "critical"):
        make_signature(severity=severity)
    assert ids(alice_api.get(URL, {"severity": minimum})) == expected


@pytest.mark.parametrize(
    "params",
    [
        {"since": "yesterday"},
        {"since": "2026-13-01T00:00:00Z"},
        {"since": ""},
        {"since": "2026-02-15T10:30:00+25:00"},
        {"phase": "0"},
        {"phase": "7"},
        {"phase": "one"},
        {"phase": "1.5"},
        {"severity": "severe"},
        {"severity": ""},
        {"next_sync_token": "garbage!"},
        {"next_sync_token": base64.urlsafe_b64encode(b"v2:5::").decode()},
        {"next_sync_token": base64.urlsafe_b64encode(b"v1:-5::").decode()},
        {"next_sync_token": "A" * 200},
        {"limit": "0"},
        {"limit": "501"},
    ],
)
def test_malformed_parameters_get_400(alice_api, params):
    response = alice_api.get(URL, params)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "BAD_REQUEST"
    assert body["status"] == 400
    assert list(params)[0] in body["detail"]


def test_token_used_with_other_filters_gets_400(alice_api):
    make_signature(phase=1)
    token = alice_api.get(URL, {"phase": "1"}).json()["next_sync_token"]
    response = alice_api.get(URL, {"phase": "2", "next_sync_token": token})
    assert response.status_code == 400
    assert "filters" in response.json()["detail"]


def test_since_returns_signatures_changed_after_it_and_echoes_it(alice_api):
    old = make_signature()
    Signature.objects.filter(pk=old.pk).update(updated_at=datetime(2026, 1, 1, tzinfo=timezone.utc))
    new = make_signature()
    response = alice_api.get(URL, {"since": "2026-02-01T00:00:00"})  # naive: UTC
    assert response.status_code == 200
    assert ids(response) == [new.public_id]
    assert response.json()["since"] == "2026-02-01T00:00:00Z"


def test_since_with_an_offset_is_converted_to_utc(alice_api):
    signature = make_signature()
    at = signature.updated_at.astimezone(timezone(timedelta(hours=2)))
    just_before = (at - timedelta(seconds=1)).isoformat()
    just_after = (at + timedelta(seconds=1)).isoformat()
    assert ids(alice_api.get(URL, {"since": just_before})) == [signature.public_id]
    assert ids(alice_api.get(URL, {"since": just_after})) == []


def test_delta_sync_carries_tombstones_for_withdrawn_signatures(alice_api):
    kept, dropped = make_signature(), make_signature()
    token = alice_api.get(URL).json()["next_sync_token"]
    signature_withdraw(signature=dropped, reason="noisy")
    signature_update(signature=kept, weight=9)
    body = alice_api.get(URL, {"next_sync_token": token}).json()
    by_id = {s["id"]: s for s in body["signatures"]}
    assert set(by_id) == {kept.public_id, dropped.public_id}
    assert by_id[dropped.public_id]["status"] == "withdrawn"
    dropped.refresh_from_db()
    assert by_id[dropped.public_id]["withdrawn_at"] == dropped.withdrawn_at.strftime(TIME_FORMAT)
    assert by_id[kept.public_id]["weight"] == 9
    # Once delivered, nothing is repeated.
    again = alice_api.get(URL, {"next_sync_token": body["next_sync_token"]}).json()
    assert again["signatures"] == []
    assert again["next_sync_token"] == body["next_sync_token"]


def test_since_delta_also_carries_tombstones(alice_api):
    signature = make_signature()
    before = (dj_timezone.now() - timedelta(minutes=1)).strftime(TIME_FORMAT)
    signature_withdraw(signature=signature)
    body = alice_api.get(URL, {"since": before}).json()
    assert [(s["id"], s["status"]) for s in body["signatures"]] == [(signature.public_id, "withdrawn")]


def test_unchanged_feed_answers_304_to_a_matching_if_none_match(alice_api):
    make_signature()
    first = alice_api.get(URL)
    etag = first["ETag"]
    cached = alice_api.get(URL, HTTP_IF_NONE_MATCH=etag)
    assert cached.status_code == 304
    assert cached.content == b""
    assert cached["ETag"] == etag
    assert alice_api.get(URL, HTTP_IF_NONE_MATCH=f'"other", W/{etag}').status_code == 304
    assert alice_api.get(URL, HTTP_IF_NONE_MATCH='"stale"').status_code == 200


def test_a_change_changes_the_etag(alice_api):
    signature = make_signature()
    etag = alice_api.get(URL)["ETag"]
    signature_update(signature=signature, description="sharper")
    response = alice_api.get(URL, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert response["ETag"] != etag
    assert response.json()["signatures"][0]["description"] == "sharper"


def test_pages_continue_exactly_where_the_last_one_stopped(alice_api):
    for _ in range(5):
        make_signature()
    seen, token, pages = [], None, 0
    while True:
        params = {"limit": "2", **({"next_sync_token": token} if token else {})}
        body = alice_api.get(URL, params).json()
        pages += 1
        seen.extend(s["id"] for s in body["signatures"])
        token = body["next_sync_token"]
        if pages == 1:
            # Changes between pages: an early row moves to the end of the feed, a new row arrives.
            signature_update(signature=Signature.objects.get(public_id="sig_001"), weight=8)
            make_signature()
        if not body["has_more"]:
            break
    assert pages == 4
    assert seen == ["sig_001", "sig_002", "sig_003", "sig_004", "sig_005", "sig_001", "sig_006"]
    assert alice_api.get(URL, {"next_sync_token": token}).json()["signatures"] == []


def test_full_page_says_has_more_and_last_short_page_does_not(alice_api):
    for _ in range(3):
        make_signature()
    first = alice_api.get(URL, {"limit": "2"}).json()
    assert (first["total"], first["has_more"]) == (2, True)
    second = alice_api.get(URL, {"limit": "2", "next_sync_token": first["next_sync_token"]}).json()
    assert (second["total"], second["has_more"], ids_of(second)) == (1, False, ["sig_003"])


def ids_of(body):
    return [s["id"] for s in body["signatures"]]


def test_filtered_sync_never_misses_matching_changes(alice_api):
    make_signature(phase=1)
    token = alice_api.get(URL, {"phase": "1"}).json()["next_sync_token"]
    make_signature(phase=2)
    later = make_signature(phase=1)
    body = alice_api.get(URL, {"phase": "1", "next_sync_token": token}).json()
    assert ids_of(body) == [later.public_id]


def test_empty_feed_returns_a_token_that_picks_up_the_first_signature(alice_api):
    body = alice_api.get(URL).json()
    assert (body["signatures"], body["total"], body["has_more"]) == ([], 0, False)
    signature = make_signature()
    assert ids(alice_api.get(URL, {"next_sync_token": body["next_sync_token"]})) == [signature.public_id]


def test_signatures_endpoint_is_in_the_openapi_schema(api):
    schema = api.get("/v1/openapi.json").json()
    operation = schema["paths"]["/v1/signatures"]["get"]
    assert {"200", "304", "400", "401", "429"} <= set(operation["responses"])
    assert {p["name"] for p in operation["parameters"]} >= {"since", "phase", "severity", "next_sync_token"}


def test_token_from_a_reset_feed_gets_400_so_the_client_resyncs(alice_api):
    signature = make_signature()
    token = alice_api.get(URL).json()["next_sync_token"]
    Signature.objects.filter(pk=signature.pk).delete()  # e.g. the database was restored from an old backup
    response = alice_api.get(URL, {"next_sync_token": token})
    assert response.status_code == 400
    assert "full sync" in response.json()["detail"]


def test_the_last_next_sync_token_sent_back_as_since_is_a_delta_sync(alice_api):
    """Clients written from the reference send the last next_sync_token back as `since`."""
    kept, dropped = make_signature(), make_signature()
    token = alice_api.get(URL).json()["next_sync_token"]
    signature_withdraw(signature=dropped, reason="noisy")
    signature_update(signature=kept, weight=9)
    added = make_signature()

    as_since = alice_api.get(URL, {"since": token})
    as_token = alice_api.get(URL, {"next_sync_token": token})

    assert as_since.status_code == 200
    assert as_since.json() == as_token.json()
    assert [(s["id"], s["status"]) for s in as_since.json()["signatures"]] == [
        (dropped.public_id, "withdrawn"), (kept.public_id, "active"), (added.public_id, "active")]
    assert as_since.json()["since"] is None
    again = alice_api.get(URL, {"since": as_since.json()["next_sync_token"]}).json()
    assert again["signatures"] == [] and again["has_more"] is False


def test_a_token_in_since_follows_pages_and_keeps_its_filter_binding(alice_api):
    for _ in range(3):
        make_signature(phase=1)
    first = alice_api.get(URL, {"phase": "1", "limit": "2"}).json()
    second = alice_api.get(URL, {"phase": "1", "limit": "2", "since": first["next_sync_token"]}).json()
    assert ids_of(first) + ids_of(second) == ["sig_001", "sig_002", "sig_003"]
    assert second["has_more"] is False

    response = alice_api.get(URL, {"phase": "2", "since": first["next_sync_token"]})
    assert response.status_code == 400 and "filters" in response.json()["detail"]


def test_a_token_in_since_from_a_reset_feed_gets_400(alice_api):
    signature = make_signature()
    token = alice_api.get(URL).json()["next_sync_token"]
    Signature.objects.filter(pk=signature.pk).delete()
    response = alice_api.get(URL, {"since": token})
    assert response.status_code == 400 and "full sync" in response.json()["detail"]


def test_since_that_is_neither_a_timestamp_nor_a_token_gets_400_naming_both(alice_api):
    response = alice_api.get(URL, {"since": base64.urlsafe_b64encode(b"v2:5::").decode()})
    assert response.status_code == 400
    assert "ISO 8601" in response.json()["detail"] and "next_sync_token" in response.json()["detail"]
