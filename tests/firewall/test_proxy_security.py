"""The proxy is not an open proxy: it fetches only from the configured upstreams, through the guarded
client and its caps; file URLs are served only when upstream metadata lists them on a configured file
host; only GET and HEAD."""
import json

import pytest

from firewall.services import install_token_create
from marketplace.models import Verification
from tests.fakes.servers import FakeNpm, make_targz
from tests.firewall.conftest import basic, wheel_name

JSON = "application/vnd.pypi.simple.v1+json"


@pytest.fixture
def auth(alice):
    return {"HTTP_AUTHORIZATION": basic(install_token_create(user=alice)[1])}


@pytest.fixture
def npm_registry(settings, allow):
    tgz = make_targz({"package.json": json.dumps({"name": "dep-js", "version": "1.0.0"})}, root="package")
    with FakeNpm({"dep-js": {"versions": {"1.0.0": tgz}, "latest": "1.0.0"}}) as server:
        allow(server)
        settings.NPM_REGISTRY_URL = server.url
        yield server


def test_upstream_is_fetched_only_through_the_guarded_client(client, index, auth, settings):
    settings.SIGIL_OUTBOUND_ALLOWLIST = []  # the loopback fake is now what the guard refuses: a private address
    response = client.get("/simple/helper/", **auth)
    assert response.status_code == 502 and response.json()["code"] == "BAD_GATEWAY"
    assert "refused" in response.json()["detail"]
    assert index.requests == []  # no connection was made


def test_a_file_over_the_size_cap_is_refused_and_not_served(client, index, auth, settings):
    settings.SIGIL_VERIFY_MAX_ARTIFACT_BYTES = 64
    response = client.get(f"/files/lonely/{wheel_name('lonely', '1.0')}", **auth)
    assert response.status_code == 502 and response.json()["code"] == "BAD_GATEWAY"
    assert not Verification.objects.exists()


def test_paths_cannot_name_another_host_or_an_unlisted_file(client, index, auth):
    for path in ("/simple/http:%2F%2Fevil.example%2F/", "/simple/..%2F..%2Fetc/", "/files/helper/..%2Fpasswd",
                 "/npm/http:%2F%2Fevil.example", "/npm/..%2F..%2Fetc"):
        assert client.get(path, **auth).status_code == 404, path
    # A file name upstream does not list for that project is never fetched, even one it lists elsewhere.
    for path in ("/files/helper/other-1.0-py3-none-any.whl", f"/files/helper/{wheel_name('lonely', '1.0')}"):
        response = client.get(path, **auth)
        assert response.status_code == 404 and response.json()["code"] == "NOT_FOUND", path
    assert not [r for r in index.requests if r["path"].startswith("/files/")]
    assert {r["path"] for r in index.requests} <= {"/simple/helper/"}


def test_only_get_and_head(client, index, auth):
    for method in ("post", "put", "delete", "patch"):
        response = getattr(client, method)("/simple/helper/", **auth)
        assert response.status_code == 405 and response["Allow"] == "GET, HEAD", method
    assert client.head("/simple/helper/", **auth).status_code == 200


def test_npm_tarballs_outside_the_registry_host_are_never_served(client, npm_registry, auth, settings):
    # The documents now come from "localhost" while their tarballs stay on 127.0.0.1: another host.
    settings.NPM_REGISTRY_URL = npm_registry.url.replace("127.0.0.1", "localhost")
    settings.SIGIL_OUTBOUND_ALLOWLIST = [*settings.SIGIL_OUTBOUND_ALLOWLIST, f"localhost:{npm_registry.port}"]
    doc = client.get("/npm/dep-js", **auth)
    assert doc.status_code == 200 and doc["X-Sigil-Firewall-Removed"] == "foreign_host=1"
    assert doc.json()["versions"] == {} and "latest" not in doc.json()["dist-tags"]
    assert client.get("/npm/dep-js/-/dep-js-1.0.0.tgz", **auth).status_code == 404
    assert not [r for r in npm_registry.requests if r["path"].endswith(".tgz")]


@pytest.mark.django_db(transaction=True)  # the verification is queued on commit (transaction.on_commit)
def test_npm_tarball_urls_point_back_at_the_proxy_and_unlisted_ones_are_404(client, npm_registry, auth):
    doc = client.get("/npm/dep-js", **auth).json()
    assert doc["versions"]["1.0.0"]["dist"]["tarball"] == "http://testserver/npm/dep-js/-/dep-js-1.0.0.tgz"
    assert client.get("/npm/dep-js/-/dep-js-9.9.9.tgz", **auth).status_code == 404
    assert client.get("/npm/dep-js/-/dep-js-1.0.0.tgz", **auth).status_code == 200
    assert {r["path"] for r in npm_registry.requests if r["path"].endswith(".tgz")} == {"/-/dep-js/dep-js-1.0.0.tgz"}


def test_an_npm_integrity_mismatch_is_refused(client, npm_registry, auth):
    npm_registry.bad_integrity.add(("dep-js", "1.0.0"))
    response = client.get("/npm/dep-js/-/dep-js-1.0.0.tgz", **auth)
    assert response.status_code == 403 and "does not match" in response.json()["detail"]
    assert not Verification.objects.exists()
