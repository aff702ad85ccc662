"""Analysts triage reports in Django admin: review actions, threats, signatures, history."""
import pytest
from django.contrib.auth.models import Group

from intel.constants import ANALYSTS_GROUP
from intel.models import Report, ReportReview, Threat
from tests.conftest import make_user
from tests.intel.factories import HASH_A, HASH_B, make_report

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/intel/report/"


def act(client, action, reports, reason="Checked the tarball"):
    return client.post(CHANGELIST, {"action": action, "_selected_action": [r.pk for r in reports], "reason": reason})


@pytest.fixture
def analyst(client, carol):
    client.force_login(carol)
    return client


def test_analysts_group_has_exactly_the_workflow_permissions():
    group = Group.objects.get(name=ANALYSTS_GROUP)
    granted = set(group.permissions.values_list("content_type__app_label", "codename"))
    assert granted == {
        ("intel", "view_report"), ("intel", "change_report"), ("intel", "view_reportreview"),
        ("intel", "view_threat"), ("intel", "change_threat"), ("intel", "view_publisher"),
        *[("intel", f"{verb}_{model}") for verb in ("view", "add", "change", "delete")
          for model in ("threatrange", "threatartifacthash")],
        ("intel", "view_package"), ("intel", "view_packageversion"), ("scans", "view_scan"),
        ("signatures", "view_signature"), ("signatures", "add_signature"), ("signatures", "change_signature"),
    }


def test_triage_list_filters_and_searches(analyst, alice):
    make_report(alice, source_ref="evil-pkg@1.0.0", severity="low")
    make_report(alice, source_ref="other-pkg@2.0.0", source_hash=HASH_B, severity="critical")
    response = analyst.get(CHANGELIST, {"severity": "critical", "status": "submitted", "category": "credential_exfiltration",
                                        "ecosystem": "npm"})
    assert response.status_code == 200
    assert b"other-pkg" in response.content and b"evil-pkg@" not in response.content
    response = analyst.get(CHANGELIST, {"q": "evil-pkg"})
    assert b"evil-pkg" in response.content and b"other-pkg" not in response.content


def test_start_review_records_who_when_and_why(analyst, alice, carol):
    report = make_report(alice)
    response = act(analyst, "start_review", [report], reason="Looking at install.js")
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == "in_review"
    review = report.reviews.get()
    assert (review.actor, review.action, review.from_status, review.to_status, review.reason) == (
        carol, "start_review", "submitted", "in_review", "Looking at install.js")
    assert review.created_at is not None
    assert not Threat.objects.exists()


def test_verify_creates_a_threat_from_the_report(analyst, alice):
    report = make_report(alice, source_ref="aws-helper-utils@1.2.3", severity="high")
    act(analyst, "start_review", [report])
    act(analyst, "verify", [report], reason="Confirmed exfiltration to webhook")
    report.refresh_from_db()
    assert report.status == "verified"
    threat = report.threat
    assert threat.reference.startswith("THR-") and threat.content_hash == HASH_A
    assert (threat.severity, threat.category, threat.reports_count, threat.recommended_action) == (
        "high", "credential_exfiltration", 1, "reject")
    assert [str(pv) for pv in threat.package_versions.all()] == ["npm:aws-helper-utils@1.2.3"]
    assert [r.action for r in report.reviews.all()] == ["start_review", "verify"]


def test_verifying_more_reports_strengthens_the_threat_but_never_lowers_severity(analyst, alice, bob):
    first = make_report(alice, severity="high")
    act(analyst, "verify", [first])
    threat = Threat.objects.get()
    last_seen = threat.last_seen
    weaker = make_report(bob, severity="low", source_ref="aws-helper-utilz@1.0.0")
    act(analyst, "verify", [weaker])
    threat.refresh_from_db()
    assert Threat.objects.count() == 1
    assert threat.severity == "high" and threat.reports_count == 2 and threat.last_seen >= last_seen
    assert threat.package_versions.count() == 2
    stronger = make_report(bob, severity="critical")
    act(analyst, "verify", [stronger])
    threat.refresh_from_db()
    assert threat.severity == "critical" and threat.reports_count == 3


def test_threat_references_are_numbered_per_year(analyst, alice):
    reports = [make_report(alice, source_hash=h) for h in (HASH_A, HASH_B)]
    act(analyst, "verify", reports)
    references = sorted(Threat.objects.values_list("reference", flat=True))
    year = Threat.objects.first().year
    assert references == [f"THR-{year}-0001", f"THR-{year}-0002"]


def test_reject_records_the_decision_and_leaves_threats_alone(analyst, alice):
    report = make_report(alice)
    act(analyst, "reject", [report], reason="Benign telemetry")
    report.refresh_from_db()
    assert report.status == "rejected" and report.threat is None
    assert report.reviews.get().reason == "Benign telemetry"
    assert not Threat.objects.exists()


def test_actions_need_a_reason(analyst, alice):
    report = make_report(alice)
    act(analyst, "verify", [report], reason="  ")
    report.refresh_from_db()
    assert report.status == "submitted" and not report.reviews.exists() and not Threat.objects.exists()


