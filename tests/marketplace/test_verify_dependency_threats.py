"""Verification fails a package that only pulls in a known malicious package, and says why."""
import json

import pytest

from tests.fakes.servers import FakeNpm, make_targz
from tests.intel.factories import verified_threat


# POST /v1/verify queues its work once the request's row is committed (transaction.on_commit), as a
# worker needs it: these tests commit for real, so the eager task runs within the request.
pytestmark = pytest.mark.django_db(transaction=True)


def stream_kit_tgz() -> bytes:
    pkg = {"name": "stream-kit", "version": "2.0.0", "main": "index.js",
           "dependencies": {"through": "~2.3.1", "flatmap-stream": "^0.1.0"}}
    return make_targz({"package.json": json.dumps(pkg), "index.js": "module.exports = require('through');\n"},
                      root="package")


@pytest.fixture
def fake_npm_kit(settings, allow):
    packages = {"stream-kit": {"versions": {"2.0.0": stream_kit_tgz()}, "latest": "2.0.0", "npm_user": "kit",
                               "maintainers": ["kit"]}}
    with FakeNpm(packages) as server:
        allow(server)
        settings.NPM_REGISTRY_URL = server.url
        yield server


def verify(client):
    return client.post_json("/v1/verify", {"source_type": "npm", "source_ref": "stream-kit", "source_version": "2.0.0"})


def test_a_clean_package_whose_dependency_is_known_malicious_fails_with_the_reason(alice_api, alice, carol, fake_npm_kit):
    threat = verified_threat(alice, carol, source_ref="flatmap-stream@0.1.1", source_hash="",
                             category="obfuscated_payload")
    body = verify(alice_api).json()
    assert body["verdict"] in ("clean", "low")  # the package's own code is harmless
    assert body["status"] == "failed" and body["badge_url"] is None
    assert body["details"]["known_threats"] == 1
    [dep] = body["details"]["dependency_threats"]
    assert (dep["name"], dep["spec"], dep["version"], dep["threat"]) == ("flatmap-stream", "^0.1.0", "0.1.1",
                                                                         threat.reference)
    assert "flatmap-stream" in dep["reason"] and threat.reference in dep["reason"]


def test_the_same_package_without_a_threatened_dependency_is_verified(alice_api, alice, carol, fake_npm_kit):
    verified_threat(alice, carol, source_ref="flatmap-stream@0.2.0", source_hash="")  # outside ^0.1.0
    body = verify(alice_api).json()
    assert body["status"] == "verified"
    assert body["details"]["known_threats"] == 0 and body["details"]["dependency_threats"] == []
