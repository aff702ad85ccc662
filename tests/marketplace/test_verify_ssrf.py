"""url and git sources may not reach loopback, private, link-local or metadata addresses."""
import pytest

from marketplace import guarded_http
from marketplace.models import Verification

from .conftest import leftpad_tgz


# POST /v1/verify queues its work once the request's row is committed (transaction.on_commit), as a
# worker needs it: these tests commit for real, so the eager task runs within the request.
pytestmark = pytest.mark.django_db(transaction=True)

BLOCKED = ["127.0.0.1", "10.0.0.8", "192.168.1.20", "169.254.169.254", "100.64.0.9", "::1", "fe80::1",
           "::ffff:169.254.169.254"]


@pytest.mark.parametrize("source_type", ["url", "git"])
@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/a.tgz", "https://127.0.0.1/a.tgz", "https://169.254.169.254/",
                                 "https://[::1]/repo.git", "https://10.1.1.1/repo.git", "https://localhost/a.tgz"])
def test_private_literal_targets_are_refused_by_default(alice_api, source_type, url):
    response = alice_api.post_json("/v1/verify", {"source_type": source_type, "source_ref": url})
    assert response.status_code == 400
    assert "source_ref" in response.json()["errors"]
    assert not Verification.objects.exists()


@pytest.mark.parametrize("source_type", ["url", "git"])
@pytest.mark.parametrize("address", BLOCKED)
def test_hostnames_resolving_to_private_addresses_are_refused(alice_api, monkeypatch, source_type, address):
    monkeypatch.setattr(guarded_http, "resolve", lambda host, port: [address])
    response = alice_api.post_json("/v1/verify", {"source_type": source_type,
                                                  "source_ref": "https://innocent.example.com/x.git"})
    assert response.status_code == 400


def test_allowlist_is_off_by_default():
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "SIGIL_OUTBOUND_ALLOWLIST"}
    env["DJANGO_SETTINGS_MODULE"] = "sigil.settings"
    out = subprocess.run([sys.executable, "-c", "import django; django.setup(); from django.conf import settings; "
                          "print(repr(settings.SIGIL_OUTBOUND_ALLOWLIST))"],
                         env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_url_source_redirecting_to_metadata_is_refused(alice_api, web):
    web.routes["/a.tgz"] = (302, b"", {"Location": "http://169.254.169.254/latest/meta-data/iam"})
    response = alice_api.post_json("/v1/verify", {"source_type": "url", "source_ref": f"{web.url}/a.tgz"})
    assert response.status_code == 400
    assert "non-public" in response.json()["detail"] or "https" in response.json()["detail"]
    assert Verification.objects.get().status == "error"


def test_url_source_redirecting_to_a_host_resolving_private_is_refused(alice_api, web, monkeypatch):
    real = guarded_http.resolve
    monkeypatch.setattr(guarded_http, "resolve",
                        lambda host, port: ["10.0.0.1"] if host == "evil.example.com" else real(host, port))
    web.routes["/a.tgz"] = (302, b"", {"Location": "https://evil.example.com/a.tgz"})
    response = alice_api.post_json("/v1/verify", {"source_type": "url", "source_ref": f"{web.url}/a.tgz"})
    assert response.status_code == 400
    assert "non-public" in response.json()["detail"]


def test_url_source_following_an_allowed_redirect_works(alice_api, web):
    web.routes["/latest.tgz"] = (302, b"", {"Location": "/v1.tgz"})
    web.routes["/v1.tgz"] = (200, leftpad_tgz(), {})
    body = alice_api.post_json("/v1/verify", {"source_type": "url", "source_ref": f"{web.url}/latest.tgz"}).json()
    assert body["status"] == "verified"


def test_git_does_not_follow_redirects(alice_api, fake_git, web):
    web.routes["/acme/tool.git/info/refs"] = (302, b"", {"Location": fake_git.repo_url("acme/tool") + "/info/refs"})
    response = alice_api.post_json("/v1/verify", {"source_type": "git", "source_ref": f"{web.url}/acme/tool.git"})
    assert response.status_code == 200
    assert response.json()["status"] == "error" and "302" in response.json()["error"]
    row = Verification.objects.get()
    assert row.status == "error"
    assert not any(r["path"].startswith("/acme/tool.git/git-upload-pack") for r in fake_git.requests)
