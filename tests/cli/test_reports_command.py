"""sigil reports: the reporter's own reports from GET /v1/reports."""
import pytest

from intel import services
from tests.intel.factories import HASH_B, make_report

pytestmark = pytest.mark.django_db(transaction=True)


def test_sigil_reports_lists_status_outcome_and_threat(sigil, alice, bob, carol):
    verified = make_report(alice)
    services.report_review(report=verified, actor=carol, action="verify", reason="Confirmed")
    pending = make_report(alice, source_hash=HASH_B, source_ref="other@2.0.0")
    make_report(bob, source_ref="bobs@1.0.0")
    verified.refresh_from_db()
    sigil.login("alice@example.com")
    proc = sigil("reports")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith(pending.public_id) and "submitted" in lines[0] and "pending" in lines[0]
    assert lines[1].startswith(verified.public_id) and f"threat_recorded {verified.threat.reference}" in lines[1]
    assert "bobs@1.0.0" not in proc.stdout
    proc, body = sigil.json("reports", verified.public_id, "--json")
    assert body["threat_reference"] == verified.threat.reference
    proc = sigil("reports", "rpt_notmine000000")
    assert proc.returncode == 3 and "Report not found" in proc.stderr
