"""Issue 11, point 8: what a registry returns is checked (lengths, the version and name asked for)."""
import pytest

from marketplace.models import Verification
from tests.fakes.servers import FakeNpm, FakePyPI

from .conftest import leftpad_tgz, tidy_sdist


# POST /v1/verify queues its work once the request's row is committed (transaction.on_commit), as a
# worker needs it: these tests commit for real, so the eager task runs within the request.
pytestmark = pytest.mark.django_db(transaction=True)


class TamperingNpm(FakeNpm):
    """A registry whose version documents say something else than what was asked for."""

    def __init__(self, packages, overrides):
        super().__init__(packages)
        self.overrides = overrides

    def _version_doc(self, name, version, data, pkg):
        return {**super()._version_doc(name, version, data, pkg), **self.overrides}


@pytest.fixture
def npm_saying(settings, allow):
    servers = []

    def start(overrides, npm_user="padder"):
        packages = {"leftpad-ok": {"versions": {"1.0.0": leftpad_tgz("1.0.0")}, "latest": "1.0.0",
                                   "npm_user": npm_user, "maintainers": []}}
        server = TamperingNpm(packages, overrides).__enter__()
        servers.append(server)
        allow(server)
        settings.NPM_REGISTRY_URL = server.url
        return server

    yield start
    for server in servers:
        server.__exit__(None, None, None)


def verify(client, version="1.0.0", source_ref="leftpad-ok"):
    body = {"source_type": "npm", "source_ref": source_ref}
    if version:
        body["source_version"] = version
    return client.post_json("/v1/verify", body)


def test_a_publisher_name_too_long_to_be_an_account_is_unknown_not_an_error(alice_api, npm_saying):
    npm_saying({}, npm_user="a" * 300)
    response = verify(alice_api)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "verified" and body["publisher"] is None
    assert body["details"]["publisher_reputation"] is None


@pytest.mark.parametrize("npm_user", ["evil\nname", "<script>", " padded", ""])
def test_a_publisher_name_that_is_not_an_account_name_is_unknown(alice_api, npm_saying, npm_user):
    npm_saying({}, npm_user=npm_user)
    assert verify(alice_api).json()["publisher"] is None


@pytest.mark.parametrize("version", ["1.0.0", None])
def test_a_document_for_another_version_fails_with_a_reason(alice_api, npm_saying, version):
    npm_saying({"version": "6.6.6"})
    response = verify(alice_api, version=version)
    stored = Verification.objects.get()
    if version:
        assert stored.status == "error" and "6.6.6" in stored.error and "1.0.0" in stored.error
        assert stored.source_version != "6.6.6"
        assert response.json()["status"] == "error"
    else:  # "latest": the document names its own version, which is then what was verified
        assert response.json()["source_version"] == "6.6.6"


@pytest.mark.parametrize("bad", ["1." + "0" * 400, "1.0.0 ; rm", "", 7])
def test_an_unusable_version_in_the_document_fails_on_both_databases(alice_api, npm_saying, bad):
    npm_saying({"version": bad})
    response = verify(alice_api, version=None)
    assert response.status_code in (200, 502, 422, 400) and response.status_code != 500
    stored = Verification.objects.get()
    assert stored.status == "error" and "version" in stored.error
    assert stored.source_version == ""


def test_a_document_for_another_package_fails_with_a_reason(alice_api, npm_saying):
    npm_saying({"name": "someone-else"})
    verify(alice_api)
    stored = Verification.objects.get()
    assert stored.status == "error" and "someone-else" in stored.error


def test_pypi_latest_version_that_is_not_a_version_fails(alice_api, settings, allow):
    projects = {"tidy": {"versions": {"1.0.0": {"tidy-1.0.0.tar.gz": tidy_sdist()}}, "latest": "1." + "0" * 400,
                         "owners": ["x" * 300]}}
    with FakePyPI(projects) as server:
        allow(server)
        settings.PYPI_URL = server.url
        alice_api.post_json("/v1/verify", {"source_type": "pip", "source_ref": "tidy"})
    stored = Verification.objects.get()
    assert stored.status == "error" and "version" in stored.error and stored.source_version == ""


def test_pypi_owner_name_too_long_is_unknown(alice_api, settings, allow):
    projects = {"tidy": {"versions": {"1.0.0": {"tidy-1.0.0.tar.gz": tidy_sdist()}}, "latest": "1.0.0",
                         "owners": ["x" * 300]}}
    with FakePyPI(projects) as server:
        allow(server)
        settings.PYPI_URL = server.url
        body = alice_api.post_json("/v1/verify", {"source_type": "pip", "source_ref": "tidy",
                                                  "source_version": "1.0.0"}).json()
    assert body["status"] == "verified" and body["publisher"] is None
