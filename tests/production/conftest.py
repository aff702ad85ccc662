"""Production tests run real processes (gunicorn, Celery, redis-server) against PostgreSQL + Redis.

Without DATABASE_URL (PostgreSQL) and REDIS_URL they are deselected, not skipped: on SQLite the
server processes could not see the test database, and local memory is not shared between them.
"""
import os

import pytest

from tests.production.live import (
    LiveServer,
    ThrowawayRedis,
    database_url_for_tests,
    free_port,
    server_env,
)

SERVICES_MARKER = "needs_services"


def services_missing_reason() -> str | None:
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        return "DATABASE_URL is not PostgreSQL"
    if not os.environ.get("REDIS_URL"):
        return "REDIS_URL is not set"
    return None


def pytest_collection_modifyitems(config, items):
    reason = services_missing_reason()
    if reason is None:
        return
    deselected = [item for item in items if item.get_closest_marker(SERVICES_MARKER)]
    if not deselected:
        return
    items[:] = [item for item in items if not item.get_closest_marker(SERVICES_MARKER)]
    config.hook.pytest_deselected(items=deselected)
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    message = f"deselected {len(deselected)} needs_services tests: {reason} (they need PostgreSQL + Redis)"
    if reporter is not None:
        reporter.write_line(message)
    else:
        print(message)


@pytest.fixture
def live_server_factory(transactional_db):
    """Start gunicorn processes on the test database; stop them at the end of the test.

    transactional_db: rows the test creates are committed, so the server processes see them,
    and the tables are flushed afterwards.
    """
    started: list[LiveServer] = []

    def start(**env_overrides) -> LiveServer:
        env = server_env(database_url=database_url_for_tests(), **env_overrides)
        server = LiveServer(port=free_port(), env=env)
        started.append(server)
        server.start()
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def throwaway_redis():
    """A private redis-server on a free port that a test may kill and restart (never the shared one)."""
    redis = ThrowawayRedis(port=free_port())
    redis.start()
    yield redis
    redis.stop()
