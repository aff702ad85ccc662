"""POST /v1/verify end to end against the fake registries, git server and web server."""
import hashlib
import re

import pytest

from marketplace.models import Verification
from scans.engine import tree_hash
from tests.conftest import Api, make_user

from .conftest import leftpad_tgz, tidy_sdist

# POST /v1/verify queues its work once the request's row is committed (transaction.on_commit), as a
# worker needs it: these tests commit for real, so the eager task runs within the request.
pytestmark = pytest.mark.django_db(transaction=True)

ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def verify(client, **body):
    return client.post_json("/v1/verify", body)


def test_pip_package_is_verified_with_badge_details_and_stored_row(alice_api, fake_pypi, settings):
    response = verify(alice_api, source_type="pip", source_ref="Tidy", source_version="1.0.0")
    assert response.status_code == 200, response.json()
    body = response.json()
    vid = body["verification_id"]
    assert re.fullmatch(r"ver_[a-z0-9]{12}", vid)
    assert body["status"] == "verified"
    assert (body["source_ref"], body["source_version"]) == ("tidy", "1.0.0")
    assert body["score"] == 0 and body["verdict"] == "clean"
    assert body["badge_url"] == f"{settings.SIGIL_PUBLIC_URL}/badge/{vid}.svg"
    assert ISO_Z.match(body["verified_at"]) and ISO_Z.match(body["expires_at"])
    assert body["details"]["phases_clean"] == [1, 2, 3, 4, 5, 6]
    assert body["details"]["phases_flagged"] == []
    assert body["details"]["known_threats"] == 0
    assert isinstance(body["details"]["publisher_reputation"], int)
    assert body["artifact_hash"] == "sha256:" + hashlib.sha256(tidy_sdist()).hexdigest()
    assert body["publisher"] == "Tidy-Dev"
    row = Verification.objects.get(public_id=vid)
    assert row.owner.email == "alice@example.com"
    assert (row.expires_at - row.verified_at).days == 30
    assert row.publisher.name == "tidy-dev" and row.publisher.verifications.get() == row
    assert row.signatures_fingerprint


def test_malicious_npm_package_fails_without_badge_and_unknown_publisher(alice_api, fake_npm, builtin_signatures):
    response = verify(alice_api, source_type="npm", source_ref="evil-pkg")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "failed"
    assert body["verdict"] in ("high", "critical") and body["score"] >= 25
    assert body["badge_url"] is None
    assert body["source_version"] == "6.6.6"
    assert body["publisher"] is None and body["details"]["publisher_reputation"] is None
    flagged = body["details"]["phases_flagged"]
    assert flagged and all(set(f) == {"phase", "score", "note"} and f["score"] > 0 for f in flagged)
    assert sum(f["score"] for f in flagged) == body["score"]
    assert 1 in {f["phase"] for f in flagged}
    assert set(body["details"]["phases_clean"]).isdisjoint({f["phase"] for f in flagged})


def test_npm_package_records_its_publisher(alice_api, fake_npm):
    body = verify(alice_api, source_type="npm", source_ref="leftpad-ok", source_version="1.0.0").json()
    assert body["status"] == "verified"
    assert body["publisher"] == "padder"
    assert body["artifact_hash"] == "sha256:" + hashlib.sha256(leftpad_tgz("1.0.0")).hexdigest()


def test_git_repository_is_verified_with_its_tree_hash(alice_api, fake_git):
    body = verify(alice_api, source_type="git", source_ref=fake_git.repo_url("acme/tool")).json()
    assert body["status"] == "verified", body
    assert len(body["source_version"]) == 40
    assert body["artifact_hash"].startswith("sha256:")


def test_git_tree_hash_matches_the_cli_function(alice_api, fake_git, tmp_path):
    import subprocess

    url = fake_git.repo_url("acme/tool")
    body = verify(alice_api, source_type="git", source_ref=url).json()
    subprocess.run(["git", "clone", "-q", url, str(tmp_path / "c")], check=True, capture_output=True)
    assert body["artifact_hash"] == tree_hash(tmp_path / "c")


def test_url_archive_is_verified(alice_api, web):
    web.routes["/dist/leftpad.tgz"] = (200, leftpad_tgz(), {})
    body = verify(alice_api, source_type="url", source_ref=f"{web.url}/dist/leftpad.tgz").json()
    assert body["status"] == "verified", body
    assert body["artifact_hash"] == "sha256:" + hashlib.sha256(leftpad_tgz()).hexdigest()


