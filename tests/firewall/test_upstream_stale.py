"""Upstream down: metadata the shared cache holds is served stale (X-Sigil-Upstream-Stale), with the
policy applied against the threats of now; nothing cached, or cached too long ago, is a 503 envelope.
The fake upstream is really stopped (its port refuses connections)."""
import json

import pytest

from firewall.services import install_token_create
from tests.fakes.servers import FakeNpm, FakePyPI, make_targz, make_wheel
from tests.firewall.conftest import basic, project, wheel_name
from tests.intel.factories import make_threat

JSON = "application/vnd.pypi.simple.v1+json"


@pytest.fixture
def token(alice):
    return install_token_create(user=alice)[1]


def test_pypi_metadata_is_served_stale_while_upstream_is_down(client, allow, settings, token):
    projects = {"helper": project({"1.0": make_wheel("helper", "1.0"), "2.0": make_wheel("helper", "2.0")},
                                  name="helper"),
                "lonely": project({"1.0": make_wheel("lonely", "1.0")}, name="lonely")}
    auth = {"HTTP_AUTHORIZATION": basic(token), "HTTP_ACCEPT": JSON}
    with FakePyPI(projects) as upstream:
        allow(upstream)
        settings.PYPI_URL = upstream.url
        fresh = client.get("/simple/helper/", **auth)
        assert fresh.status_code == 200 and "X-Sigil-Upstream-Stale" not in fresh
        assert client.get("/simple/", **auth).status_code == 200
    settings.SIGIL_FIREWALL_METADATA_TTL = 0  # every request now revalidates, and upstream refuses
    threat = make_threat(versions=[("pypi", "helper", "2.0")])  # known only after upstream went down

    stale = client.get("/simple/helper/", **auth)
    assert stale.status_code == 200 and int(stale["X-Sigil-Upstream-Stale"]) >= 0
    assert stale["X-Sigil-Firewall-Removed"] == "threat=1"
    files = {f["filename"]: f for f in stale.json()["files"]}
    assert files[wheel_name("helper", "1.0")]["yanked"] is False
    assert threat.reference in files[wheel_name("helper", "2.0")]["yanked"]
    root = client.get("/simple/", **auth)
    assert root.status_code == 200 and "X-Sigil-Upstream-Stale" in root and {"name": "helper"} in root.json()["projects"]
    # The blocked file is refused from the stale copy; an allowed one cannot be fetched: 503.
    assert client.get(f"/files/helper/{wheel_name('helper', '2.0')}", **auth).status_code == 403
    down = client.get(f"/files/helper/{wheel_name('helper', '1.0')}", **auth)
    assert down.status_code == 503 and down.json()["code"] == "SERVICE_UNAVAILABLE" and down["Retry-After"]

    never_cached = client.get("/simple/lonely/", **auth)
    assert never_cached.status_code == 503 and never_cached["Retry-After"]
    assert never_cached.json()["code"] == "SERVICE_UNAVAILABLE" and "unreachable" in never_cached.json()["detail"]
    assert "X-Sigil-Upstream-Stale" not in never_cached

    settings.SIGIL_FIREWALL_STALE_IF_ERROR = -1  # the cached copy is now older than what may be served
    too_old = client.get("/simple/helper/", **auth)
    assert too_old.status_code == 503 and too_old.json()["status"] == 503


def test_an_upstream_404_is_not_answered_from_a_stale_copy(client, index, settings, token):
    assert client.get("/simple/lonely/", HTTP_AUTHORIZATION=basic(token)).status_code == 200
    settings.SIGIL_FIREWALL_METADATA_TTL = 0
    del index.projects["lonely"]  # removed upstream (say, taken down as malware)
    response = client.get("/simple/lonely/", HTTP_AUTHORIZATION=basic(token))
    assert response.status_code == 404 and response.json()["code"] == "NOT_FOUND"


def test_npm_documents_are_served_stale_while_upstream_is_down(client, allow, settings, token):
    def tgz(version):
        return make_targz({"package.json": json.dumps({"name": "dep-js", "version": version})}, root="package")

    packages = {"dep-js": {"versions": {"1.0.0": tgz("1.0.0"), "1.1.0": tgz("1.1.0")}, "latest": "1.1.0"}}
    with FakeNpm(packages) as upstream:
        allow(upstream)
        settings.NPM_REGISTRY_URL = upstream.url
        assert client.get("/npm/dep-js", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    settings.SIGIL_FIREWALL_METADATA_TTL = 0
    make_threat(versions=[("npm", "dep-js", "1.1.0")])
    stale = client.get("/npm/dep-js", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert stale.status_code == 200 and "X-Sigil-Upstream-Stale" in stale
    assert stale["X-Sigil-Firewall-Removed"] == "threat=1" and stale.json()["dist-tags"]["latest"] == "1.0.0"
    missing = client.get("/npm/other-js", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert missing.status_code == 503 and missing.json()["code"] == "SERVICE_UNAVAILABLE"


def test_after_a_failure_the_stale_copy_is_served_without_asking_upstream_again_for_a_while(client, index,
                                                                                            settings, token):
    auth = {"HTTP_AUTHORIZATION": basic(token), "HTTP_ACCEPT": JSON}
    assert client.get("/simple/helper/", **auth).status_code == 200
    assert client.get("/simple/lonely/", **auth).status_code == 200
    settings.SIGIL_FIREWALL_METADATA_TTL = 0
    index.status_override = 503

    def asked(project):
        return len([r for r in index.requests if r["path"] == f"/simple/{project}/"])

    settings.SIGIL_FIREWALL_RETRY_AFTER = 60
    for _ in range(3):
        response = client.get("/simple/helper/", **auth)
        assert response.status_code == 200 and "X-Sigil-Upstream-Stale" in response
    assert asked("helper") == 2  # the first fetch, one failed revalidation, then the stale copy for 60 s

    settings.SIGIL_FIREWALL_RETRY_AFTER = 0  # failures hold upstream off for no time: every request asks
    for _ in range(2):
        assert "X-Sigil-Upstream-Stale" in client.get("/simple/lonely/", **auth)
    assert asked("lonely") == 3
    index.status_override = None  # upstream is back: fresh again, not stale
    recovered = client.get("/simple/lonely/", **auth)
    assert recovered.status_code == 200 and "X-Sigil-Upstream-Stale" not in recovered and asked("lonely") == 4
