import re

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from signatures.admin import MAX_TEST_TEXT_BYTES
from signatures.constants import Severity, SignatureStatus
from signatures.models import Signature
from tests.conftest import make_user
from tests.signatures.factories import make_signature

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/signatures/signature/"
ADD = "/admin/signatures/signature/add/"
TEST_PATTERN = "/admin/signatures/signature/test-pattern/"
ANALYST_PERMISSIONS = ["add_signature", "change_signature", "view_signature"]


@pytest.fixture
def analyst(carol):
    """carol with the signature permissions the Analysts group grants."""
    carol.user_permissions.add(*Permission.objects.filter(content_type__app_label="signatures", codename__in=ANALYST_PERMISSIONS))
    return carol


@pytest.fixture
def analyst_client(analyst):
    client = Client()
    client.force_login(analyst)
    return client


def form_data(**overrides):
    data = {
        "phase": "3", "name": "webhook_exfil", "description": "Posts to a webhook",
        "pattern": r"discord(app)?\.com/api/webhooks", "severity": str(Severity.HIGH.value), "weight": "6",
        "ecosystem": "generic", "file_globs": "*.js\n*.py", "change_reason": "Covers the webhook family",
    }
    data.update(overrides)
    return data


def test_analyst_creates_a_signature_through_the_admin(analyst_client):
    response = analyst_client.post(ADD, form_data())
    assert response.status_code == 302
    signature = Signature.objects.get()
    assert (signature.public_id, signature.name, signature.severity, signature.file_globs) == (
        "sig_001", "webhook_exfil", Severity.HIGH, ["*.js", "*.py"])
    assert signature.change_seq > 0


def test_invalid_pattern_is_shown_on_the_admin_form(analyst_client):
    response = analyst_client.post(ADD, form_data(pattern="discord(app"))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "missing )" in " ".join(errors["pattern"])
    assert b"missing )" in response.content
    assert Signature.objects.count() == 0


def test_editing_in_the_admin_bumps_updated_at_and_the_feed_position(analyst_client):
    signature = make_signature()
    before_seq, before_at = signature.change_seq, signature.updated_at
    data = form_data(phase=str(signature.phase), name=signature.name, description=signature.description,
                     pattern=signature.pattern, severity=str(signature.severity), weight="9",
                     ecosystem=signature.ecosystem, file_globs="*.js")
    response = analyst_client.post(f"{CHANGELIST}{signature.pk}/change/", data)
    assert response.status_code == 302
    stored = Signature.objects.get(pk=signature.pk)
    assert stored.weight == 9
    assert stored.change_seq > before_seq
    assert stored.updated_at >= before_at


def test_withdraw_action_withdraws_selected_signatures(analyst_client):
    one, two = make_signature(), make_signature()
    selected = {"action": "withdraw_selected", "_selected_action": [one.pk]}
    # First a confirmation page that names what goes and asks why; nothing is withdrawn yet.
    response = analyst_client.post(CHANGELIST, selected)
    assert response.status_code == 200 and one.public_id in response.content.decode()
    assert "Reason (required)" in response.content.decode()
    assert Signature.objects.get(pk=one.pk).status == SignatureStatus.ACTIVE
    response = analyst_client.post(CHANGELIST, {**selected, "confirm": "yes", "reason": " "})
    assert response.status_code == 200 and response.context["form"].errors["reason"]
    assert Signature.objects.get(pk=one.pk).status == SignatureStatus.ACTIVE
    response = analyst_client.post(CHANGELIST, {**selected, "confirm": "yes", "reason": "False positives on webpack"})
    assert response.status_code == 302
    withdrawn = Signature.objects.get(pk=one.pk)
    assert withdrawn.status == SignatureStatus.WITHDRAWN and withdrawn.withdrawn_reason == "False positives on webpack"
    assert Signature.objects.get(pk=two.pk).status == SignatureStatus.ACTIVE


def test_withdraw_action_needs_change_permission(carol):
    carol.user_permissions.add(Permission.objects.get(content_type__app_label="signatures", codename="view_signature"))
    carol.user_permissions.remove(Permission.objects.get(content_type__app_label="signatures", codename="change_signature"))
    carol.groups.clear()
    client = Client()
    client.force_login(carol)
    signature = make_signature()
    client.post(CHANGELIST, {"action": "withdraw_selected", "_selected_action": [signature.pk]})
    assert Signature.objects.get(pk=signature.pk).status == SignatureStatus.ACTIVE


