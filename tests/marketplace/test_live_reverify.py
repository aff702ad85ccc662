"""Re-verification end to end with a real Celery worker process (PostgreSQL + Redis run of .ci/run)."""
import json
import time

import pytest

from marketplace.models import IntelChange, Verification
from tests.intel.factories import verified_threat
from tests.marketplace.test_live_worker import worker  # noqa: F401  (the real worker process fixture)


def _wait(predicate, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.25)
    return False


@pytest.mark.live_worker
@pytest.mark.django_db(transaction=True)
def test_a_threat_recorded_later_revokes_the_badge_through_the_worker(web, worker, alice_api, bob, carol, client,  # noqa: F811
                                                                       settings):
    proc, log = worker
    settings.SIGIL_VERIFY_WAIT_SECONDS = 90
    web.routes["/hook"] = (200, b"ok", {})
    kept = alice_api.post_json("/v1/verify", {"source_type": "npm", "source_ref": "leftpad-ok",
                                              "source_version": "1.0.0"})
    assert kept.status_code == 200, (kept.json(), log.read_text(errors="replace")[-3000:])
    hooked = alice_api.post_json("/v1/verify", {"source_type": "npm", "source_ref": "leftpad-ok",
                                                "source_version": "1.2.0", "callback_url": f"{web.url}/hook"})
    vid = hooked.json()["verification_id"]
    assert _wait(lambda: Verification.objects.get(public_id=vid).status == "verified")

    threat = verified_threat(bob, carol, source_type="npm", source_ref="leftpad-ok@1.2.0", source_hash="")
    revoked = _wait(lambda: Verification.objects.get(public_id=vid).status == "revoked")
    output = log.read_text(errors="replace")
    assert revoked, output[-3000:]
    assert _wait(lambda: any(json.loads(r["body"])["type"] == "verification.revoked"
                             for r in web.requests if r["path"] == "/hook")), output[-3000:]
    body = alice_api.get(f"/v1/verify/{vid}").json()
    assert body["status"] == "revoked" and body["revocation"]["threat"] == threat.reference
    assert client.get(f"/badge/{vid}.json").json()["message"].startswith("revoked ")
    change = IntelChange.objects.get(kind="threat", subject=threat.reference)
    assert _wait(lambda: IntelChange.objects.get(pk=change.pk).finished_at is not None)
    assert alice_api.get(f"/v1/verify/{kept.json()['verification_id']}").json()["status"] == "verified"
    assert "marketplace.tasks.reverify_threat_batch" in output and proc.poll() is None
