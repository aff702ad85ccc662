"""The PyPI proxy answered in-process: negotiation, policy, removed counts, scan on first download,
hash mismatch, upstream failures, and metadata revalidation."""
from datetime import timedelta

import pytest
from django.utils import timezone

from firewall.services import firewall_settings_update
from marketplace.models import Verification
from tests.fakes.servers import make_wheel, sha256_hex
from tests.firewall.conftest import basic, wheel_name
from tests.intel.factories import make_threat

JSON = "application/vnd.pypi.simple.v1+json"


@pytest.fixture
def get(client, alice_token):
    def _get(path, **extra):
        return client.get(path, HTTP_AUTHORIZATION=basic(alice_token), **extra)
    return _get


def test_json_and_html_by_accept_with_files_pointing_at_the_proxy(get, index):
    response = get("/simple/helper/", HTTP_ACCEPT=JSON)
    assert response.status_code == 200 and response["Content-Type"] == JSON
    body = response.json()
    assert body["versions"] == ["1.0", "2.0"]
    assert [f["url"] for f in body["files"]] == ["/files/helper/helper-1.0-py3-none-any.whl",
                                                 "/files/helper/helper-2.0-py3-none-any.whl"]
    assert response["X-Sigil-Firewall-Removed"] == "none"
    html = get("/simple/helper/", HTTP_ACCEPT="text/html")
    assert html["Content-Type"] == "application/vnd.pypi.simple.v1+html"
    digest = sha256_hex(index.projects["helper"]["versions"]["2.0"][wheel_name("helper", "2.0")])
    assert f'href="/files/helper/helper-2.0-py3-none-any.whl#sha256={digest}"' in html.content.decode()
    assert get("/simple/Helper/").status_code == 301
    root = get("/simple/", HTTP_ACCEPT=JSON).json()
    assert {"name": "helper"} in root["projects"]


def test_a_threatened_version_is_withheld_and_its_file_refused_without_a_download(get, index):
    reference = make_threat(versions=[("pypi", "helper", "2.0")]).reference
    response = get("/simple/helper/", HTTP_ACCEPT=JSON)
    assert response["X-Sigil-Firewall-Removed"] == "threat=1"
    files = {f["filename"]: f for f in response.json()["files"]}
    assert files[wheel_name("helper", "1.0")]["yanked"] is False
    assert reference in files[wheel_name("helper", "2.0")]["yanked"]
    assert response.json()["versions"] == ["1.0", "2.0"]
    index.requests.clear()
    refused = get(f"/files/helper/{wheel_name('helper', '2.0')}")
    assert refused.status_code == 403 and "Blocked by Sigil" in refused.json()["detail"]
    assert f"/threats/{reference}" in refused.reason_phrase
    assert not [r for r in index.requests if r["path"].startswith("/files/")]  # never downloaded


def test_a_threat_on_the_artifact_hash_withholds_that_file(get, index):
    data = index.projects["helper"]["versions"]["1.0"][wheel_name("helper", "1.0")]
    make_threat(artifact_hashes=["sha256:" + sha256_hex(data)])
    assert get("/simple/helper/", HTTP_ACCEPT=JSON)["X-Sigil-Firewall-Removed"] == "threat=1"
    assert get(f"/files/helper/{wheel_name('helper', '1.0')}").status_code == 403


@pytest.mark.django_db(transaction=True)  # the verification is queued on commit (transaction.on_commit)
def test_a_never_seen_file_is_verified_before_it_is_served_and_reused_after(get, index, bob, client):
    path = f"/files/lonely/{wheel_name('lonely', '1.0')}"
    response = get(path)
    assert response.status_code == 200, response.content[:300]
    data = index.projects["lonely"]["versions"]["1.0"][wheel_name("lonely", "1.0")]
    assert response.content == data
    verification = Verification.objects.get(public_id=response["X-Sigil-Verification"])
    assert verification.status == "verified" and verification.artifact_hash == "sha256:" + sha256_hex(data)
    from firewall.services import install_token_create

    bob_token = install_token_create(user=bob)[1]
    again = client.get(path, HTTP_AUTHORIZATION=basic(bob_token))
    assert again.status_code == 200 and again["X-Sigil-Verification"] == verification.public_id
    assert Verification.objects.count() == 1  # reused by artifact hash, for another user too


