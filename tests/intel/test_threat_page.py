import pytest

from tests.intel.factories import HASH_A, make_report, verified_threat

pytestmark = pytest.mark.django_db


def test_threat_page_shows_the_threat_without_the_reporter(client, alice, carol):
    threat = verified_threat(alice, carol, source_ref="aws-helper-utils@1.2.3", description="Steals credentials")
    response = client.get(f"/threats/{threat.reference}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert threat.reference in html and HASH_A in html and "Steals credentials" in html
    assert "aws-helper-utils" in html and "1.2.3" in html
    for private in ("alice", "Alice", alice.public_id, "carol", "Confirmed by analysis", threat.reports.get().public_id):
        assert private not in html


def test_threat_page_escapes_reported_text(client, alice, carol):
    threat = verified_threat(alice, carol, description='<script>alert("x")</script><img src=x onerror=alert(1)>')
    html = client.get(f"/threats/{threat.reference}").content.decode()
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


def test_unknown_threat_page_is_404(client):
    assert client.get("/threats/THR-2026-9999").status_code == 404


def test_threat_page_of_an_unverified_report_does_not_exist(client, alice):
    make_report(alice)
    assert client.get("/threats/THR-2026-0001").status_code == 404


def test_references_link_to_the_public_page(alice_api, alice, carol, settings, client):
    settings.SIGIL_PUBLIC_URL = "https://sigil.example"
    threat = verified_threat(alice, carol)
    reference = alice_api.get(f"/v1/threat/{HASH_A}").json()["references"][0]
    assert reference == f"https://sigil.example/threats/{threat.reference}"
    assert client.get(reference.removeprefix("https://sigil.example")).status_code == 200
