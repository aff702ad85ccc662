"""One append-only audit trail for reports, threats, signatures and publishers: who, when, why, old -> new."""
import pytest
from django.test import Client

from intel import services
from intel.models import Publisher, Report, Threat
from signatures.models import Signature
from signatures.services import signature_update, signature_withdraw
from tests.conftest import make_user
from tests.intel.factories import make_report
from tests.intel.test_threat_admin import change_form
from tests.signatures.factories import make_signature

pytestmark = pytest.mark.django_db


@pytest.fixture
def analyst(client, carol):
    client.force_login(carol)
    return client


def page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def test_a_review_decision_is_an_audit_row_with_actor_email_reason_and_old_to_new(analyst, alice, carol):
    report = make_report(alice)
    services.report_review(report=report, actor=carol, action="start_review", reason="Looking at install.js")
    row = report.history.order_by("-history_date", "-history_id").first()
    assert row.history_type == "~" and row.history_change_reason == "Start review: Looking at install.js"
    html = page(analyst, f"/admin/intel/report/{report.pk}/change/")
    trail = html[html.index('class="audit-trail"'):]
    assert "Start review: Looking at install.js" in trail
    assert '<span class="audit-old">Submitted</span> &rarr; <span class="audit-new">In review</span>' in trail
    assert "Submitted by the reporter (POST /v1/report)." in trail


def test_admin_actions_record_the_analyst_as_actor(analyst, alice, carol):
    report = make_report(alice)
    analyst.post("/admin/intel/report/", {"action": "verify", "_selected_action": [report.pk], "reason": "Confirmed exfil"})
    report.refresh_from_db()
    assert report.status == "verified"
    latest = report.history.order_by("-history_id").first()
    assert latest.history_user == carol and latest.history_change_reason == "Verify: Confirmed exfil"
    threat_rows = list(report.threat.history.order_by("history_id"))
    assert threat_rows[0].history_type == "+"
    assert {(r.history_user, r.history_change_reason) for r in threat_rows} == {
        (carol, f"Verified report {report.public_id}: Confirmed exfil")}
    html = page(analyst, f"/admin/intel/threat/{report.threat.pk}/change/")
    assert "carol@example.com" in html and f"Verified report {report.public_id}: Confirmed exfil" in html


def test_a_report_submitted_through_the_api_names_the_reporter(alice_api, alice):
    response = alice_api.post_json("/v1/report", {
        "source_type": "npm", "source_ref": "evil-pkg@1.0.0", "category": "backdoor", "severity": "high",
        "description": "Opens a reverse shell",
    })
    assert response.status_code == 201
    row = Report.objects.get().history.get()
    assert row.history_user == alice and row.history_type == "+"


def test_editing_threat_text_in_admin_needs_a_reason_and_shows_old_and_new(analyst, alice, carol):
    report = make_report(alice)
    services.report_review(report=report, actor=carol, action="verify", reason="Confirmed")
    threat = Threat.objects.get()
    url = f"/admin/intel/threat/{threat.pk}/change/"
    fields = change_form(threat, description="Steals AWS keys and posts them to a webhook", change_reason="")
    response = analyst.post(url, fields)
    assert response.status_code == 200 and "change_reason" in response.context["adminform"].form.errors
    threat.refresh_from_db()
    assert threat.description == "Steals ~/.aws/credentials"
    response = analyst.post(url, {**fields, "change_reason": "Clearer advice for users"})
    assert response.status_code == 302
    html = page(analyst, url)
    assert ('<span class="audit-old">Steals ~/.aws/credentials</span> &rarr; '
            '<span class="audit-new">Steals AWS keys and posts them to a webhook</span>') in html
    assert "Clearer advice for users" in html


def test_signature_changes_and_withdrawal_are_in_its_trail(analyst, carol):
    signature = make_signature(pattern=r"eval\s*\(")
    signature_update(signature=signature, pattern=r"eval\s*\(\s*atob", reason="Too noisy on minified code")
    signature_withdraw(signature=Signature.objects.get(pk=signature.pk), reason="Superseded by sig_200")
    rows = list(signature.history.order_by("history_id"))
    assert [r.history_change_reason for r in rows] == ["Created.", "Too noisy on minified code", "Withdrawn: Superseded by sig_200"]
    assert all(r.history_user is None for r in rows)  # services outside a request: the system
    html = page(analyst, f"/admin/signatures/signature/{signature.pk}/change/")
    assert r'<span class="audit-old">eval\s*\(</span> &rarr; <span class="audit-new">eval\s*\(\s*atob</span>' in html
    assert '<span class="audit-old">Active</span> &rarr; <span class="audit-new">Withdrawn</span>' in html
    assert "system" in html
    # The History link shows the same trail instead of Django's "Changed Pattern."
    history = page(analyst, f"/admin/signatures/signature/{signature.pk}/history/")
    assert "Too noisy on minified code" in history and 'class="audit-trail"' in history


def test_publishers_first_seen_is_recorded(analyst):
    publisher = services.publisher_get_or_create(ecosystem="npm", name="Someone")
    assert services.publisher_get_or_create(ecosystem="npm", name="someone") == publisher
    row = Publisher.objects.get().history.get()
    assert row.history_change_reason == "First seen in registry metadata." and row.display_name == "Someone"
    assert "First seen in registry metadata." in page(analyst, f"/admin/intel/publisher/{publisher.pk}/change/")


@pytest.mark.parametrize("model", ["intel/historicalreport", "intel/historicalthreat", "intel/historicalpublisher",
                                   "signatures/historicalsignature"])
def test_nobody_can_edit_or_delete_audit_rows_in_admin(model, alice):
    root = make_user("root@example.com", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(root)
    report = make_report(alice)
    row = report.history.get()
    for url in (f"/admin/{model}/", f"/admin/{model}/{row.pk}/change/", f"/admin/{model}/{row.pk}/delete/"):
        assert client.get(url).status_code == 404
        assert client.post(url, {"post": "yes", "history_change_reason": "rewritten"}).status_code == 404
    assert report.history.get().history_change_reason == "Submitted by the reporter (POST /v1/report)."
