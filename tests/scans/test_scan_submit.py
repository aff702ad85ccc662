import pytest
from django.utils import timezone

from intel import services as intel_services
from scans.models import DailyScanCount, Scan
from tests.conftest import Api, make_user
from tests.intel.factories import HASH_A, HASH_B, make_scan, scan_body, verified_threat

pytestmark = pytest.mark.django_db

URL = "/v1/scan"


def test_valid_scan_is_stored_and_answered_with_201(alice_api, alice):
    body = scan_body(15)
    response = alice_api.post_json(URL, body)
    assert response.status_code == 201
    data = response.json()
    assert data["scan_id"].startswith("scn_") and len(data["scan_id"]) == 16
    assert data["quarantine_id"] == body["quarantine_id"]
    assert (data["score"], data["verdict"], data["threats"], data["publisher"]) == (15, "medium", [], None)
    assert data["created_at"].endswith("Z")
    scan = Scan.objects.get(public_id=data["scan_id"])
    assert scan.user == alice and scan.source_hash == HASH_A and scan.cli_version == "0.1.0"
    assert [p["phase"] for p in scan.phases] == [1, 2, 3, 4, 5, 6]
    assert scan.phases[1]["findings"] == ["eval() in src/utils.py:42"]
    assert scan.file_stats == body["file_stats"]
    assert (scan.ecosystem, scan.package_name) == ("github", "someone/example-repo")
    assert response["X-RateLimit-Limit"] == "120"


def test_scan_without_token_is_401(api):
    response = api.post_json(URL, scan_body())
    assert response.status_code == 401
    assert response.json()["code"] == "UNAUTHORIZED"
    assert not Scan.objects.exists()


@pytest.mark.parametrize("field", ["quarantine_id", "source_type", "source_ref", "score", "verdict", "phases"])
def test_scan_missing_required_field_is_422(alice_api, field):
    body = scan_body()
    del body[field]
    response = alice_api.post_json(URL, body)
    assert response.status_code == 422
    assert response.json()["code"] == "VALIDATION_ERROR" and field in response.json()["errors"]


@pytest.mark.parametrize("override", [
    {"score": "15"},
    {"phases": "all"},
    {"phases": ["phase one"]},
    {"source_hash": 12},
    {"file_stats": [1, 2]},
])
def test_scan_with_wrong_json_types_is_422(alice_api, override):
    response = alice_api.post_json(URL, {**scan_body(), **override})
    assert response.status_code == 422
    assert not Scan.objects.exists()


def _with_phase(body, index, **changes):
    body["phases"][index] = {**body["phases"][index], **changes}
    return body


@pytest.mark.parametrize("make_body, field", [
    (lambda: scan_body(verdict="severe"), "verdict"),
    (lambda: scan_body(source_type="svn"), "source_type"),
    (lambda: scan_body(source_hash="md5:abc"), "source_hash"),
    (lambda: scan_body(source_hash="sha256:" + "g" * 64), "source_hash"),
    (lambda: scan_body(score=15, verdict="low"), "verdict"),
    (lambda: {**scan_body(15), "score": 16}, "score"),
    (lambda: _with_phase(scan_body(), 0, phase=7), "phases.0.phase"),
    (lambda: _with_phase(scan_body(), 0, name="install"), "phases.0.name"),
    (lambda: _with_phase(scan_body(), 0, name="code_patterns"), "phases.0.name"),
    (lambda: _with_phase(scan_body(), 0, phase=2, name="code_patterns"), "phases"),
    (lambda: _with_phase(scan_body(), 2, score=-1), "phases.2.score"),
    (lambda: scan_body(file_stats={"python": -3}), "file_stats"),
    (lambda: scan_body(quarantine_id=""), "quarantine_id"),
])
def test_scan_with_invalid_values_is_400(alice_api, make_body, field):
    response = alice_api.post_json(URL, make_body())
    assert response.status_code == 400, response.json()
    body = response.json()
    assert body["code"] == "BAD_REQUEST" and field in body["errors"]
    assert not Scan.objects.exists()


