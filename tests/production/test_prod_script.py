"""scripts/prod: one command starts web, worker and beat on PostgreSQL + Redis, and one stops them."""
import os
import subprocess
import sys
import time

import pytest
import requests

from signatures.models import Signature
from tests.production.live import ROOT, database_url_for_tests, free_port, server_env

pytestmark = pytest.mark.needs_services


def _prod(command: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([str(ROOT / "scripts" / "prod"), command], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


def test_prod_refuses_to_start_without_production_services(tmp_path):
    env = {key: value for key, value in os.environ.items()
           if key not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "SECRET_KEY")}
    env.update(SIGIL_VENV=sys.prefix, SIGIL_PROD_DIR=str(tmp_path))
    result = _prod("start", env)
    assert result.returncode == 2
    assert "set DATABASE_URL REDIS_URL CELERY_BROKER_URL SECRET_KEY" in result.stderr
    assert not (tmp_path / "honcho.pid").exists()


def test_prod_start_runs_release_and_all_processes_and_stop_ends_them(transactional_db, throwaway_redis, tmp_path):
    port = free_port()
    env = server_env(database_url=database_url_for_tests(), CELERY_BROKER_URL=throwaway_redis.url,
                     PORT=port, SIGIL_PROD_DIR=tmp_path, SIGIL_VENV=sys.prefix, WEB_CONCURRENCY=2,
                     CELERY_CONCURRENCY=1, LOG_LEVEL="INFO")
    started = _prod("start", env)
    pgid = int((tmp_path / "honcho.pid").read_text()) if (tmp_path / "honcho.pid").exists() else None
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        assert Signature.objects.exists()  # the built-in pack was loaded by the release step
        url = f"http://127.0.0.1:{port}"
        assert requests.get(url + "/healthz", timeout=10).json() == {"status": "ok"}
        static = requests.get(url + "/static/admin/css/base.css", timeout=10)
        assert static.status_code == 200  # collected and served by whitenoise
        assert static.headers["Content-Type"].startswith("text/css")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (" ready." in (tmp_path / "prod.log").read_text()
                                                    and "beat: Starting" in (tmp_path / "prod.log").read_text()):
            time.sleep(0.5)
        log = (tmp_path / "prod.log").read_text()
        assert " ready." in log, log[-3000:]  # the Celery worker
        assert "beat: Starting" in log, log[-3000:]
        status = _prod("status", env)
        assert status.returncode == 0
        assert 'healthz: 200 {"status":"ok"}' in status.stdout
    finally:
        stopped = _prod("stop", env)
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    assert "stopped" in stopped.stdout
    assert pgid is not None and not _group_alive(pgid)
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
    assert _prod("status", env).returncode == 3
