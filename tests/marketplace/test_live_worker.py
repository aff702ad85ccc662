"""One verification executed by a real Celery worker process (PostgreSQL + Redis run of .ci/run)."""
import os
import subprocess
import sys
import time

import pytest
from django.conf import settings as django_settings
from django.db import connection

from marketplace.models import Verification
from sigil.celery import app as celery_app


def _database_url() -> str:
    """The test database (not the configured one) for the worker process."""
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture
def worker(fake_npm, settings, tmp_path):
    celery_app.conf.task_always_eager = False
    celery_app.control.purge()  # nothing left over from an earlier run may reach this worker
    env = {**os.environ, "DATABASE_URL": _database_url(), "NPM_REGISTRY_URL": fake_npm.url,
           "SIGIL_OUTBOUND_ALLOWLIST": ",".join(settings.SIGIL_OUTBOUND_ALLOWLIST), "PYTHONUNBUFFERED": "1"}
    log = tmp_path / "worker.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "sigil", "worker", "--pool=solo", "-c", "1", "--loglevel=INFO",
             "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"market-test-{os.getpid()}@%h"],
            cwd=django_settings.BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        yield proc, log
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        celery_app.conf.task_always_eager = True


@pytest.mark.live_worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_process_runs_the_verification(worker, alice_api, fake_npm, settings):
    proc, log = worker
    settings.SIGIL_VERIFY_WAIT_SECONDS = 90
    started = time.monotonic()
    response = alice_api.post_json("/v1/verify", {"source_type": "npm", "source_ref": "leftpad-ok"})
    output = log.read_text(errors="replace")
    assert response.status_code == 200, (response.json(), output[-3000:])
    body = response.json()
    assert body["status"] == "verified" and body["source_version"] == "1.2.0"
    assert Verification.objects.get(public_id=body["verification_id"]).status == "verified"
    assert proc.poll() is None  # the worker is still up: it did the work, not this process
    assert "marketplace.tasks.verification_run" in output and "succeeded" in output, output[-3000:]
    assert time.monotonic() - started < 90