def test_scan_with_seven_phases_is_400(alice_api):
    body = scan_body()
    body["phases"].append({"phase": 6, "name": "provenance", "score": 0, "findings": []})
    assert alice_api.post_json(URL, body).status_code == 400


def test_scan_with_a_subset_of_phases_is_accepted(alice_api):
    body = scan_body(0)
    body["phases"] = body["phases"][:3]
    assert alice_api.post_json(URL, body).status_code == 201


def test_hash_without_prefix_and_in_upper_case_is_stored_normalised(alice_api):
    response = alice_api.post_json(URL, scan_body(source_hash="B" * 64))
    assert response.status_code == 201
    assert Scan.objects.get().source_hash == HASH_B


def test_body_over_one_megabyte_is_413(alice_api):
    body = scan_body(findings_padding="x" * (1024 * 1024))
    response = alice_api.post_json(URL, body)
    assert response.status_code == 413
    assert response.json()["code"] == "PAYLOAD_TOO_LARGE"


def test_same_quarantine_id_again_returns_the_stored_scan(alice_api):
    body = scan_body(15)
    first = alice_api.post_json(URL, body)
    second = alice_api.post_json(URL, scan_body(0, quarantine_id=body["quarantine_id"]))
    assert second.status_code == 201
    assert second.json()["scan_id"] == first.json()["scan_id"]
    assert second.json()["score"] == 15
    assert second["Idempotent-Replayed"] == "true"
    assert Scan.objects.count() == 1


def test_same_quarantine_id_from_another_user_is_a_separate_scan(alice_api, bob_api):
    body = scan_body()
    first = alice_api.post_json(URL, body).json()["scan_id"]
    second = bob_api.post_json(URL, body).json()["scan_id"]
    assert first != second and Scan.objects.count() == 2


def _seconds_to_utc_midnight():
    from scans.services import next_utc_midnight

    now = timezone.now()
    return int((next_utc_midnight(now) - now).total_seconds())


@pytest.mark.parametrize("tier, limit", [("free", 50), ("pro", 500)])
def test_daily_scan_quota_per_tier_is_429_until_utc_midnight(db, tier, limit):
    user = make_user(f"{tier}@example.com", tier=tier)
    client = Api().as_user(user)
    yesterday = timezone.now() - timezone.timedelta(days=1, minutes=1)
    make_scan(user, created_at=yesterday)  # yesterday's scans do not count
    Scan.objects.bulk_create([
        Scan(user=user, quarantine_id=f"today{n}", source_type="local", source_ref=".", score=0, verdict="clean")
        for n in range(limit - 1)
    ])
    assert client.post_json(URL, scan_body()).status_code == 201  # the last one of today
    before = _seconds_to_utc_midnight()
    response = client.post_json(URL, scan_body())
    after = _seconds_to_utc_midnight()
    assert response.status_code == 429
    assert response.json()["code"] == "RATE_LIMITED"
    assert after - 1 <= int(response["Retry-After"]) <= before + 1
    assert Scan.objects.filter(user=user).count() == limit + 1


def test_replaying_a_stored_scan_at_the_quota_is_not_rate_limited(db):
    user = make_user("free@example.com", tier="free")
    client = Api().as_user(user)
    Scan.objects.bulk_create([
        Scan(user=user, quarantine_id=f"today{n}", source_type="local", source_ref=".", score=0, verdict="clean")
        for n in range(49)
    ])
    body = scan_body()
    assert client.post_json(URL, body).status_code == 201  # the 50th of today
    assert client.post_json(URL, scan_body()).status_code == 429
    replay = client.post_json(URL, body)
    assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true"
    assert DailyScanCount.objects.get(user=user).used == 50


def test_a_replay_spends_no_quota(db):
    user = make_user("free@example.com", tier="free")
    client = Api().as_user(user)
    body = scan_body()
    for _ in range(3):
        assert client.post_json(URL, body).status_code == 201
    assert DailyScanCount.objects.get(user=user).used == 1


