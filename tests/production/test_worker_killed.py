"""A Celery worker killed in the middle of a verification: the task is redelivered and completes."""
import threading
import time

import pytest
from django.core.management import call_command

from accounts.models import User
from marketplace.models import Verification
from sigil.api.authentication import issue_access_token
from tests.conftest import make_user
from tests.fakes.servers import FakeNpm, make_targz
from tests.production.live import CeleryWorker, server_env, database_url_for_tests

pytestmark = pytest.mark.needs_services

VISIBILITY_TIMEOUT = 5  # seconds before Redis hands an unacknowledged task to another worker


def leftpad_tgz() -> bytes:
    return make_targz({"package.json": '{"name": "leftpad-ok", "version": "1.0.0", "main": "index.js"}',
                       "index.js": "module.exports = (s, n) => String(s).padStart(n);\n"}, root="package")


class SlowFirstDownloadNpm(FakeNpm):
    """Holds the first tarball download until released, so a worker can be killed while it waits."""

    def __init__(self, packages):
        super().__init__(packages)
        self.tarball_requests = 0
        self.first_download_started = threading.Event()
        self.release = threading.Event()

    def handle(self, handler):
        if handler.path.startswith("/-/"):
            self.tarball_requests += 1
            if self.tarball_requests == 1:
                self.first_download_started.set()
                self.release.wait(timeout=25)
        super().handle(handler)


def _wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def test_a_verification_survives_its_worker_being_killed_mid_task(live_server_factory, throwaway_redis):
    call_command("load_signature_pack", verbosity=0)
    user: User = make_user("killed-worker@example.com", tier="pro")
    with SlowFirstDownloadNpm({"leftpad-ok": {"versions": {"1.0.0": leftpad_tgz()}, "latest": "1.0.0",
                                              "npm_user": "padder", "maintainers": ["padder"]}}) as npm:
        services = dict(
            CELERY_BROKER_URL=throwaway_redis.url,  # a private broker: no other test's tasks, no leftovers
            CELERY_RESULT_BACKEND=throwaway_redis.url,
            CELERY_VISIBILITY_TIMEOUT=VISIBILITY_TIMEOUT,
            NPM_REGISTRY_URL=npm.url,
            SIGIL_OUTBOUND_ALLOWLIST=npm.hostport,
            SIGIL_VERIFY_WAIT_SECONDS=0,
        )
        server = live_server_factory(**services)
        first_worker = CeleryWorker(server_env(database_url=database_url_for_tests(), **services))
        second_worker = CeleryWorker(first_worker.env)
        try:
            first_worker.start()
            accepted = server.post("/v1/verify", {"source_type": "npm", "source_ref": "leftpad-ok",
                                                  "source_version": "1.0.0"}, token=issue_access_token(user))
            assert accepted.status_code == 202, accepted.text
            verification_id = accepted.json()["verification_id"]
            assert accepted.json()["status"] == "pending"

            assert npm.first_download_started.wait(timeout=30), first_worker.log()
            first_worker.kill()  # SIGKILL mid-download: the task was never acknowledged
            npm.release.set()
            assert Verification.objects.get(public_id=verification_id).status == "pending"

            # A worker sweeps unacknowledged tasks older than the visibility timeout back into the
            # queue when it starts (and every ~100 s while running): start one after the timeout.
            time.sleep(VISIBILITY_TIMEOUT + 1)
            second_worker.start()
            _wait_for(lambda: Verification.objects.get(public_id=verification_id).status != "pending",
                      timeout=45, what="the redelivered verification")
        finally:
            npm.release.set()
            first_worker.stop()
            second_worker.stop()

        verification = Verification.objects.get(public_id=verification_id)
        assert verification.status == "verified", (verification.status, verification.error, second_worker.log())
        assert verification.verdict in ("clean", "low")
        assert npm.tarball_requests == 2  # downloaded again by the second worker
        assert verification_id in second_worker.log()

        detail = server.get(f"/v1/verify/{verification_id}", token=issue_access_token(user))
        assert detail.status_code == 200
        assert detail.json()["status"] == "verified"
        assert detail.json()["badge_url"].endswith(f"/badge/{verification_id}.svg")
