"""A report becomes a threat through the analyst's admin action, and everything downstream sees it."""
import pytest

from intel import services
from tests.intel.factories import scan_body

pytestmark = pytest.mark.django_db

EVIL_HASH = "sha256:" + "e" * 64


def test_report_verified_in_admin_becomes_a_threat_that_scans_and_reputation_see(client, alice_api, bob_api, carol):
    publisher = services.publisher_get_or_create(ecosystem="npm", name="suspicious-author")
    services.package_version_record(ecosystem="npm", name="aws-helper-utils", version="1.2.3", publisher=publisher)
    reputation_before = alice_api.get("/v1/publisher/suspicious-author?ecosystem=npm").json()["reputation_score"]

    # Bob reports the package.
    report = bob_api.post_json("/v1/report", {
        "source_type": "npm", "source_ref": "aws-helper-utils@1.2.3", "source_hash": EVIL_HASH,
        "category": "credential_exfiltration", "severity": "critical",
        "description": "postinstall reads ~/.aws/credentials and posts it to a webhook",
    })
    assert report.status_code == 201
    report_id = report.json()["report_id"]
    assert alice_api.get(f"/v1/threat/{EVIL_HASH}").json()["known_threat"] is False

    # Carol verifies it through the admin changelist action.
    from intel.models import Report

    client.force_login(carol)
    response = client.post("/admin/intel/report/", {
        "action": "verify", "_selected_action": [Report.objects.get(public_id=report_id).pk],
        "reason": "Reproduced in a sandbox",
    })
    assert response.status_code == 302

    # The threat is known by its hash ...
    threat = alice_api.get(f"/v1/threat/{EVIL_HASH}")
    assert threat.status_code == 200
    threat = threat.json()
    assert threat["known_threat"] is True and threat["severity"] == "critical" and threat["reports_count"] == 1
    assert threat["affected_packages"] == [{"ecosystem": "npm", "name": "aws-helper-utils", "version": "1.2.3"}]

    # ... a scan with that hash lists it ...
    scan = alice_api.post_json("/v1/scan", scan_body(60, source_type="npm", source_ref="aws-helper-utils@1.2.3",
                                                      source_hash=EVIL_HASH))
    assert scan.status_code == 201
    assert [t["hash"] for t in scan.json()["threats"]] == [EVIL_HASH]
    assert scan.json()["publisher"]["id"] == publisher.public_id

    # ... and the publisher's reputation has dropped.
    after = alice_api.get("/v1/publisher/suspicious-author?ecosystem=npm").json()
    assert after["reputation_score"] < reputation_before
    assert after["flagged_packages"] == 1 and "flagged_package" in after["flags"]
    assert scan.json()["publisher"]["reputation"] == after["reputation_score"]