def test_signatures_cannot_be_deleted_only_withdrawn(analyst_client, analyst):
    signature = make_signature()
    response = analyst_client.post(f"{CHANGELIST}{signature.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert Signature.objects.filter(pk=signature.pk).exists()


def test_changelist_filters_and_searches(analyst_client):
    make_signature(name="alpha_rule", phase=1, severity="critical")
    make_signature(name="beta_rule", phase=2, severity="low")
    assert b"beta_rule" not in analyst_client.get(CHANGELIST, {"phase__exact": "1"}).content
    assert b"alpha_rule" in analyst_client.get(CHANGELIST, {"severity__exact": str(Severity.CRITICAL.value)}).content
    found = analyst_client.get(CHANGELIST, {"q": "beta"})
    assert b"beta_rule" in found.content and b"alpha_rule" not in found.content


def test_test_pattern_view_shows_the_matching_lines(analyst_client):
    text = "import os\nrequests.post('https://discord.com/api/webhooks/1')\nprint('ok')\nurl = 'discordapp.com/api/webhooks/2'\n"
    response = analyst_client.post(TEST_PATTERN, {"pattern": r"discord(app)?\.com/api/webhooks", "text": text})
    assert response.status_code == 200
    assert response.context["lines"] == [
        (2, "requests.post('https://discord.com/api/webhooks/1')"),
        (4, "url = 'discordapp.com/api/webhooks/2'"),
    ]
    assert b"2 matching lines" in response.content


def test_test_pattern_view_uses_line_anchors_like_the_engine(analyst_client):
    response = analyst_client.post(TEST_PATTERN, {"pattern": r"^eval", "text": "x = 1\neval(y)\n  eval(z)"})
    assert response.context["lines"] == [(2, "eval(y)")]


def test_test_pattern_view_reports_an_invalid_pattern(analyst_client):
    response = analyst_client.post(TEST_PATTERN, {"pattern": "(unclosed", "text": "anything"})
    assert response.status_code == 200
    assert "missing )" in " ".join(response.context["form"].errors["pattern"])
    assert response.context["ran"] is False


def test_test_pattern_view_refuses_text_over_the_limit(analyst_client):
    response = analyst_client.post(TEST_PATTERN, {"pattern": "a", "text": "a" * (MAX_TEST_TEXT_BYTES + 1)})
    assert response.status_code == 200
    assert "text" in response.context["form"].errors
    assert response.context["ran"] is False


def test_test_pattern_view_prefills_a_signature_pattern(analyst_client):
    signature = make_signature(pattern=r"pickle\.loads")
    response = analyst_client.get(TEST_PATTERN, {"signature": signature.public_id})
    assert response.status_code == 200
    assert response.context["form"].initial["pattern"] == r"pickle\.loads"


def test_test_pattern_view_is_staff_only(alice):
    client = Client()
    client.force_login(alice)
    response = client.get(TEST_PATTERN)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_test_pattern_view_needs_view_permission():
    staff = make_user("dave@example.com", is_staff=True)
    client = Client()
    client.force_login(staff)
    assert client.post(TEST_PATTERN, {"pattern": "a", "text": "a"}).status_code == 403


def test_the_admin_form_offers_tags_as_a_multiple_choice_of_the_vocabulary(analyst_client):
    page = analyst_client.get(ADD)
    assert b'type="checkbox" name="tags" value="exec"' in page.content
    assert b'value="browser-store"' in page.content

    response = analyst_client.post(ADD, form_data(tags=["exec", "bot-channel"]))
    assert response.status_code == 302
    assert Signature.objects.get().tags == ["exec", "bot-channel"]


def test_the_admin_form_refuses_a_tag_outside_the_vocabulary(analyst_client):
    response = analyst_client.post(ADD, form_data(tags=["exec", "made-up"]))
    assert response.status_code == 200
    assert "tags" in response.context["adminform"].form.errors
    assert Signature.objects.count() == 0


def test_withdraw_from_the_signature_page_confirms_and_shows_the_tombstone(analyst_client):
    signature = make_signature()
    page = analyst_client.get(f"{CHANGELIST}{signature.pk}/change/").content.decode()
    withdraw_url = f"{CHANGELIST}{signature.pk}/withdraw/"
    assert f'href="{withdraw_url}"' in page
    assert "Yes, withdraw" in analyst_client.get(withdraw_url).content.decode()
    assert analyst_client.post(withdraw_url, {"reason": ""}).status_code == 200
    assert Signature.objects.get(pk=signature.pk).is_active
    response = analyst_client.post(withdraw_url, {"reason": "Superseded by a tighter rule"})
    assert response.status_code == 302
    page = analyst_client.get(f"{CHANGELIST}{signature.pk}/change/").content.decode()
    assert "Superseded by a tighter rule. Clients received it as a tombstone." in page
    assert f'href="{withdraw_url}"' not in page


def test_the_signature_form_uses_choices_and_a_glob_list_and_keeps_origin_read_only(analyst_client):
    page = analyst_client.get(ADD).content.decode()
    assert '<select name="phase"' in page and "3 · network_exfil" in page and '<select name="severity"' in page
    assert '<textarea name="file_globs"' in page and 'name="origin"' not in page
    response = analyst_client.post(ADD, form_data(origin="report", origin_report="rpt_forged000000"))
    assert response.status_code == 302
    signature = Signature.objects.get()
    assert (signature.origin, signature.origin_report, signature.file_globs) == ("builtin", "", ["*.js", "*.py"])


def test_a_signature_from_a_report_links_to_the_report_admin_page(analyst_client, bob):
    from tests.intel.factories import make_report

    report = make_report(bob)
    signature = make_signature(origin="report", origin_report=report.public_id)
    page = analyst_client.get(f"{CHANGELIST}{signature.pk}/change/").content.decode()
    assert f'href="/admin/intel/report/{report.pk}/change/"' in page and report.public_id in page

    signature = make_signature(origin="report", origin_report="rpt_gone00000000")
    page = analyst_client.get(f"{CHANGELIST}{signature.pk}/change/").content.decode()
    assert "rpt_gone00000000" in page and not re.search(r'href="/admin/intel/report/\d+/change/"', page)
