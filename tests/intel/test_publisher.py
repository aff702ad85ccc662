from datetime import timedelta

import pytest
from django.utils import timezone

from intel import services
from intel.models import Publisher
from intel.selectors import publisher_reputation
from tests.conftest import make_user
from tests.intel.factories import make_scan, verified_threat

pytestmark = pytest.mark.django_db


def established(email: str, days: int = 60):
    """An account with some history: old enough for its community scans to count (standing 0.5)."""
    user = make_user(email)
    type(user).objects.filter(pk=user.pk).update(created_at=timezone.now() - timedelta(days=days))
    return user


def old_publisher(ecosystem="npm", name="suspicious-author") -> Publisher:
    publisher = services.publisher_get_or_create(ecosystem=ecosystem, name=name)
    Publisher.objects.filter(pk=publisher.pk).update(first_seen=timezone.now() - timedelta(days=400))
    publisher.refresh_from_db()
    return publisher


def test_publisher_returns_reputation_and_packages(alice_api, bob, carol):
    publisher = services.publisher_get_or_create(ecosystem="npm", name="Suspicious-Author")
    for name, version in [("aws-helper-utils", "1.2.3"), ("aws-helper-utilz", "1.0.0"), ("string-utils-fast", "2.0.1")]:
        services.package_version_record(ecosystem="npm", name=name, version=version, publisher=publisher)
    verified_threat(bob, carol, source_ref="aws-helper-utils@1.2.3", severity="critical")
    verified_threat(bob, carol, source_ref="aws-helper-utilz@1.0.0", source_hash="", severity="critical")
    make_scan(bob, score=0, ecosystem="npm", package_name="string-utils-fast", package_version="2.0.1")
    make_scan(carol, score=20, ecosystem="npm", package_name="string-utils-fast", package_version="2.0.1")

    response = alice_api.get("/v1/publisher/suspicious-author?ecosystem=npm")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == publisher.public_id and body["name"] == "Suspicious-Author" and body["ecosystem"] == "npm"
    assert (body["total_packages"], body["flagged_packages"], body["total_scans"]) == (3, 2, 2)
    assert body["average_risk_score"] == 10.0
    assert body["reputation_score"] == 0 and body["reputation_label"] == "low"
    assert {"multiple_flagged_packages", "new_account"} <= set(body["flags"])
    assert body["first_seen"].endswith("Z")
    assert body["packages"] == [
        {"name": "aws-helper-utils", "version": "1.2.3", "verdict": "critical", "scans": 0},
        {"name": "aws-helper-utilz", "version": "1.0.0", "verdict": "critical", "scans": 0},
        {"name": "string-utils-fast", "version": "2.0.1", "verdict": "medium", "scans": 2},
    ]


def test_publisher_can_be_looked_up_by_public_id(alice_api):
    publisher = old_publisher()
    response = alice_api.get(f"/v1/publisher/{publisher.public_id}")
    assert response.status_code == 200 and response.json()["id"] == publisher.public_id


def test_publisher_with_no_history_is_neutral(alice_api):
    old_publisher(ecosystem="pypi", name="quiet-dev")
    body = alice_api.get("/v1/publisher/Quiet-Dev?ecosystem=pypi").json()
    assert body["reputation_score"] == 70 and body["reputation_label"] == "high"
    assert body["flags"] == [] and body["packages"] == [] and body["average_risk_score"] is None


def test_publisher_in_another_ecosystem_is_404(alice_api):
    old_publisher(ecosystem="npm", name="someone")
    response = alice_api.get("/v1/publisher/someone?ecosystem=pypi")
    assert response.status_code == 404
    assert response.json() == {"detail": "Publisher not found", "code": "NOT_FOUND", "status": 404}


def test_unknown_publisher_is_404(alice_api):
    assert alice_api.get("/v1/publisher/nobody").status_code == 404


def test_publisher_with_an_unknown_ecosystem_is_400(alice_api):
    old_publisher()
    assert alice_api.get("/v1/publisher/suspicious-author?ecosystem=cargo").status_code == 400


def test_publisher_without_token_is_401(api):
    old_publisher()
    assert api.get("/v1/publisher/suspicious-author").status_code == 401


def test_typosquatted_package_names_lower_reputation(db):
    publisher = old_publisher(ecosystem="pypi")
    baseline = publisher_reputation(publisher=publisher)["score"]
    services.package_version_record(ecosystem="pypi", name="reqeusts", version="1.0", publisher=publisher)
    reputation = publisher_reputation(publisher=publisher)
    assert "typosquat_pattern" in reputation["flags"]
    assert reputation["score"] == baseline - 15


def test_real_popular_names_are_not_typosquats(db):
    publisher = old_publisher(ecosystem="pypi")
    services.package_version_record(ecosystem="pypi", name="requests", version="2.31.0", publisher=publisher)
    assert "typosquat_pattern" not in publisher_reputation(publisher=publisher)["flags"]


def test_new_publisher_is_flagged_as_new_account(db):
    publisher = services.publisher_get_or_create(ecosystem="npm", name="fresh")
    reputation = publisher_reputation(publisher=publisher)
    assert "new_account" in reputation["flags"] and reputation["score"] == 60


def test_one_account_with_a_thousand_critical_scans_weighs_as_much_as_one_scan(db):
    publisher = old_publisher()
    services.package_version_record(ecosystem="npm", name="victim-lib", version="1.0.0", publisher=publisher)
    mallory = established("mallory@example.com")
    make_scan(mallory, score=90, ecosystem="npm", package_name="victim-lib", package_version="1.0.0")
    after_one = publisher_reputation(publisher=publisher)
    from scans.models import Scan

    Scan.objects.bulk_create([
        Scan(user=mallory, quarantine_id=f"flood{n}", source_type="npm", source_ref="victim-lib@1.0.0", score=90,
             verdict="critical", ecosystem="npm", package_name="victim-lib", package_version="1.0.0")
        for n in range(999)
    ])
    after_thousand = publisher_reputation(publisher=publisher)
    assert after_thousand["total_scans"] == 1000
    assert after_thousand["score"] == after_one["score"]
    assert after_thousand["average_risk_score"] == after_one["average_risk_score"]
    assert after_one["score"] == 70 - 2  # one blocking account of standing 0.5


def test_distinct_accounts_move_reputation_up_to_a_cap(db):
    publisher = old_publisher()
    services.package_version_record(ecosystem="npm", name="victim-lib", version="1.0.0", publisher=publisher)
    scores = []
    for n in range(8):
        make_scan(established(f"u{n}@example.com"), score=90, ecosystem="npm", package_name="victim-lib")
        scores.append(publisher_reputation(publisher=publisher)["score"])
    assert scores == [68, 66, 64, 62, 60, 58, 56, 54]
    assert "community_flagged" in publisher_reputation(publisher=publisher)["flags"]


def test_failed_verifications_lower_reputation_once_per_package_version(db, alice):
    from marketplace.models import Verification

    publisher = old_publisher()
    baseline = publisher_reputation(publisher=publisher)["score"]
    for _ in range(3):
        Verification.objects.create(owner=alice, source_type="npm", source_ref="victim-lib", source_version="1.0.0",
                                    status="failed", verdict="critical", score=60, publisher=publisher)
    reputation = publisher_reputation(publisher=publisher)
    assert reputation["score"] == baseline - 10
    assert "failed_verifications" in reputation["flags"]
