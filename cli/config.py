"""Where the CLI keeps its state: $SIGIL_HOME (default ~/.sigil), private to the user."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

DEFAULT_API_URL = "http://localhost:8000"
CREDENTIALS_FILE = "credentials.json"
SIGNATURES_FILE = "signatures.json"


class CliError(Exception):
    """An error the user should see as one line on stderr; the command exits 3."""


def api_url() -> str:
    return (os.environ.get("SIGIL_API_URL") or DEFAULT_API_URL).rstrip("/")


def home() -> Path:
    """The state directory, created 0700 (and tightened if it already existed looser)."""
    path = Path(os.environ.get("SIGIL_HOME") or Path.home() / ".sigil").expanduser().absolute()
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    st = path.stat()
    # Tighten our own directory; never chmod a shared one someone pointed SIGIL_HOME at (/tmp).
    if st.st_mode & 0o077 and st.st_uid == os.getuid() and not st.st_mode & stat.S_ISVTX:
        os.chmod(path, 0o700)
    return path


def quarantine_root() -> Path:
    path = home() / "quarantine"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


def write_private_json(path: Path, data: dict) -> None:
    """Write JSON readable by the owner only; the temp file is 0600 from creation, then renamed."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)


def read_json(path: Path) -> dict | None:
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def save_credentials(*, token: str, email: str, url: str) -> Path:
    path = home() / CREDENTIALS_FILE
    write_private_json(path, {"api_url": url, "email": email, "access_token": token})
    return path


def load_credentials() -> dict | None:
    return read_json(home() / CREDENTIALS_FILE)


def token_for(url: str) -> str | None:
    """The stored token, only for the server that issued it: never send it to another host."""
    creds = load_credentials()
    if not creds or creds.get("api_url") != url:
        return None
    token = creds.get("access_token")
    return token if isinstance(token, str) and token else None


def delete_credentials() -> bool:
    path = home() / CREDENTIALS_FILE
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True
