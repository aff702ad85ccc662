"""The embedded server as a newcomer starts it: `scripts/serve` (migrate, signature pack, runserver)
on a free port with its own SQLite file, none of the production variables set."""
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
# Production switches and anything a developer's shell may carry: the embedded server sees none.
_DROP_PREFIXES = ("DATABASE_URL", "REDIS_URL", "CELERY_", "SIGIL_", "JWT_", "SECRET_KEY", "ALLOWED_HOSTS", "DEBUG")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class EmbeddedServer:
    def __init__(self, workdir: Path, *, args: tuple[str, ...] = (), env: dict | None = None, host: str = "localhost",
                 port: int | None = None):
        self.port = port or free_port()
        self.url = f"http://{host}:{self.port}"
        self.log_path = workdir / "serve.log"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(_DROP_PREFIXES)}
        self.env.update(PORT=str(self.port), SQLITE_PATH=str(workdir / "db.sqlite3"), **(env or {}))
        self.workdir = workdir
        self.args = args
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 180) -> "EmbeddedServer":
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen([str(ROOT / "scripts" / "serve"), *self.args, "--noreload"], cwd=ROOT,
                                            env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"scripts/serve exited:\n{self.log()}")
            try:
                if requests.get(f"http://127.0.0.1:{self.port}/healthz", timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"scripts/serve did not answer within {timeout} s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
