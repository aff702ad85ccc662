"""Fetch code into a quarantine entry without running anything it contains.

Archives are saved exactly as downloaded and scanned in memory (never extracted); git checkouts
are cloned with hooks, submodules, LFS smudging and the ext/file transports off; local paths are
copied, symlinks kept as links.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from cli import __version__
from cli.config import CliError, home
from cli.output import Progress
from cli.quarantine import CONTENT, copy_tree
from domain.registries import RegistryError, npm_release, pypi_release

DEFAULT_PYPI_URL = "https://pypi.org"
DEFAULT_NPM_URL = "https://registry.npmjs.org"
MAX_DOWNLOAD_BYTES = 256 * 1024 * 1024
MAX_METADATA_BYTES = 32 * 1024 * 1024
TIMEOUT = (10, 60)
GIT_TIMEOUT = 900
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".tar.bz2", ".tar.xz", ".whl", ".zip", ".egg")

_PIP_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,200}[A-Za-z0-9])?$")
_NPM_NAME = re.compile(r"^(?:@[A-Za-z0-9][A-Za-z0-9._~-]{0,100}/)?[A-Za-z0-9_][A-Za-z0-9._~-]{0,213}$")
_VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.+!_-]{0,100}$")
_GIT_URL = re.compile(r"^(?:(?:https?|ssh|git)://[^\s/]+/\S+|[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^\s:][^\s]*)$")


@dataclass
class Fetched:
    source_type: str
    source_ref: str
    kind: str  # "archive" (scan_archive) or "directory" (scan_directory)
    path: Path
    ecosystem: str | None = None
    package_name: str | None = None
    notes: list[str] = field(default_factory=list)
    origin: str | None = None  # a local source's absolute path: kept in quarantine, never sent


def max_download_bytes() -> int:
    try:
        return int(os.environ.get("SIGIL_MAX_DOWNLOAD_BYTES") or MAX_DOWNLOAD_BYTES)
    except ValueError:
        raise CliError("SIGIL_MAX_DOWNLOAD_BYTES must be an integer") from None


def _session():
    # Imported here: scanning a local archive or directory never needs an HTTP client.
    import requests

    s = requests.Session()
    s.headers["User-Agent"] = f"sigil-cli/{__version__}"
    return s


def _http_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CliError(f"refusing to download {url!r}: only http(s) URLs")
    return url


def get_json(url: str, *, headers: dict | None = None) -> dict:
    """GET a JSON document with a size cap; 404 and other failures become CliError."""
    import requests

    try:
        with _session().get(_http_url(url), headers=headers or {}, timeout=TIMEOUT, stream=True) as resp:
            if resp.status_code == 404:
                raise CliError(f"not found: {url}")
            if resp.status_code >= 400:
                raise CliError(f"{url} answered HTTP {resp.status_code}")
            data = b""
            for chunk in resp.iter_content(1 << 16):
                data += chunk
                if len(data) > MAX_METADATA_BYTES:
                    raise CliError(f"{url}: metadata larger than {MAX_METADATA_BYTES} bytes")
    except requests.RequestException as exc:
        raise CliError(f"cannot fetch {url}: {type(exc).__name__}") from None
    try:
        doc = json.loads(data)
    except ValueError:
        raise CliError(f"{url} did not answer JSON") from None
    if not isinstance(doc, dict):
        raise CliError(f"{url} did not answer a JSON object")
    return doc


class _Transport:
    """domain.registries' transport for the CLI: requests, files streamed into the quarantine entry."""

    def __init__(self, content: Path):
        self.content = content
        self.path: Path | None = None

    def json(self, url: str, *, what: str, headers: dict | None = None) -> dict:
        return get_json(url, headers=headers)

    def download(self, url: str, *, filename: str, algorithm: str) -> str:
        self.path = self.content / _safe_filename(filename, "package.tar.gz")
        return download(url, self.path, label=filename)[algorithm]


def download(url: str, dest: Path, *, label: str) -> dict:
    """Stream url to dest under the size cap; return hex digests (sha1, sha256, sha384, sha512)."""
    cap = max_download_bytes()
    digests = {name: hashlib.new(name) for name in ("sha1", "sha256", "sha384", "sha512")}
    import requests

    try:
        with _session().get(_http_url(url), timeout=TIMEOUT, stream=True) as resp:
            if resp.status_code >= 400:
                raise CliError(f"download failed: {url} answered HTTP {resp.status_code}")
            try:
                total = int(resp.headers.get("Content-Length") or 0) or None
            except ValueError:
                total = None
            if total and total > cap:
                raise CliError(f"{url} is {total} bytes, over the {cap}-byte cap")
            size = 0
            fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh, Progress(label, total) as bar:
                for chunk in resp.iter_content(1 << 16):
                    size += len(chunk)
                    if size > cap:
                        raise CliError(f"{url} is over the {cap}-byte download cap")
                    fh.write(chunk)
                    for d in digests.values():
                        d.update(chunk)
                    bar.update(size)
    except requests.RequestException as exc:
        raise CliError(f"download failed: {url}: {type(exc).__name__}") from None
    return {name: d.hexdigest() for name, d in digests.items()}


def _safe_filename(name: str, default: str) -> str:
    name = re.sub(r"[^A-Za-z0-9._+-]", "_", name).lstrip(".")[:200]
    return name or default


# ---------------------------------------------------------------------------------------- PyPI

def parse_pip(spec: str) -> tuple[str, str | None]:
    name, sep, version = spec.strip().partition("==")
    if not _PIP_NAME.match(name) or (sep and not _VERSION.match(version)):
        raise CliError(f"not a PyPI requirement NAME[==VERSION]: {spec!r}")
    return name, (version or None)