def test_a_decided_report_cannot_be_decided_again(analyst, alice):
    report = make_report(alice)
    act(analyst, "reject", [report])
    act(analyst, "verify", [report])
    report.refresh_from_db()
    assert report.status == "rejected" and report.reviews.count() == 1 and not Threat.objects.exists()


def test_report_without_hash_or_version_cannot_be_verified_until_the_analyst_names_one(analyst, alice):
    report = make_report(alice, source_ref="aws-helper-utils", source_hash="")
    act(analyst, "verify", [report])
    report.refresh_from_db()
    assert report.status == "submitted" and not Threat.objects.exists()
    response = analyst.post(f"/admin/intel/report/{report.pk}/change/",
                            {"ecosystem": "npm", "package_name": "AWS-Helper-Utils", "package_version": "1.2.3",
                             "change_reason": "The tarball name says which package"})
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.package_name == "aws-helper-utils"
    act(analyst, "verify", [report])
    report.refresh_from_db()
    assert report.status == "verified" and report.threat.package_versions.get().version == "1.2.3"


def test_review_history_is_append_only(analyst, alice):
    report = make_report(alice)
    act(analyst, "start_review", [report])
    review = ReportReview.objects.get()
    review.reason = "rewritten"
    with pytest.raises(ValueError):
        review.save()
    with pytest.raises(ValueError):
        review.delete()
    assert ReportReview.objects.get().reason == "Checked the tarball"
    assert analyst.post(f"/admin/intel/reportreview/{review.pk}/delete/", {"post": "yes"}).status_code in (403, 404)
    assert analyst.post(f"/admin/intel/report/{report.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Report.objects.exists()


def test_staff_without_the_analysts_group_cannot_act(client, alice):
    outsider = make_user("staff@example.com", is_staff=True)
    client.force_login(outsider)
    report = make_report(alice)
    assert client.get(CHANGELIST).status_code == 403
    act(client, "verify", [report])
    report.refresh_from_db()
    assert report.status == "submitted" and not Threat.objects.exists()


def test_regular_users_cannot_reach_the_admin(client, alice):
    client.force_login(alice)
    report = make_report(alice)
    response = act(client, "verify", [report])
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    report.refresh_from_db()
    assert report.status == "submitted"


PROMOTE = {
    "phase": "3", "name": "aws_creds_webhook", "description": "Reads AWS credentials and posts them",
    "pattern": r"\.aws/credentials", "severity": "critical", "weight": "10", "ecosystem": "npm",
    "file_globs": "*.js, package.json", "reason": "Generalises to the family",
}
EVIDENCE = ["install.js:3 fs.readFileSync(os.homedir() + '/.aws/credentials')", "install.js:9 https.request('https://hooks.example')"]


def test_analyst_promotes_a_report_into_a_signature(analyst, alice, carol):
    from signatures.models import Signature

    report = make_report(alice, evidence=EVIDENCE)
    act(analyst, "start_review", [report])
    url = f"/admin/intel/report/{report.pk}/promote/"
    assert analyst.get(url).status_code == 200
    response = analyst.post(url, PROMOTE)
    assert response.status_code == 302
    signature = Signature.objects.get(name="aws_creds_webhook")
    assert (signature.phase, signature.weight, signature.ecosystem, signature.origin, signature.origin_report) == (
        3, 10, "npm", "report", report.public_id)
    assert list(signature.file_globs) == ["*.js", "package.json"]
    promotion = report.reviews.get(action="promote")
    assert promotion.actor == carol and signature.public_id in promotion.reason


def test_promotion_shows_the_pattern_error_for_an_invalid_re2_pattern(analyst, alice):
    from signatures.models import Signature

    report = make_report(alice)
    act(analyst, "start_review", [report])
    response = analyst.post(f"/admin/intel/report/{report.pk}/promote/", {**PROMOTE, "pattern": r"(a)\1"})
    assert response.status_code == 200
    assert response.context["form"].errors.get("pattern")
    assert not Signature.objects.exists() and not report.reviews.filter(action="promote").exists()


def test_a_submitted_report_cannot_be_promoted_yet(analyst, alice):
    from signatures.models import Signature

    report = make_report(alice, evidence=EVIDENCE)
    response = analyst.post(f"/admin/intel/report/{report.pk}/promote/", PROMOTE)
    assert response.status_code == 302 and not Signature.objects.exists()


def test_promotion_needs_the_add_signature_permission(client, alice):
    from django.contrib.auth.models import Permission

    reviewer = make_user("reviewer@example.com", is_staff=True)
    reviewer.user_permissions.add(*Permission.objects.filter(codename__in=["view_report", "change_report"]))
    client.force_login(reviewer)
    report = make_report(alice)
    assert client.post(f"/admin/intel/report/{report.pk}/promote/", PROMOTE).status_code == 403


def test_a_new_hash_for_a_known_version_gets_its_own_threat(analyst, alice):
    act(analyst, "verify", [make_report(alice, source_hash=HASH_A)])
    act(analyst, "verify", [make_report(alice, source_hash=HASH_B)])
    assert sorted(Threat.objects.values_list("content_hash", flat=True)) == [HASH_A, HASH_B]
    assert all(t.package_versions.count() == 1 for t in Threat.objects.all())
