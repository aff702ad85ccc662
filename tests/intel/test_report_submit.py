from datetime import timedelta

import pytest
from django.utils import timezone

from intel.constants import REPORT_MESSAGE
from intel.models import Report, Threat
from tests.intel.factories import HASH_A, make_report, make_scan

pytestmark = pytest.mark.django_db

URL = "/v1/report"


def report_body(**overrides):
    body = {
        "source_type": "npm",
        "source_ref": "aws-helper-utils@1.2.3",
        "source_hash": HASH_A,
        "category": "credential_exfiltration",
        "severity": "critical",
        "description": "Package postinstall script reads ~/.aws/credentials and sends to remote webhook",
        "evidence": ["postinstall in package.json", "fs.readFileSync(.aws/credentials) in install.js:14"],
    }
    body.update(overrides)
    return body


def test_report_is_stored_and_answered_with_201(alice_api, alice):
    response = alice_api.post_json(URL, report_body())
    assert response.status_code == 201
    body = response.json()
    assert body["report_id"].startswith("rpt_") and len(body["report_id"]) == 16
    assert body == {
        "report_id": body["report_id"], "status": "submitted", "source_ref": "aws-helper-utils@1.2.3",
        "category": "credential_exfiltration", "severity": "critical", "created_at": body["created_at"],
        "message": REPORT_MESSAGE,
    }
    report = Report.objects.get(public_id=body["report_id"])
    assert report.user == alice and report.status == "submitted" and report.source_hash == HASH_A
    assert (report.ecosystem, report.package_name, report.package_version) == ("npm", "aws-helper-utils", "1.2.3")
    assert report.evidence == report_body()["evidence"]
    assert not Threat.objects.exists()  # a report alone never changes threat data


def test_report_can_name_the_callers_own_scan(alice_api, alice):
    scan = make_scan(alice)
    response = alice_api.post_json(URL, report_body(scan_id=scan.public_id))
    assert response.status_code == 201
    assert Report.objects.get().scan == scan


def test_report_naming_another_users_scan_is_400(alice_api, bob):
    scan = make_scan(bob)
    response = alice_api.post_json(URL, report_body(scan_id=scan.public_id))
    assert response.status_code == 400
    assert "scan_id" in response.json()["detail"]
    assert not Report.objects.exists()


@pytest.mark.parametrize("field", ["source_type", "source_ref", "category", "severity", "description"])
def test_report_missing_required_field_is_422(alice_api, field):
    body = report_body()
    del body[field]
    response = alice_api.post_json(URL, body)
    assert response.status_code == 422 and field in response.json()["errors"]


@pytest.mark.parametrize("override", [{"severity": 4}, {"evidence": "one"}, {"evidence": [1]}, {"description": ["x"]}])
def test_report_with_wrong_json_types_is_422(alice_api, override):
    assert alice_api.post_json(URL, report_body(**override)).status_code == 422


@pytest.mark.parametrize("override, field", [
    ({"category": "spam"}, "category"),
    ({"severity": "severe"}, "severity"),
    ({"severity": "clean"}, "severity"),
    ({"source_type": "local"}, "source_type"),
    ({"source_hash": "sha256:abc"}, "source_hash"),
    ({"description": "   "}, "description"),
    ({"evidence": ["x" * 2001]}, "evidence.0"),
    ({"source_type": "url", "source_ref": "not a url at all"}, "source_ref"),
    ({"source_type": "url", "source_ref": "file:///etc/passwd"}, "source_ref"),
])
def test_report_with_invalid_values_is_400(alice_api, override, field):
    response = alice_api.post_json(URL, report_body(**override))
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Report.objects.exists()


def test_url_report_with_an_https_url_is_accepted(alice_api):
    response = alice_api.post_json(URL, report_body(source_type="url", source_ref="https://evil.example/payload.tgz"))
    assert response.status_code == 201


def test_eleventh_report_in_an_hour_is_429(alice_api, alice, bob_api):
    for _ in range(10):
        assert alice_api.post_json(URL, report_body()).status_code == 201
    oldest = Report.objects.filter(user=alice).order_by("created_at").first()
    Report.objects.filter(pk=oldest.pk).update(created_at=timezone.now() - timedelta(minutes=50))
    response = alice_api.post_json(URL, report_body())
    assert response.status_code == 429
    assert response.json()["code"] == "RATE_LIMITED"
    assert 590 <= int(response["Retry-After"]) <= 601  # when the oldest report leaves the window
    assert Report.objects.filter(user=alice).count() == 10
    assert bob_api.post_json(URL, report_body()).status_code == 201  # per user


def test_reports_older_than_an_hour_do_not_count(alice_api, alice):
    for _ in range(10):
        make_report(alice)
    Report.objects.update(created_at=timezone.now() - timedelta(minutes=61))
    assert alice_api.post_json(URL, report_body()).status_code == 201


def test_report_without_token_is_401(api):
    assert api.post_json(URL, report_body()).status_code == 401
