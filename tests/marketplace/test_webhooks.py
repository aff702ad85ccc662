"""callback_url: 202 at once, Standard Webhooks signature, retries with every attempt logged."""
import json

import pytest

from marketplace import execution, guarded_http, webhooks
from marketplace.models import Verification, WebhookDelivery


def test_callback_request_answers_202_and_posts_a_signed_result(alice_api, fake_pypi, web,
                                                               django_capture_on_commit_callbacks):
    web.routes["/hook"] = (200, b"ok", {})
    with django_capture_on_commit_callbacks(execute=True):  # the run is queued once the row is committed
        response = alice_api.post_json("/v1/verify", {"source_type": "pip", "source_ref": "tidy",
                                                      "callback_url": f"{web.url}/hook"})
    assert response.status_code == 202
    vid = response.json()["verification_id"]
    hooks = [r for r in web.requests if r["path"] == "/hook"]
    assert len(hooks) == 1
    hook = hooks[0]
    secret = alice_api.get("/v1/verify/webhook-secret").json()["secret"]
    assert secret.startswith("whsec_")
    assert webhooks.verify(secret, hook["headers"], hook["body"])
    assert hook["headers"]["webhook-id"] == f"msg_{vid}"
    assert hook["headers"]["webhook-signature"].startswith("v1,")
    event = json.loads(hook["body"])
    assert event["type"] == "verification.completed"
    assert event["data"]["verification_id"] == vid and event["data"]["status"] == "verified"
    assert not webhooks.verify("whsec_" + "QUJD" * 8, hook["headers"], hook["body"])
    log = alice_api.get(f"/v1/verify/{vid}/deliveries").json()["deliveries"]
    assert [(d["attempt"], d["outcome"], d["status_code"]) for d in log] == [(1, "success", 200)]


def test_failed_deliveries_are_retried_3xx_counts_as_failure_and_every_attempt_is_logged(
        alice_api, fake_pypi, web, django_capture_on_commit_callbacks):
    web.script = [500, 302, 503]  # then the route answers 200
    web.routes["/hook"] = (200, b"ok", {})
    with django_capture_on_commit_callbacks(execute=True):
        vid = alice_api.post_json("/v1/verify", {"source_type": "pip", "source_ref": "tidy",
                                                 "callback_url": f"{web.url}/hook"}).json()["verification_id"]
    log = alice_api.get(f"/v1/verify/{vid}/deliveries").json()["deliveries"]
    assert [(d["attempt"], d["outcome"], d["status_code"]) for d in log] == [
        (1, "failure", 500), (2, "failure", 302), (3, "failure", 503), (4, "success", 200)]
    assert "redirects are not followed" in log[1]["error"]
    assert len({r["headers"]["webhook-id"] for r in web.requests}) == 1


def test_deliveries_stop_after_the_configured_attempts(alice_api, fake_pypi, web, settings,
                                                      django_capture_on_commit_callbacks):
    web.script = [500] * 20
    with django_capture_on_commit_callbacks(execute=True):
        vid = alice_api.post_json("/v1/verify", {"source_type": "pip", "source_ref": "tidy",
                                                 "callback_url": f"{web.url}/hook"}).json()["verification_id"]
    attempts = WebhookDelivery.objects.filter(verification__public_id=vid)
    assert attempts.count() == settings.SIGIL_WEBHOOK_MAX_ATTEMPTS
    assert set(attempts.values_list("outcome", flat=True)) == {"failure"}


def test_deliveries_log_is_owner_only(alice_api, bob_api, fake_pypi, web):
    web.routes["/hook"] = (200, b"ok", {})
    vid = alice_api.post_json("/v1/verify", {"source_type": "pip", "source_ref": "tidy",
                                             "callback_url": f"{web.url}/hook"}).json()["verification_id"]
    assert bob_api.get(f"/v1/verify/{vid}/deliveries").status_code == 404


def test_an_error_result_is_delivered_too(alice_api, fake_pypi, web, django_capture_on_commit_callbacks):
    web.routes["/hook"] = (200, b"ok", {})
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_api.post_json("/v1/verify", {"source_type": "pip", "source_ref": "no-such-project",
                                                      "callback_url": f"{web.url}/hook"})
    assert response.status_code == 202
    event = json.loads(web.requests[-1]["body"])
    assert event["data"]["status"] == "error"


@pytest.mark.parametrize("callback", [
    "http://127.0.0.1:8000/hook", "https://127.0.0.1/hook", "https://169.254.169.254/latest", "https://10.0.0.1/x",
    "https://[::1]/x", "ftp://example.com/x", "https://localhost/hook",
])
def test_private_callback_urls_are_refused_at_request_time(alice_api, fake_pypi, callback):
    response = alice_api.post_json("/v1/verify", {"source_type": "pip", "source_ref": "tidy", "callback_url": callback})
    assert response.status_code == 400
    assert "callback_url" in response.json()["errors"]
    assert not Verification.objects.exists()


def test_callback_host_that_turns_private_is_refused_at_delivery_time(alice, monkeypatch):
    verification = Verification.objects.create(owner=alice, source_type="pip", source_ref="tidy", status="verified",
                                               score=0, verdict="clean", callback_url="https://hooks.example.com/x")
    monkeypatch.setattr(guarded_http, "resolve", lambda host, port: ["169.254.169.254"])
    delivery = execution.webhook_deliver_attempt(verification=verification, data={})
    assert delivery.outcome == "failure" and delivery.error.startswith("refused:")
    assert delivery.status_code is None


def test_webhook_secret_can_be_rotated(alice_api, bob_api):
    first = alice_api.get("/v1/verify/webhook-secret").json()
    assert alice_api.get("/v1/verify/webhook-secret").json()["secret"] == first["secret"]
    rotated = alice_api.post("/v1/verify/webhook-secret").json()
    assert rotated["secret"] != first["secret"] and rotated["rotated_at"]
    assert alice_api.get("/v1/verify/webhook-secret").json()["secret"] == rotated["secret"]
    assert bob_api.get("/v1/verify/webhook-secret").json()["secret"] not in (first["secret"], rotated["secret"])


def test_signature_follows_the_standard_webhooks_test_vector():
    # From the Standard Webhooks reference libraries.
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    assert webhooks.sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) == \
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
