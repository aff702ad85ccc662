"""Reporter reputation, the self-sorting queue, and community scans weighted by account standing."""
from datetime import timedelta

import pytest
from django.utils import timezone

from intel import services
from intel.models import Publisher, Report, ReporterReputation
from intel.selectors import publisher_reputation, reporter_reputation
from tests.conftest import make_user
from tests.intel.factories import HASH_A, HASH_B, make_report, make_scan

pytestmark = pytest.mark.django_db


def decide(report, analyst, action):
    services.report_review(report=report, actor=analyst, action=action, reason="Checked")


def hashes(n):
    return [f"sha256:{i:064x}" for i in range(1, n + 1)]


def test_a_new_reporter_starts_neutral_and_decisions_move_it_within_bounds(alice, carol):
    assert reporter_reputation(user=alice) == 50
    first = make_report(alice, source_hash=HASH_A)
    decide(first, carol, "verify")
    assert reporter_reputation(user=alice) == 60
    for h in hashes(8):
        decide(make_report(alice, source_hash=h, source_ref="spam@1.0.0"), carol, "reject")
    low = reporter_reputation(user=alice)
    assert 0 <= low < 20


def test_a_burst_of_verified_reports_in_one_day_cannot_raise_reputation_past_the_daily_cap(alice, bob, carol):
    for h in hashes(8):
        decide(make_report(alice, source_hash=h, source_ref=f"pkg-{h[-4:]}@1.0.0"), carol, "verify")
    burst = reporter_reputation(user=alice)
    assert ReporterReputation.objects.get(user=alice).verified_credit == 2
    # The same decisions spread over days count in full.
    for day, h in enumerate(hashes(4)):
        report = make_report(bob, source_hash=h.replace("0", "b", 10), source_ref=f"other-{day}@1.0.0")
        Report.objects.filter(pk=report.pk).update(created_at=timezone.now() - timedelta(days=day))
        decide(report, carol, "verify")
    assert burst == 67 and reporter_reputation(user=bob) == 75


def test_reporter_reputation_is_never_in_the_api(alice_api, alice, carol):
    decide(make_report(alice), carol, "verify")
    body = alice_api.get("/v1/auth/me").content.decode()
    assert "reputation" not in body


def test_the_queue_is_sorted_by_priority_and_says_why(client, carol, alice, bob):
    client.force_login(carol)
    low = make_report(alice, severity="low", source_hash=HASH_B, source_ref="quiet@1.0.0")
    critical = make_report(alice, severity="critical", source_hash=HASH_A)
    # The same hash from a second reporter raises the first one's priority.
    make_report(bob, severity="medium", source_hash=HASH_A, source_ref="aws-helper-utils@1.2.3")
    old = make_report(bob, severity="low", source_hash="sha256:" + "c" * 64, source_ref="old@1.0.0")
    Report.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=80))
    response = client.get("/admin/intel/report/")
    html = response.content.decode()
    rows = [r.public_id for r in response.context["cl"].result_list]
    assert rows[0] == critical.public_id and rows[-1] == low.public_id
    assert "critical +40 · reporter 50 +0 · 2 reporter(s) +10 · 0 h old +0" in html
    assert "low +10 · reporter 50 +0 · 1 reporter(s) +0 · 80 h old +15" in html
    assert rows.index(old.public_id) < rows.index(low.public_id)


def test_a_trusted_reporter_comes_before_a_spammer(client, carol, alice, bob):
    client.force_login(carol)
    decide(make_report(alice, source_hash="sha256:" + "d" * 64, source_ref="x@1.0.0"), carol, "verify")
    for h in hashes(6):
        decide(make_report(bob, source_hash=h, source_ref="spam@1.0.0"), carol, "reject")
    trusted = make_report(alice, severity="high", source_hash=HASH_A)
    spammer = make_report(bob, severity="high", source_hash=HASH_B, source_ref="other@2.0.0")
    rows = [r.pk for r in client.get("/admin/intel/report/", {"status__exact": "submitted"}).context["cl"].result_list]
    assert rows.index(trusted.pk) < rows.index(spammer.pk)


def old_publisher():
    publisher = services.publisher_get_or_create(ecosystem="npm", name="honest-maintainer")
    Publisher.objects.filter(pk=publisher.pk).update(first_seen=timezone.now() - timedelta(days=400))
    services.package_version_record(ecosystem="npm", name="widely-used", version="3.1.0", publisher=publisher)
    publisher.refresh_from_db()
    return publisher


def test_a_swarm_of_fresh_free_accounts_cannot_defame_a_publisher(db):
    publisher = old_publisher()
    before = publisher_reputation(publisher=publisher)
    for n in range(5):
        swarm = make_user(f"sock{n}@example.com")  # free tier, created now, no history
        make_scan(swarm, score=95, ecosystem="npm", package_name="widely-used", package_version="3.1.0")
    after = publisher_reputation(publisher=publisher)
    assert after["score"] == before["score"] == 70
    assert "community_flagged" not in after["flags"]
    assert after["total_scans"] == 5


def test_accounts_with_standing_can_flag_a_publisher(db, carol):
    publisher = old_publisher()
    for n in range(3):
        user = make_user(f"veteran{n}@example.com")
        type(user).objects.filter(pk=user.pk).update(created_at=timezone.now() - timedelta(days=90))
        make_scan(user, score=95, ecosystem="npm", package_name="widely-used", package_version="3.1.0")
    reputation = publisher_reputation(publisher=publisher)
    assert "community_flagged" in reputation["flags"] and reputation["score"] == 70 - 6


def test_verified_reports_give_a_young_account_standing(db, carol):
    publisher = old_publisher()
    young = make_user("young@example.com")
    for h in (HASH_A, HASH_B):
        decide(make_report(young, source_hash=h, source_ref=f"bad-{h[-3:]}@1.0.0"), carol, "verify")
    make_scan(young, score=95, ecosystem="npm", package_name="widely-used", package_version="3.1.0")
    assert publisher_reputation(publisher=publisher)["score"] == 70 - 2