def test_yesterdays_scans_and_counter_do_not_limit_today(db):
    user = make_user("free@example.com", tier="free")
    client = Api().as_user(user)
    yesterday = timezone.now() - timezone.timedelta(days=1, minutes=1)
    Scan.objects.bulk_create([
        Scan(user=user, quarantine_id=f"old{n}", source_type="local", source_ref=".", score=0, verdict="clean",
             created_at=yesterday)
        for n in range(50)
    ])
    DailyScanCount.objects.create(user=user, day=yesterday.date(), used=50)
    assert client.post_json(URL, scan_body()).status_code == 201
    assert DailyScanCount.objects.get(user=user, day=timezone.now().date()).used == 1


def test_scan_lists_threats_matching_its_hash(alice_api, bob, carol):
    threat = verified_threat(bob, carol, source_hash=HASH_A, severity="high", description="Known exfiltration")
    response = alice_api.post_json(URL, scan_body(source_hash=HASH_A.upper().removeprefix("SHA256:")))
    assert response.status_code == 201
    assert response.json()["threats"] == [{
        "hash": HASH_A, "reference": threat.reference, "severity": "high", "category": "credential_exfiltration",
        "description": "Known exfiltration", "reported_at": response.json()["threats"][0]["reported_at"],
        "reports_count": 1,
    }]


@pytest.mark.parametrize("source_type, source_ref, ecosystem, name, version", [
    ("pip", "Requests_Toolbelt==1.0.0", "pypi", "requests-toolbelt", "1.0.0"),
    ("npm", "aws-helper-utils@1.2.3", "npm", "aws-helper-utils", "1.2.3"),
    ("npm", "@Evil/Pkg@2.0.0", "npm", "@evil/pkg", "2.0.0"),
    ("url", "https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz", "npm", "left-pad", "1.3.0"),
    ("url", "https://pypi.org/project/Django/5.2/", "pypi", "django", "5.2"),
])
def test_scan_lists_threats_for_the_scanned_package_version_and_its_publisher(alice_api, bob, carol, source_type, source_ref,
                                                                                ecosystem, name, version):
    publisher = intel_services.publisher_get_or_create(ecosystem=ecosystem, name="Suspicious-Author")
    intel_services.package_version_record(ecosystem=ecosystem, name=name, version=version, publisher=publisher)
    report_type = "pip" if ecosystem == "pypi" else "npm"
    threat = verified_threat(bob, carol, source_type=report_type,
                             source_ref=f"{name}=={version}" if ecosystem == "pypi" else f"{name}@{version}", source_hash="")
    response = alice_api.post_json(URL, scan_body(source_type=source_type, source_ref=source_ref, source_hash=HASH_B))
    assert response.status_code == 201
    body = response.json()
    assert [t["reference"] for t in body["threats"]] == [threat.reference]
    assert body["threats"][0]["hash"] is None
    assert body["publisher"]["id"] == publisher.public_id
    assert body["publisher"]["name"] == "Suspicious-Author"
    assert body["publisher"]["total_packages"] == 1 and body["publisher"]["flagged_packages"] == 1
    assert 0 <= body["publisher"]["reputation"] < 50
    scan = Scan.objects.get(public_id=body["scan_id"])
    assert (scan.ecosystem, scan.package_name, scan.package_version) == (ecosystem, name, version)


def test_scan_of_another_version_does_not_list_the_threat(alice_api, bob, carol):
    verified_threat(bob, carol, source_type="npm", source_ref="aws-helper-utils@1.2.3", source_hash="")
    response = alice_api.post_json(URL, scan_body(source_type="npm", source_ref="aws-helper-utils@1.2.4"))
    assert response.status_code == 201 and response.json()["threats"] == []


def test_pruning_deletes_quota_counters_of_past_days_only(db):
    from scans.tasks import prune_daily_scan_counts

    user = make_user("free@example.com", tier="free")
    today = timezone.now().date()
    for days_ago in (0, 1, 2, 30):
        DailyScanCount.objects.create(user=user, day=today - timezone.timedelta(days=days_ago), used=days_ago)
    assert prune_daily_scan_counts.delay().get() == 2
    assert sorted(DailyScanCount.objects.values_list("used", flat=True)) == [0, 1]
