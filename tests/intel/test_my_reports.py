"""GET /v1/reports and /v1/reports/{id}: reporters see their own reports, status, outcome and threat."""
import pytest

from intel import services
from signatures.services import signature_create
from tests.intel.factories import HASH_B, make_report

pytestmark = pytest.mark.django_db


def test_a_reporter_lists_only_their_own_reports_newest_first(alice_api, alice, bob, carol):
    first = make_report(alice)
    services.report_review(report=first, actor=carol, action="verify", reason="Confirmed")
    second = make_report(alice, source_hash=HASH_B, source_ref="other@2.0.0", severity="low")
    services.report_review(report=second, actor=carol, action="reject", reason="Benign telemetry")
    make_report(bob)
    response = alice_api.get("/v1/reports")
    assert response.status_code == 200
    body = response.json()
    assert [r["report_id"] for r in body["results"]] == [second.public_id, first.public_id]
    first.refresh_from_db()
    verified = body["results"][1]
    assert (verified["status"], verified["outcome"], verified["threat_reference"]) == (
        "verified", "threat_recorded", first.threat.reference)
    rejected = body["results"][0]
    assert (rejected["status"], rejected["outcome"], rejected["threat_reference"]) == ("rejected", "rejected", None)
    # The analyst's reasons and the reporter's reputation are not part of the answer.
    assert "Benign telemetry" not in response.content.decode() and "reputation" not in response.content.decode()


def test_reports_are_paginated_and_filterable(alice_api, alice):
    made = [make_report(alice, source_hash=f"sha256:{n:064x}", source_ref=f"p{n}@1.0.0") for n in range(1, 6)]
    page = alice_api.get("/v1/reports", {"limit": 2}).json()
    assert len(page["results"]) == 2 and page["next"]
    seen = [r["report_id"] for r in page["results"]]
    while page["next"]:
        page = alice_api.get(page["next"]).json()
        seen += [r["report_id"] for r in page["results"]]
    assert seen == [r.public_id for r in reversed(made)]
    assert alice_api.get("/v1/reports", {"status": "verified"}).json()["results"] == []
    bad = alice_api.get("/v1/reports", {"status": "nonsense"})
    assert bad.status_code == 400 and bad.json()["code"] == "BAD_REQUEST"


def test_one_report_is_the_owners_only(alice_api, bob_api, alice, carol):
    report = make_report(alice)
    services.report_review(report=report, actor=carol, action="start_review", reason="Looking")
    signature_create(phase=2, name="from_report", description="d", pattern="evil", severity="high", weight=5,
                     ecosystem="npm", origin="report", origin_report=report.public_id)
    body = alice_api.get(f"/v1/reports/{report.public_id}").json()
    assert (body["report_id"], body["status"], body["outcome"], body["signatures"]) == (
        report.public_id, "in_review", "pending", ["sig_001"])
    other = bob_api.get(f"/v1/reports/{report.public_id}")
    assert other.status_code == 404 and other.json()["code"] == "NOT_FOUND"
    assert alice_api.get("/v1/reports/rpt_doesnotexist").status_code == 404


def test_reports_need_a_token(api):
    assert api.get("/v1/reports").status_code == 401
