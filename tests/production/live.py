"""Real processes for production tests: gunicorn servers, Celery workers, a private redis-server."""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import requests
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url_for_tests() -> str:
    """The URL of the database this test run uses (pytest-django's test_ database)."""
    db = connection.settings_dict
    auth = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def server_env(*, database_url: str, **overrides) -> dict:
    """The environment of a server process: same keys as this test process, so its tokens verify."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST", "DJANGO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="sigil.settings",
        DATABASE_URL=database_url,
        SECRET_KEY=settings.SECRET_KEY,
        JWT_SIGNING_KEY=settings.JWT_SIGNING_KEY,
        SIGIL_PUBLIC_URL=settings.SIGIL_PUBLIC_URL,
        JWT_ISSUER=settings.SIMPLE_JWT["ISSUER"],
        JWT_AUDIENCE=settings.SIMPLE_JWT["AUDIENCE"],
        PYTHONUNBUFFERED="1",
        LOG_LEVEL="WARNING",
    )
    env.pop("CELERY_BROKER_URL", None)  # tasks run eagerly in the server unless a test says otherwise
    env.pop("CELERY_RESULT_BACKEND", None)
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = str(value)
    return env


class _Process:
    """A child process whose output goes to a temporary file the test can read."""

    name = "process"

    def __init__(self, env: dict):
        self.env = env
        self.process: subprocess.Popen | None = None
        self._log = tempfile.NamedTemporaryFile(prefix=f"sigil-{self.name}-", suffix=".log", delete=False)

    def command(self) -> list[str]:
        raise NotImplementedError

    def spawn(self):
        self.process = subprocess.Popen(
            self.command(), cwd=ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )

    def log(self) -> str:
        return Path(self._log.name).read_text(errors="replace")

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self):
        """SIGKILL the whole process group: no cleanup, no acknowledgement, like a machine dying."""
        if self.alive():
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self):
        if self.alive():
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        self.process = None


class LiveServer(_Process):
    name = "gunicorn"

    def __init__(self, *, port: int, env: dict, workers: int = 1):
        self.port = port
        self.workers = workers
        self.url = f"http://127.0.0.1:{port}"
        super().__init__(env)

    def command(self) -> list[str]:
        return [
            sys.executable, "-m", "gunicorn", "sigil.wsgi:application", "-c", str(ROOT / "gunicorn.conf.py"),
            "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers), "--timeout", "60",
        ]

    def start(self, timeout: float = 30):
        self.spawn()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"gunicorn exited on start:\n{self.log()}")
            try:
                requests.get(self.url + "/healthz", timeout=10)  # any answer means it is serving
                return self
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer within {timeout} s:\n{self.log()}")

    def request(self, method: str, path: str, *, token: str | None = None, json=None) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return requests.request(method, self.url + path, headers=headers, json=json, timeout=15)

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body, **kwargs) -> requests.Response:
        return self.request("POST", path, json=body, **kwargs)


class CeleryWorker(_Process):
    name = "celery"

    def command(self) -> list[str]:
        return [
            sys.executable, "-m", "celery", "-A", "sigil", "worker", "--loglevel", "INFO",
            "--concurrency", "1", "--pool", "prefork", "--without-mingle", "--without-gossip",
            "--hostname", f"test-{os.getpid()}-{time.monotonic_ns()}@%h",
        ]

    def start(self, timeout: float = 30):
        self.spawn()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"celery worker exited on start:\n{self.log()}")
            if " ready." in self.log():
                return self
            time.sleep(0.2)
        raise RuntimeError(f"celery worker not ready within {timeout} s:\n{self.log()}")


class ThrowawayRedis(_Process):
    """A private redis-server: tests kill it to simulate an outage without touching the shared one."""

    name = "redis"

    def __init__(self, *, port: int):
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        super().__init__(env=dict(os.environ))

    def command(self) -> list[str]:
        binary = shutil.which("redis-server") or "redis-server"
        return [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--daemonize", "no"]

    def start(self, timeout: float = 10):
        self.spawn()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"redis-server did not start on {self.port}:\n{self.log()}")


def assert_clean_error(response: requests.Response, status: int, code: str):
    """An error in the envelope: the status, the code, and nothing of the server's insides."""
    assert response.status_code == status, (response.status_code, response.text[:500])
    body = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert isinstance(body["detail"], str) and body["detail"]
    assert "Traceback" not in response.text
    assert "File \"" not in response.text