@pytest.mark.parametrize("source_type, ref, version", [
    ("pip", "no-such-project", None), ("pip", "tidy", "9.9.9"),
    ("npm", "no-such-package", None), ("npm", "leftpad-ok", "9.9.9"),
])
def test_unknown_package_or_version_is_404(alice_api, fake_pypi, fake_npm, source_type, ref, version):
    body = {"source_type": source_type, "source_ref": ref}
    if version:
        body["source_version"] = version
    response = alice_api.post_json("/v1/verify", body)
    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"


def test_unknown_git_repository_is_404(alice_api, fake_git):
    response = verify(alice_api, source_type="git", source_ref=fake_git.repo_url("acme/missing"))
    assert response.status_code == 404


def test_registry_that_stays_down_fails_clearly_after_retries_and_is_recorded(alice_api, fake_pypi):
    fake_pypi.status_override = 503
    response = verify(alice_api, source_type="pip", source_ref="tidy", source_version="1.0.0")
    assert response.status_code == 503
    assert "503" in response.json()["detail"]
    row = Verification.objects.get()
    assert row.status == "error" and "gave up after retries" in row.error
    assert len([r for r in fake_pypi.requests if r["path"].startswith("/pypi/")]) == 4  # 1 + 3 retries
    detail = alice_api.get(f"/v1/verify/{row.public_id}").json()
    assert detail["status"] == "error" and detail["badge_url"] is None and detail["error"]


def test_artifact_not_matching_source_hash_is_an_error_not_a_badge(alice_api, fake_pypi):
    response = verify(alice_api, source_type="pip", source_ref="tidy", source_version="1.0.0",
                      source_hash="sha256:" + "0" * 64)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "error" and body["badge_url"] is None
    assert "source_hash" in body["error"]


def test_matching_source_hash_is_accepted_in_upper_case_without_prefix(alice_api, fake_pypi):
    digest = hashlib.sha256(tidy_sdist()).hexdigest().upper()
    body = verify(alice_api, source_type="pip", source_ref="tidy", source_version="1.0.0", source_hash=digest).json()
    assert body["status"] == "verified"


def test_known_threat_hash_fails_verification(alice_api, fake_pypi):
    from intel.models import Threat

    Threat.objects.create(reference="THR-2026-0001", year=2026, sequence=1,
                          content_hash="sha256:" + hashlib.sha256(tidy_sdist()).hexdigest(),
                          severity="critical", category="backdoor", description="bad", recommended_action="reject")
    body = verify(alice_api, source_type="pip", source_ref="tidy", source_version="1.0.0").json()
    assert body["status"] == "failed"
    assert body["verdict"] == "clean" and body["details"]["known_threats"] == 1
    assert body["badge_url"] is None


def test_known_malicious_file_inside_the_package_fails_verification(alice_api, fake_npm):
    from intel.models import Threat

    index_js = b"module.exports = (s, n) => String(s).padStart(n);\n"
    Threat.objects.create(reference="THR-2026-0002", year=2026, sequence=2,
                          content_hash="sha256:" + hashlib.sha256(index_js).hexdigest(),
                          severity="high", category="backdoor", description="bad", recommended_action="reject")
    body = verify(alice_api, source_type="npm", source_ref="leftpad-ok", source_version="1.0.0").json()
    assert body["status"] == "failed" and body["details"]["known_threats"] == 1


def test_free_tier_gets_403(api, fake_pypi, db):
    free = make_user("free@example.com", tier="free")
    response = verify(Api().as_user(free), source_type="pip", source_ref="tidy")
    assert response.status_code == 403
    assert response.json()["code"] == "FORBIDDEN"
    assert not Verification.objects.exists()
    assert not fake_pypi.requests


def test_team_tier_may_verify(fake_pypi, db):
    team = make_user("team@example.com", tier="team")
    assert verify(Api().as_user(team), source_type="pip", source_ref="tidy").status_code == 200


def test_anonymous_gets_401(api):
    assert api.post_json("/v1/verify", {"source_type": "pip", "source_ref": "tidy"}).status_code == 401


