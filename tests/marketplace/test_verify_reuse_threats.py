"""Issue 11, point 1: a reused verification must never hide a threat recorded since."""
import hashlib

import pytest

from marketplace.models import Verification
from tests.intel.factories import verified_threat

from .conftest import leftpad_tgz

# POST /v1/verify queues its work once the request's row is committed (transaction.on_commit), as a
# worker needs it: these tests commit for real, so the eager task runs within the request.
pytestmark = pytest.mark.django_db(transaction=True)

INDEX_JS = b"module.exports = (s, n) => String(s).padStart(n);\n"


def verify(client, **body):
    return client.post_json("/v1/verify", {"source_type": "npm", "source_ref": "leftpad-ok",
                                           "source_version": "1.0.0", **body})


def assert_no_badge(api, body):
    assert body["status"] == "failed", body
    assert body["details"]["known_threats"] >= 1
    assert body["badge_url"] is None
    assert api.get(f"/badge/{body['verification_id']}.json").json()["message"].startswith("failed")


def test_threat_recorded_since_by_hash_and_version_fails_the_next_answer_for_everyone(
        alice_api, bob_api, alice, carol, fake_npm):
    first = verify(alice_api).json()
    assert first["status"] == "verified" and first["details"]["known_threats"] == 0
    digest = hashlib.sha256(leftpad_tgz("1.0.0")).hexdigest()
    verified_threat(alice, carol, source_ref="leftpad-ok@1.0.0", source_hash=f"sha256:{digest}")

    again = verify(alice_api).json()
    assert again["verification_id"] != first["verification_id"]
    assert_no_badge(alice_api, again)
    for_bob = verify(bob_api).json()
    assert_no_badge(bob_api, for_bob)
    assert not Verification.objects.filter(status="verified").exclude(public_id=first["verification_id"]).exists()


def test_threat_recorded_since_by_version_only_is_matched(alice_api, alice, carol, fake_npm):
    assert verify(alice_api).json()["status"] == "verified"
    verified_threat(alice, carol, source_ref="leftpad-ok@1.0.0", source_hash="")
    assert_no_badge(alice_api, verify(alice_api).json())


def test_threat_recorded_since_for_a_file_inside_the_package_is_matched(alice_api, bob_api, alice, carol, fake_npm):
    assert verify(alice_api).json()["status"] == "verified"
    verified_threat(alice, carol, source_ref="something-else@2.0.0",
                    source_hash="sha256:" + hashlib.sha256(INDEX_JS).hexdigest())
    assert_no_badge(bob_api, verify(bob_api).json())


def test_without_new_threats_the_result_is_still_reused(alice_api, bob_api, alice, carol, fake_npm):
    first = verify(alice_api).json()
    verified_threat(alice, carol, source_ref="unrelated@1.0.0", source_hash="")  # a version threat elsewhere
    downloads = len(fake_npm.requests)
    again = verify(bob_api).json()
    assert len(fake_npm.requests) == downloads
    assert again["status"] == "verified" and again["verdict"] == first["verdict"]