def fetch_pip(spec: str, content: Path) -> Fetched:
    base = os.environ.get("SIGIL_PYPI_URL") or DEFAULT_PYPI_URL
    name, version = parse_pip(spec)
    transport = _Transport(content)
    try:
        release = pypi_release(transport, base, name, version)
    except RegistryError as exc:
        raise CliError(str(exc)) from None
    return Fetched("pip", f"{name}=={release.version}", "archive", transport.path, ecosystem="pypi", package_name=name,
                   notes=[f"{release.filename} ({release.checked})"])


# ----------------------------------------------------------------------------------------- npm

def parse_npm(spec: str) -> tuple[str, str | None]:
    spec = spec.strip()
    at = spec.find("@", 1)
    name, version = (spec, None) if at < 0 else (spec[:at], spec[at + 1 :])
    if not _NPM_NAME.match(name) or (version is not None and not _VERSION.match(version)):
        raise CliError(f"not an npm package NAME[@VERSION]: {spec!r}")
    return name, version


def fetch_npm(spec: str, content: Path) -> Fetched:
    base = os.environ.get("SIGIL_NPM_REGISTRY_URL") or DEFAULT_NPM_URL
    name, version = parse_npm(spec)
    transport = _Transport(content)
    try:
        release, _ = npm_release(transport, base, name, version)
    except RegistryError as exc:
        raise CliError(str(exc)) from None
    return Fetched("npm", f"{name}@{release.version}", "archive", transport.path, ecosystem="npm",
                   package_name=name, notes=[f"{release.filename} ({release.checked})"])


# ----------------------------------------------------------------------------------------- git

def git_command(url: str, dest: Path) -> tuple[list[str], dict]:
    if url.startswith("-") or not _GIT_URL.match(url) or "::" in url:
        raise CliError(f"refusing git URL {url!r}: use https://, ssh://, git:// or user@host:path")
    cmd = [
        "git",
        "-c", "core.hooksPath=/dev/null",     # no hook runs, not even a global one
        "-c", "protocol.ext.allow=never",      # ext:: runs arbitrary commands
        "-c", "protocol.file.allow=never",
        "-c", "core.fsmonitor=false",
        "-c", "submodule.recurse=false",
        "-c", "filter.lfs.smudge=", "-c", "filter.lfs.process=", "-c", "filter.lfs.required=false",
        "clone", "--depth", "1", "--no-recurse-submodules", "--single-branch", "--quiet",
        "--", url, str(dest),
    ]
    env = dict(os.environ, GIT_TERMINAL_PROMPT="0", GIT_LFS_SKIP_SMUDGE="1",
               GIT_ALLOW_PROTOCOL="https:http:ssh:git", GIT_ASKPASS="/bin/false", SSH_ASKPASS="/bin/false")
    return cmd, env


def fetch_git(url: str, content: Path) -> Fetched:
    import subprocess  # only git sources run a program

    dest = content / "repo"
    cmd, env = git_command(url, dest)
    if shutil.which("git") is None:
        raise CliError("git is not installed")
    try:
        proc = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=GIT_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise CliError(f"git clone timed out after {GIT_TIMEOUT}s") from None
    if proc.returncode != 0:
        msg = (proc.stderr or "").strip().splitlines()
        raise CliError(f"git clone failed: {msg[-1] if msg else 'exit ' + str(proc.returncode)}")
    return Fetched("git", url, "directory", dest)


# ----------------------------------------------------------------------------------------- url

def fetch_url(url: str, content: Path) -> Fetched:
    _http_url(url)
    filename = _safe_filename(urlsplit(url).path.rsplit("/", 1)[-1], "download")
    dest = content / filename
    digests = download(url, dest, label=filename)
    return Fetched("url", url, "archive", dest, notes=[f"{filename} sha256:{digests['sha256']}"])


# --------------------------------------------------------------------------------------- local

def is_archive_file(path: Path) -> bool:
    if path.name.lower().endswith(ARCHIVE_SUFFIXES):
        return True
    with open(path, "rb") as fh:
        head = fh.read(262 + 5)
    return head[:4] == b"PK\x03\x04" or head[:2] == b"\x1f\x8b" or head[257:262] == b"ustar"


def fetch_local(path_arg: str, content: Path) -> Fetched:
    src = Path(path_arg).expanduser()
    if not src.exists():
        raise CliError(f"no such file or directory: {path_arg}")
    # The server gets the name only: an absolute path would tell it the user's name and layout.
    origin = str(src.absolute())
    ref = Path(origin).name or "local"
    if src.is_dir():
        dest = content / "tree"
        dest.mkdir(mode=0o700)
        real, state = os.path.realpath(src), os.path.realpath(home())
        if real == state or real.startswith(state + os.sep):
            raise CliError(f"{path_arg} is inside SIGIL_HOME; scan the original instead")
        skipped = copy_tree(src, dest, exclude=home())
        notes = [f"skipped {s}" for s in skipped[:20]]
        return Fetched("local", ref, "directory", dest, notes=notes, origin=origin)
    if not src.is_file():
        raise CliError(f"{path_arg} is not a regular file or directory")
    if is_archive_file(src):
        dest = content / _safe_filename(src.name, "archive")
        shutil.copyfile(src, dest)
        os.chmod(dest, 0o600)
        return Fetched("local", ref, "archive", dest, origin=origin)
    dest = content / "tree"
    dest.mkdir(mode=0o700)
    shutil.copyfile(src, dest / src.name)
    return Fetched("local", ref, "directory", dest, origin=origin)


def fetch(source_type: str, value: str, entry: Path) -> Fetched:
    content = entry / CONTENT
    return {"pip": fetch_pip, "npm": fetch_npm, "git": fetch_git, "url": fetch_url, "local": fetch_local}[source_type](value, content)
