"""Redis or PostgreSQL going away: a 503 envelope (never a 500 with a traceback), then recovery."""
import psycopg
import pytest
from django.db import connection

from scans.models import Scan
from sigil.api.authentication import issue_access_token
from tests.conftest import make_user
from tests.production.live import assert_clean_error

pytestmark = pytest.mark.needs_services

SCAN = {
    "quarantine_id": "20260215_143000_outage",
    "source_type": "git",
    "source_ref": "https://github.com/someone/example-repo",
    "score": 0,
    "verdict": "clean",
    "phases": [{"phase": n, "name": name, "score": 0, "findings": []} for n, name in enumerate(
        ["install_hooks", "code_patterns", "network_exfil", "credentials", "obfuscation", "provenance"], start=1)],
}


def test_redis_down_answers_503_envelopes_and_the_api_recovers_when_it_returns(live_server_factory, throwaway_redis):
    token = issue_access_token(make_user("outage@example.com", tier="pro"))
    server = live_server_factory(REDIS_URL=throwaway_redis.url)
    assert server.get("/v1/auth/me", token=token).status_code == 200
    assert server.get("/healthz").status_code == 200

    throwaway_redis.kill()
    assert_clean_error(server.get("/v1/auth/me", token=token), 503, "SERVICE_UNAVAILABLE")
    assert_clean_error(server.get("/v1/ping", token=token), 503, "SERVICE_UNAVAILABLE")
    assert_clean_error(server.post("/v1/scan", SCAN, token=token), 503, "SERVICE_UNAVAILABLE")
    assert_clean_error(server.get("/healthz"), 503, "SERVICE_UNAVAILABLE")
    # Rate limits could not be counted, so nothing was let through to be stored.
    assert not Scan.objects.filter(quarantine_id=SCAN["quarantine_id"]).exists()

    throwaway_redis.start()
    assert server.get("/healthz").status_code == 200
    me = server.get("/v1/auth/me", token=token)
    assert me.status_code == 200
    assert me.json()["email"] == "outage@example.com"
    assert me.headers["X-RateLimit-Limit"] == "120"
    assert server.post("/v1/scan", SCAN, token=token).status_code == 201
    assert Scan.objects.filter(quarantine_id=SCAN["quarantine_id"]).count() == 1


def _terminate_server_connections() -> int:
    """Kill every other backend on the test database, as a failover or a restart would."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def _allow_connections(allowed: bool):
    """Open or close the test database to new connections (run from the maintenance database)."""
    db = connection.settings_dict
    name = connection.ops.quote_name(db["NAME"])
    with psycopg.connect(dbname="postgres", user=db["USER"], password=db["PASSWORD"] or None,
                         host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, autocommit=True) as admin:
        admin.execute(f"ALTER DATABASE {name} WITH ALLOW_CONNECTIONS {'true' if allowed else 'false'}")


def test_dropped_database_connections_fail_cleanly_and_the_next_requests_succeed(live_server_factory):
    token = issue_access_token(make_user("dropped@example.com", tier="pro"))
    server = live_server_factory()
    assert server.get("/v1/auth/me", token=token).status_code == 200  # a persistent connection now exists

    assert _terminate_server_connections() >= 1
    after_drop = server.get("/v1/auth/me", token=token)
    # Health checks on persistent connections usually reconnect at once; if not, a clean 503.
    if after_drop.status_code != 200:
        assert_clean_error(after_drop, 503, "SERVICE_UNAVAILABLE")
    for _ in range(3):
        response = server.get("/v1/auth/me", token=token)
        assert response.status_code == 200, response.text
        assert response.json()["email"] == "dropped@example.com"


def test_database_unreachable_answers_503_envelopes_and_the_api_recovers(live_server_factory):
    token = issue_access_token(make_user("unreachable@example.com", tier="pro"))
    server = live_server_factory()
    assert server.get("/v1/auth/me", token=token).status_code == 200

    _allow_connections(False)
    try:
        assert _terminate_server_connections() >= 1
        assert_clean_error(server.get("/v1/auth/me", token=token), 503, "SERVICE_UNAVAILABLE")
        assert_clean_error(server.post("/v1/scan", SCAN, token=token), 503, "SERVICE_UNAVAILABLE")
        assert_clean_error(server.get("/healthz"), 503, "SERVICE_UNAVAILABLE")
        # Pages outside DRF (public threat page, badges) go through the middleware instead.
        assert_clean_error(server.get("/threats/THR-2026-0001"), 503, "SERVICE_UNAVAILABLE")
        assert_clean_error(server.get("/badge/ver_aaaaaaaaaaaa.svg"), 503, "SERVICE_UNAVAILABLE")
    finally:
        _allow_connections(True)

    assert server.get("/healthz").status_code == 200
    assert server.get("/v1/auth/me", token=token).status_code == 200
    assert server.get("/threats/THR-2026-0001").status_code == 404
    assert server.post("/v1/scan", SCAN, token=token).status_code == 201
    assert Scan.objects.filter(quarantine_id=SCAN["quarantine_id"]).count() == 1
