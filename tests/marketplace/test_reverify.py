"""Re-verification: threats and signatures recorded after a badge was issued re-check and revoke it."""
import hashlib
import json
from xml.etree import ElementTree

import pytest

from intel.models import Threat
from marketplace import tasks, webhooks
from marketplace.models import IntelChange, Verification
from signatures.services import signature_create, signature_withdraw
from tests.fakes.servers import make_targz
from tests.intel.factories import verified_threat


# POST /v1/verify queues its work once the request's row is committed (transaction.on_commit), as a
# worker needs it: these tests commit for real, so the eager task runs within the request.
pytestmark = pytest.mark.django_db(transaction=True)

INDEX_JS = "module.exports = (s, n) => String(s).padStart(n);\n"


def _verify(api, version, **extra):
    response = api.post_json("/v1/verify", {"source_type": "npm", "source_ref": "leftpad-ok",
                                            "source_version": version, **extra})
    assert response.status_code in (200, 202), response.json()
    return response.json()["verification_id"]


def _downloads(fake_npm) -> int:
    return sum(1 for r in fake_npm.requests if r["path"].startswith("/-/"))


def _badge_message(client, vid) -> str:
    root = ElementTree.fromstring(client.get(f"/badge/{vid}.svg").content)
    return [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")][1]


@pytest.fixture
def two_versions(alice_api, fake_npm):
    """leftpad-ok 1.0.0 and 1.2.0, both verified (clean)."""
    old, new = _verify(alice_api, "1.0.0"), _verify(alice_api, "1.2.0")
    assert set(Verification.objects.values_list("status", flat=True)) == {"verified"}
    return old, new


def test_a_threat_for_one_version_revokes_exactly_that_result_without_a_download(
        two_versions, alice_api, fake_npm, bob, carol, client, django_capture_on_commit_callbacks, settings):
    old, new = two_versions
    downloads = _downloads(fake_npm)
    with django_capture_on_commit_callbacks(execute=True):
        threat = verified_threat(bob, carol, source_type="npm", source_ref="leftpad-ok@1.2.0", source_hash="")
    assert _downloads(fake_npm) == downloads
    change = IntelChange.objects.get(kind="threat", subject=threat.reference)
    assert change.finished_at is not None and change.revoked == 1 and change.downloads == 0

    body = alice_api.get(f"/v1/verify/{new}").json()
    assert body["status"] == "revoked" and body["badge_url"].endswith(f"/badge/{new}.svg")
    revocation = body["revocation"]
    assert revocation["threat"] == threat.reference and revocation["feed_version"] == change.pk
    assert revocation["threat_url"] == f"{settings.SIGIL_PUBLIC_URL}/threats/{threat.reference}"
    assert threat.reference in revocation["reason"] and revocation["revoked_at"].endswith("Z")
    assert _badge_message(client, new).startswith("revoked ")
    html = client.get(f"/verifications/{new}").content.decode()
    assert "Revoked on" in html and f"/threats/{threat.reference}" in html

    untouched = alice_api.get(f"/v1/verify/{old}").json()
    assert untouched["status"] == "verified" and untouched["revocation"] is None
    assert untouched["rechecked_feed_version"] == change.pk
    assert _badge_message(client, old).startswith("verified ")
    assert "Re-checked against feed version" in client.get(f"/verifications/{old}").content.decode()


def test_a_threat_naming_a_file_inside_revokes_every_result_holding_it(
        two_versions, bob, carol, fake_npm, django_capture_on_commit_callbacks):
    file_hash = "sha256:" + hashlib.sha256(INDEX_JS.encode()).hexdigest()
    downloads = _downloads(fake_npm)
    with django_capture_on_commit_callbacks(execute=True):
        threat = verified_threat(bob, carol, source_type="url", source_ref="https://x.example/index.js",
                                 source_hash=file_hash)
    assert _downloads(fake_npm) == downloads
    revoked = Verification.objects.filter(status="revoked")
    assert set(revoked.values_list("public_id", flat=True)) == set(two_versions)
    assert {v.revocation["threat"] for v in revoked} == {threat.reference}
    assert all("its content" in v.revocation["reason"] for v in revoked)


def test_the_owner_callback_receives_a_signed_verification_revoked_event(
        alice_api, fake_npm, web, bob, carol, django_capture_on_commit_callbacks):
    web.routes["/hook"] = (200, b"ok", {})
    vid = _verify(alice_api, "1.2.0", callback_url=f"{web.url}/hook")
    with django_capture_on_commit_callbacks(execute=True):
        verified_threat(bob, carol, source_type="npm", source_ref="leftpad-ok@1.2.0", source_hash="")
    hooks = [r for r in web.requests if r["path"] == "/hook"]
    assert [json.loads(h["body"])["type"] for h in hooks] == ["verification.completed", "verification.revoked"]
    secret = alice_api.get("/v1/verify/webhook-secret").json()["secret"]
    assert all(webhooks.verify(secret, h["headers"], h["body"]) for h in hooks)
    assert [h["headers"]["webhook-id"] for h in hooks] == [f"msg_{vid}", f"msg_{vid}_revoked"]
    revoked = json.loads(hooks[1]["body"])["data"]
    assert revoked["status"] == "revoked" and revoked["revocation"]["threat"].startswith("THR-")
    log = alice_api.get(f"/v1/verify/{vid}/deliveries").json()["deliveries"]
    assert [(d["event_type"], d["outcome"]) for d in log] == [("verification.completed", "success"),
                                                               ("verification.revoked", "success")]


def test_running_a_batch_again_revokes_and_notifies_once(
        alice_api, fake_npm, web, bob, carol, django_capture_on_commit_callbacks):
    web.routes["/hook"] = (200, b"ok", {})
    vid = _verify(alice_api, "1.2.0", callback_url=f"{web.url}/hook")
    with django_capture_on_commit_callbacks(execute=True):
        verified_threat(bob, carol, source_type="npm", source_ref="leftpad-ok@1.2.0", source_hash="")
    change = IntelChange.objects.get(kind="threat")
    with django_capture_on_commit_callbacks(execute=True):
        again = tasks.reverify_threat_batch(change.pk, [Verification.objects.get(public_id=vid).pk])
    assert again == 0
    assert IntelChange.objects.get(pk=change.pk).revoked == 1
    assert sum(1 for r in web.requests if r["path"] == "/hook") == 2


def test_a_new_signature_that_fails_a_release_revokes_it_after_one_download(
        two_versions, alice_api, fake_npm, django_capture_on_commit_callbacks):
    downloads = _downloads(fake_npm)
    with django_capture_on_commit_callbacks(execute=True):
        signature = signature_create(phase=2, name="String padding dropper", description="test rule",
                                     pattern=r"padStart\(n\)", severity="critical", weight=60, ecosystem="npm",
                                     file_globs=["*.js"])
    change = IntelChange.objects.get(kind="signature", subject=signature.public_id)
    # Two results, two distinct artifacts: one download each, none for anything else.
    assert change.candidates == 2 and change.downloads == 2 and _downloads(fake_npm) == downloads + 2
    for vid in two_versions:
        body = alice_api.get(f"/v1/verify/{vid}").json()
        assert body["status"] == "revoked", body
        assert body["revocation"]["signature"] == signature.public_id
        assert body["revocation"]["verdict"] not in ("clean", "low")
        assert signature.public_id in body["revocation"]["reason"]


def test_a_signature_whose_files_no_result_holds_is_answered_without_a_download(
        two_versions, fake_npm, django_capture_on_commit_callbacks):
    downloads = _downloads(fake_npm)
    with django_capture_on_commit_callbacks(execute=True):
        signature = signature_create(phase=2, name="PowerShell cradle", description="test rule",
                                     pattern=r"IEX\s*\(", severity="critical", weight=60, ecosystem="generic",
                                     file_globs=["*.ps1"])
    change = IntelChange.objects.get(kind="signature", subject=signature.public_id)
    assert (change.candidates, change.downloads, change.answered_from_store) == (0, 0, 2)
    assert change.finished_at is not None and _downloads(fake_npm) == downloads
    assert set(Verification.objects.values_list("status", "rechecked_version")) == {("verified", change.pk)}


def test_a_withdrawn_signature_re_checks_nothing_and_downloads_nothing(
        two_versions, fake_npm, django_capture_on_commit_callbacks):
    signature = signature_create(phase=2, name="Noise", description="x", pattern=r"zzzz_never", severity="low",
                                 weight=1, ecosystem="generic", file_globs=["*.ps1"])
    downloads = _downloads(fake_npm)
    with django_capture_on_commit_callbacks(execute=True):
        signature_withdraw(signature=signature, reason="noise")
    change = IntelChange.objects.get(kind="signature", action="withdrawn")
    assert change.candidates == 0 and _downloads(fake_npm) == downloads
    assert not Verification.objects.exclude(status="verified").exists()


def test_an_artifact_that_no_longer_matches_its_stored_hash_is_revoked_with_the_reason(
        two_versions, alice_api, fake_npm, django_capture_on_commit_callbacks):
    old, new = two_versions
    swapped = '{"name": "leftpad-ok", "version": "1.2.0", "main": "index.js"}'
    fake_npm.packages["leftpad-ok"]["versions"]["1.2.0"] = make_targz(
        {"package.json": swapped, "index.js": INDEX_JS + "// changed\n"}, root="package")
    with django_capture_on_commit_callbacks(execute=True):
        signature_create(phase=2, name="Any JS", description="x", pattern=r"zzzz_never", severity="low", weight=1,
                         ecosystem="generic", file_globs=["*.js"])
    body = alice_api.get(f"/v1/verify/{new}").json()
    assert body["status"] == "revoked"
    assert "now serves" in body["revocation"]["reason"] and body["artifact_hash"] in body["revocation"]["reason"]
    assert alice_api.get(f"/v1/verify/{old}").json()["status"] == "verified"


def test_the_same_artifact_is_downloaded_once_per_signature_set(
        alice_api, bob_api, fake_npm, django_capture_on_commit_callbacks):
    _verify(alice_api, "1.2.0")
    _verify(bob_api, "1.2.0")  # another owner's copy of the same artifact
    downloads = _downloads(fake_npm)
    with django_capture_on_commit_callbacks(execute=True):
        signature_create(phase=2, name="Never", description="x", pattern=r"zzzz_never", severity="low", weight=1,
                         ecosystem="generic")
    change = IntelChange.objects.latest("pk")
    assert change.candidates == 2 and change.downloads == 1 and _downloads(fake_npm) == downloads + 1
    # A second pass with the same signatures is answered by the stored scan.
    again = tasks.reverify_rescan_batch(change.pk, [Verification.objects.first().artifact_hash])
    assert again == 0 and _downloads(fake_npm) == downloads + 1
    assert set(Verification.objects.values_list("status", "rechecked_version")) == {("verified", change.pk)}


def test_beat_catches_a_threat_that_no_signal_announced(two_versions, django_capture_on_commit_callbacks):
    from intel.services import package_version_record

    with django_capture_on_commit_callbacks(execute=True):
        tasks.reverify_catch_up()  # fresh install: baselines, nothing to re-check
    assert set(IntelChange.objects.values_list("action", flat=True)) == {"baseline"}
    version = package_version_record(ecosystem="npm", name="leftpad-ok", version="1.0.0")
    threat = Threat.objects.create(reference="THR-2026-0900", year=2026, sequence=900, severity="high",
                                   category="malware", description="written behind the service's back",
                                   recommended_action="block")
    threat.package_versions.add(version)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.reverify_catch_up()
    old, new = two_versions
    assert Verification.objects.get(public_id=old).status == "revoked"
    assert Verification.objects.get(public_id=new).status == "verified"
    with django_capture_on_commit_callbacks(execute=True):
        tasks.reverify_catch_up()  # nothing new: no further change recorded
    assert IntelChange.objects.filter(kind="threat", subject="THR-2026-0900").count() == 1
