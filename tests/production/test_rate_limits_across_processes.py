"""A tier's limit holds across server processes: the counters live in the shared Redis."""
import time

import pytest
from django.core.cache import cache

from sigil.api.authentication import issue_access_token
from tests.conftest import make_user
from tests.production.live import assert_clean_error

pytestmark = pytest.mark.needs_services


def _seconds_left_in_window(response) -> int:
    return int(response.headers["X-RateLimit-Reset"]) - int(time.time())


def test_free_tier_limit_of_30_per_minute_holds_across_two_gunicorn_processes(live_server_factory):
    user = make_user("two-processes@example.com", tier="free")
    token = issue_access_token(user)
    first, second = live_server_factory(), live_server_factory()
    assert first.process.pid != second.process.pid

    # The window is fixed: start in a fresh one with enough time left for 31 requests.
    probe = first.get("/v1/ping", token=token)
    assert probe.status_code == 200, probe.text
    if _seconds_left_in_window(probe) < 20:
        time.sleep(_seconds_left_in_window(probe) + 1)
    cache.clear()

    for number in range(1, 31):
        server = first if number % 2 else second
        response = server.get("/v1/ping", token=token)
        assert response.status_code == 200, (number, response.text)
        assert response.headers["X-RateLimit-Limit"] == "30"
        assert response.headers["X-RateLimit-Remaining"] == str(30 - number), number

    refused = first.get("/v1/ping", token=token)
    assert_clean_error(refused, 429, "RATE_LIMITED")
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["X-RateLimit-Remaining"] == "0"

    also_refused = second.get("/v1/auth/me", token=token)
    assert_clean_error(also_refused, 429, "RATE_LIMITED")
    assert "Retry-After" in also_refused.headers


def test_another_user_is_not_limited_by_the_first_users_requests(live_server_factory):
    spender, bystander = make_user("spender@example.com"), make_user("bystander@example.com")
    first, second = live_server_factory(), live_server_factory()
    cache.clear()
    spender_token = issue_access_token(spender)
    for number in range(31):
        (first if number % 2 else second).get("/v1/ping", token=spender_token)

    response = second.get("/v1/ping", token=issue_access_token(bystander))
    assert response.status_code == 200
    assert int(response.headers["X-RateLimit-Remaining"]) >= 28