def test_a_failed_verification_withholds_the_file(get, index, alice):
    data = index.projects["lonely"]["versions"]["1.0"][wheel_name("lonely", "1.0")]
    failed = Verification(owner=alice, source_type="url", source_ref="https://x.example/lonely.whl",
                          status="failed", artifact_hash="sha256:" + sha256_hex(data), verdict="high", score=40)
    failed.stamp()
    failed.save()
    response = get("/simple/lonely/", HTTP_ACCEPT=JSON)
    assert response["X-Sigil-Firewall-Removed"] == "failed_verification=1"
    refused = get(f"/files/lonely/{wheel_name('lonely', '1.0')}")
    assert refused.status_code == 403 and failed.public_id in refused.json()["detail"]


def test_a_hash_mismatch_is_refused(get, index):
    index.bad_digest.add(wheel_name("lonely", "1.0"))
    response = get(f"/files/lonely/{wheel_name('lonely', '1.0')}")
    assert response.status_code == 403 and response.json()["code"] == "FORBIDDEN"
    assert "does not match the sha256" in response.json()["detail"]
    assert not Verification.objects.exists()


def test_a_running_verification_is_waited_for_then_503_with_retry_after(get, index, alice, settings):
    settings.SIGIL_FIREWALL_SCAN_WAIT_SECONDS = 0.3
    data = index.projects["lonely"]["versions"]["1.0"][wheel_name("lonely", "1.0")]
    url = f"{index.url}/files/{wheel_name('lonely', '1.0')}"
    Verification.objects.create(owner=alice, source_type="url", source_ref=url,
                                source_hash="sha256:" + sha256_hex(data))  # pending: a worker has it
    response = get(f"/files/lonely/{wheel_name('lonely', '1.0')}")
    assert response.status_code == 503 and response["Retry-After"] == str(settings.SIGIL_FIREWALL_RETRY_AFTER)
    assert response.json()["code"] == "SERVICE_UNAVAILABLE" and "verifying" in response.json()["detail"]


def test_min_release_age_hides_too_new_files(get, index, alice):
    now = timezone.now()
    index.projects["helper"]["upload_times"] = {
        wheel_name("helper", "1.0"): (now - timedelta(days=30)).isoformat(),
        wheel_name("helper", "2.0"): (now - timedelta(hours=2)).isoformat()}
    firewall_settings_update(user=alice, min_release_age_hours=48)
    response = get("/simple/helper/", HTTP_ACCEPT=JSON)
    assert response.json()["versions"] == ["1.0"] and response["X-Sigil-Firewall-Removed"] == "too_new=1"
    assert get(f"/files/helper/{wheel_name('helper', '2.0')}").status_code == 404


def test_files_outside_the_configured_hosts_are_never_served(get, index, settings):
    settings.PYPI_URL = index.url.replace("127.0.0.1", "localhost")  # files stay on 127.0.0.1: foreign
    settings.SIGIL_OUTBOUND_ALLOWLIST = [*settings.SIGIL_OUTBOUND_ALLOWLIST, f"localhost:{index.port}"]
    response = get("/simple/lonely/", HTTP_ACCEPT=JSON)
    assert response.json()["files"] == [] and response["X-Sigil-Firewall-Removed"] == "foreign_host=1"
    assert get(f"/files/lonely/{wheel_name('lonely', '1.0')}").status_code == 404


def test_upstream_down_or_missing_is_an_envelope(get, index, settings):
    assert get("/simple/no-such-project/").status_code == 404
    settings.SIGIL_FIREWALL_METADATA_TTL = 0
    index.status_override = 503
    response = get("/simple/helper/")
    assert response.status_code == 503 and response["Retry-After"] and response.json()["code"] == "SERVICE_UNAVAILABLE"
    index.status_override = 400
    assert get("/simple/helper/").status_code == 502


def test_metadata_is_cached_and_revalidated_with_the_etag(get, index, settings):
    get("/simple/helper/")
    get("/simple/helper/")
    assert len([r for r in index.requests if r["path"] == "/simple/helper/"]) == 1  # fresh: cached
    settings.SIGIL_FIREWALL_METADATA_TTL = 0
    index.projects["helper"]["versions"]["3.0"] = {wheel_name("helper", "3.0"): make_wheel("helper", "3.0")}
    body = get("/simple/helper/", HTTP_ACCEPT=JSON).json()
    revalidation = [r for r in index.requests if r["path"] == "/simple/helper/"][-1]
    assert revalidation["headers"].get("if-none-match")
    assert "3.0" in body["versions"]  # changed upstream: the new document replaced the cached one
    get("/simple/helper/")
    assert index.requests[-1]["headers"].get("if-none-match")  # unchanged: a 304 kept the cached body