@pytest.mark.parametrize("body, status, field", [
    ({"source_ref": "tidy"}, 422, "source_type"),
    ({"source_type": "pip"}, 422, "source_ref"),
    ({"source_type": "pip", "source_ref": 5}, 422, "source_ref"),
    ({"source_type": "local", "source_ref": "tidy"}, 400, "source_type"),
    ({"source_type": "pip", "source_ref": "../../etc/passwd"}, 400, "source_ref"),
    ({"source_type": "npm", "source_ref": "a b"}, 400, "source_ref"),
    ({"source_type": "git", "source_ref": "git@github.com:a/b.git"}, 400, "source_ref"),
    ({"source_type": "git", "source_ref": "ext::sh -c touch% /tmp/pwned"}, 400, "source_ref"),
    ({"source_type": "url", "source_ref": "file:///etc/passwd"}, 400, "source_ref"),
    ({"source_type": "pip", "source_ref": "tidy", "source_hash": "md5:abc"}, 400, "source_hash"),
    ({"source_type": "pip", "source_ref": "tidy", "source_version": "1.0; rm -rf /"}, 400, "source_version"),
    ({"source_type": "git", "source_ref": "https://example.com/a.git", "source_version": "--upload-pack=x"}, 400,
     "source_version"),
])
def test_invalid_requests_are_rejected_before_any_fetch(alice_api, fake_pypi, body, status, field):
    response = alice_api.post_json("/v1/verify", body)
    assert response.status_code == status, response.json()
    assert field in response.json()["errors"]
    assert not fake_pypi.requests


def test_owner_reads_a_verification_and_others_get_404(alice_api, bob_api, fake_pypi):
    vid = verify(alice_api, source_type="pip", source_ref="tidy").json()["verification_id"]
    mine = alice_api.get(f"/v1/verify/{vid}")
    assert mine.status_code == 200 and mine.json()["verification_id"] == vid
    assert bob_api.get(f"/v1/verify/{vid}").status_code == 404
    assert alice_api.get("/v1/verify/ver_000000000000").status_code == 404


def test_same_version_within_a_day_returns_the_stored_result(alice_api, bob_api, fake_pypi):
    first = verify(alice_api, source_type="pip", source_ref="tidy", source_version="1.0.0").json()
    downloads = len(fake_pypi.requests)
    again = verify(alice_api, source_type="pip", source_ref="tidy", source_version="1.0.0").json()
    assert len(fake_pypi.requests) == downloads
    assert again == first
    for_bob = verify(bob_api, source_type="pip", source_ref="tidy", source_version="1.0.0").json()
    assert len(fake_pypi.requests) == downloads
    assert for_bob["verification_id"] != first["verification_id"]
    assert bob_api.get(f"/v1/verify/{for_bob['verification_id']}").status_code == 200
    assert bob_api.get(f"/v1/verify/{first['verification_id']}").status_code == 404


def test_stored_result_is_not_reused_after_a_day_or_when_signatures_change(alice_api, fake_pypi, builtin_signatures):
    from datetime import timedelta

    from signatures.models import Signature
    from signatures.services import signature_withdraw

    first = verify(alice_api, source_type="pip", source_ref="tidy", source_version="1.0.0").json()
    signature_withdraw(signature=Signature.objects.filter(status="active").first(), reason="test")
    downloads = len(fake_pypi.requests)
    after_change = verify(alice_api, source_type="pip", source_ref="tidy", source_version="1.0.0").json()
    assert len(fake_pypi.requests) > downloads
    assert after_change["verified_at"] >= first["verified_at"]
    Verification.objects.update(verified_at=Verification.objects.first().verified_at - timedelta(hours=25))
    downloads = len(fake_pypi.requests)
    verify(alice_api, source_type="pip", source_ref="tidy", source_version="1.0.0")
    assert len(fake_pypi.requests) > downloads


def test_with_a_worker_that_does_not_finish_in_time_the_answer_is_202_with_the_id(alice_api, fake_pypi, settings,
                                                                                  monkeypatch):
    from marketplace import tasks

    settings.SIGIL_VERIFY_WAIT_SECONDS = 0
    # The broker boundary: the job is queued but no worker has run it yet.
    monkeypatch.setattr(tasks.verification_run, "apply_async", lambda *a, **k: None)
    response = verify(alice_api, source_type="pip", source_ref="tidy")
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "pending" and body["verdict"] is None and body["badge_url"] is None
    assert alice_api.get(f"/v1/verify/{body['verification_id']}").json()["status"] == "pending"


def test_openapi_describes_the_verify_endpoints(api):
    paths = api.get("/v1/openapi.json").json()["paths"]
    assert {"200", "202", "400", "403", "404", "422", "429"} <= set(paths["/v1/verify"]["post"]["responses"])
    assert "/v1/verify/{verification_id}" in paths
    assert "/v1/verify/{verification_id}/deliveries" in paths
    assert {"get", "post"} <= set(paths["/v1/verify/webhook-secret"])
