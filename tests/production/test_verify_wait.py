"""Issue 11, point 11: waiting verifications never take every web thread; the wait is bounded
and well below gunicorn's worker timeout (a configuration that is not is refused at start)."""
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from sigil.api.authentication import issue_access_token
from tests.conftest import make_user
from tests.production.live import ROOT, database_url_for_tests, free_port, server_env

pytestmark = pytest.mark.needs_services

WAIT = 5


def test_many_waiting_verifications_do_not_stop_ping(live_server_factory, throwaway_redis):
    token = issue_access_token(make_user("waiter@example.com", tier="pro"))
    # A broker but no Celery worker: every verification stays pending, so every request waits.
    server = live_server_factory(CELERY_BROKER_URL=throwaway_redis.url, CELERY_RESULT_BACKEND=throwaway_redis.url,
                                 SIGIL_VERIFY_WAIT_SECONDS=WAIT)

    def verify(n):
        started = time.monotonic()
        response = requests.post(f"{server.url}/v1/verify", json={"source_type": "npm", "source_ref": f"pkg-{n}"},
                                 headers={"Authorization": f"Bearer {token}"}, timeout=60)
        return response.status_code, time.monotonic() - started

    with ThreadPoolExecutor(max_workers=12) as pool:
        pending = [pool.submit(verify, n) for n in range(12)]
        time.sleep(1)  # the verifications are in, as many waiting as the server allows
        pings = []
        for _ in range(5):
            started = time.monotonic()
            response = requests.get(f"{server.url}/v1/ping", headers={"Authorization": f"Bearer {token}"}, timeout=15)
            pings.append((response.status_code, time.monotonic() - started))
            time.sleep(0.3)
        answers = [future.result() for future in pending]

    assert all(status == 200 for status, _ in pings), pings
    assert max(seconds for _, seconds in pings) < 2, pings
    assert all(status == 202 for status, _ in answers), answers
    assert max(seconds for _, seconds in answers) < WAIT + 5, answers


@pytest.mark.parametrize("wait, timeout, refused", [(20, 30, True), (60, 30, True), (10, 30, False)])
def test_a_wait_not_well_below_the_worker_timeout_is_refused_at_start(transactional_db, wait, timeout, refused):
    env = server_env(database_url=database_url_for_tests(), SIGIL_VERIFY_WAIT_SECONDS=wait)
    command = [sys.executable, "-m", "gunicorn", "sigil.wsgi:application", "-c", str(ROOT / "gunicorn.conf.py"),
               "--bind", f"127.0.0.1:{free_port()}", "--workers", "1", "--timeout", str(timeout)]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, start_new_session=True)
    try:
        output, _ = process.communicate(timeout=10)
        started = False
    except subprocess.TimeoutExpired:
        process.terminate()
        output, _ = process.communicate(timeout=20)
        started = True
    if refused:
        assert not started and process.returncode != 0
        assert "SIGIL_VERIFY_WAIT_SECONDS" in output and "worker timeout" in output
    else:
        assert started, output
