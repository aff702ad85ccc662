"""Package fetchers: download what a verification scans, never execute it.

A small interface (`fetch(ref, version) -> Artifact`) with one real implementation per source
type. Which class serves a source type is a setting (SIGIL_VERIFY_FETCHERS), so a private
mirror or a test double can be plugged in without `if TESTING`.
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.utils.module_loading import import_string

from domain.identifiers import pep503_name, sha256_digest
from domain.registries import RELEASE_VERSION, RegistryError, RegistryNotFound, npm_release, pypi_release
from marketplace import guarded_http
from marketplace.guarded_http import OutboundError, OutboundNotFound, OutboundRefused, OutboundTransient

PYPI_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,198}[A-Za-z0-9])?$")
# Lower case today; a few legacy packages (JSONStream) have capitals.
NPM_NAME = re.compile(r"^(?:@[a-z0-9][a-z0-9._~-]{0,100}/)?[A-Za-z0-9][A-Za-z0-9._~-]{0,213}$")
VERSION = RELEASE_VERSION  # what source_version may name
GIT_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$")
# A registry account name as npm and PyPI allow them (npm's 214-character limit); anything else in
# the metadata is not an account we can track, so the publisher stays unknown.
ACCOUNT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,213}$")
METADATA_MAX_BYTES = 20 * 1024 * 1024


class FetchError(Exception):
    """The artifact could not be fetched or did not check out; not worth retrying."""


class PackageNotFound(FetchError):
    """The package or version does not exist in the registry (404 NOT_FOUND)."""


class TransientFetchError(FetchError):
    """A network failure or a registry answering 5xx/429: retry later."""


class InvalidReference(FetchError):
    """The reference is malformed or points somewhere the guard refuses (400)."""


def _account_name(value) -> str | None:
    return value if isinstance(value, str) and ACCOUNT_NAME.match(value) else None


def max_artifact_bytes() -> int:
    return settings.SIGIL_VERIFY_MAX_ARTIFACT_BYTES


@dataclass
class Artifact:
    ecosystem: str          # pypi | npm | git | url
    name: str
    version: str
    filename: str
    artifact_hash: str      # sha256 of the archive bytes, or the tree hash of a git checkout
    publisher: str | None   # registry account that published it; None when the metadata lacks it
    data: bytes | None = None        # archive bytes (pip, npm, url)
    directory: str | None = None     # checkout (git); the caller removes it with `cleanup()`

    def cleanup(self) -> None:
        if self.directory:
            shutil.rmtree(os.path.dirname(self.directory), ignore_errors=True)


def _get(url: str, *, what: str, max_bytes: int = METADATA_MAX_BYTES, headers: dict | None = None):
    """GET through the guard, turning outcomes into fetch errors; 404 means not found."""
    try:
        return guarded_http.get_ok(url, headers=headers, max_bytes=max_bytes)
    except OutboundNotFound:
        raise PackageNotFound(f"{what}: not found.") from None
    except OutboundTransient as exc:
        raise TransientFetchError(f"{what}: {exc}") from None
    except OutboundRefused as exc:
        raise InvalidReference(f"{what}: {exc}") from None
    except OutboundError as exc:  # too large, an unexpected status
        raise FetchError(f"{what}: {exc}") from None


def _json(response, what: str):
    try:
        return response.json()
    except ValueError:
        raise FetchError(f"{what}: the registry sent invalid JSON.") from None


class _Transport:
    """domain.registries' transport for the server: the guarded client, the file kept in memory."""

    def __init__(self):
        self.data = b""

    def json(self, url: str, *, what: str, headers: dict | None = None) -> dict:
        doc = _json(_get(url, what=what, headers=headers), what)
        if not isinstance(doc, dict):
            raise FetchError(f"{what}: the registry sent an unexpected document.")
        return doc

    def download(self, url: str, *, filename: str, algorithm: str) -> str:
        self.data = _get(url, what=filename, max_bytes=max_artifact_bytes()).body
        return hashlib.new(algorithm, self.data).hexdigest()


def _release(fetch, *args, **kwargs):
    """domain.registries' fetch, its errors as fetch errors."""
    try:
        return fetch(*args, **kwargs)
    except RegistryNotFound as exc:
        raise PackageNotFound(str(exc)) from None
    except RegistryError as exc:
        raise FetchError(str(exc)) from None


# ---- PyPI ------------------------------------------------------------------------------------

class PyPIRegistry:
    """PyPI or a mirror: files and digests from the Simple API JSON, owners from the project JSON."""

    ecosystem = "pypi"

    def __init__(self, base_url: str | None = None):
        self.base_url = (base_url or settings.PYPI_URL).rstrip("/")

    def fetch(self, ref: str, version: str | None) -> Artifact:
        if not PYPI_NAME.match(ref):
            raise InvalidReference("source_ref must be a PyPI project name.")
        name = pep503_name(ref)
        project = _json(_get(f"{self.base_url}/pypi/{quote(name)}/json", what=f"PyPI project {name}"), "PyPI")
        info = project.get("info") if isinstance(project, dict) else None
        named = info.get("name") if isinstance(info, dict) else None
        if isinstance(named, str) and pep503_name(named) != name:
            raise FetchError(f"PyPI project {name}: the registry answered for project {named[:100]}.")
        transport = _Transport()
        release = _release(pypi_release, transport, self.base_url, name, version, project=project)
        return Artifact("pypi", name, release.version, release.filename, sha256_digest(transport.data),
                        self._publisher(project), data=transport.data)

    def previous_release(self, ref: str, version: str) -> str | None:
        """The release uploaded last before `version` (the project JSON's upload times), or None."""
        name = pep503_name(ref)
        project = _json(_get(f"{self.base_url}/pypi/{quote(name)}/json", what=f"PyPI project {name}"), "PyPI")
        uploaded = {}
        for release, files in (project.get("releases") or {}).items() if isinstance(project, dict) else ():
            times = [f.get("upload_time_iso_8601") for f in files or [] if isinstance(f, dict)]
            times = [t for t in times if isinstance(t, str)]
            if times:
                uploaded[str(release)] = min(times)
        return _uploaded_before(uploaded, version)

    @staticmethod
    def _publisher(project: dict) -> str | None:
        """The owning organization, else the first Owner; never the free-text author fields."""
        ownership = project.get("ownership") or {}
        if not isinstance(ownership, dict):
            return None
        if ownership.get("organization"):
            return _account_name(ownership["organization"])
        roles = [r for r in ownership.get("roles") or [] if isinstance(r, dict) and isinstance(r.get("user"), str)]
        roles.sort(key=lambda r: r.get("role") != "Owner")
        return _account_name(roles[0]["user"]) if roles else None


# ---- npm -------------------------------------------------------------------------------------

def _uploaded_before(uploaded: dict[str, str], version: str) -> str | None:
    """The version with the latest upload time before `version`'s (ISO 8601 UTC strings sort)."""
    when = uploaded.get(version)
    if when is None:
        return None
    earlier = [(t, v) for v, t in uploaded.items() if t < when and v != version]
    return max(earlier)[1] if earlier else None


class NpmRegistry:
    """The npm registry or a mirror: the version document gives the tarball and its integrity."""

    ecosystem = "npm"

    def __init__(self, base_url: str | None = None):
        self.base_url = (base_url or settings.NPM_REGISTRY_URL).rstrip("/")

    def fetch(self, ref: str, version: str | None) -> Artifact:
        if not NPM_NAME.match(ref):
            raise InvalidReference("source_ref must be an npm package name.")
        transport = _Transport()
        release, doc = _release(npm_release, transport, self.base_url, ref, version)
        return Artifact("npm", ref, release.version, release.filename, sha256_digest(transport.data),
                        self._publisher(doc), data=transport.data)

    def previous_release(self, ref: str, version: str) -> str | None:
        """The release published last before `version` (the package document's `time`), or None."""
        doc = _json(_get(f"{self.base_url}/{quote(ref, safe='@/')}", what=f"npm package {ref}"), "npm")
        times = doc.get("time") if isinstance(doc, dict) else None
        versions = doc.get("versions") if isinstance(doc, dict) else None
        if not isinstance(times, dict) or not isinstance(versions, dict):
            return None
        return _uploaded_before({v: t for v, t in times.items() if v in versions and isinstance(t, str)}, version)

    @staticmethod
    def _publisher(doc: dict) -> str | None:
        """`_npmUser`, else the first maintainer; never `author`, which anyone can write."""
        user = doc.get("_npmUser")
        if isinstance(user, dict) and user.get("name"):
            return _account_name(user["name"])
        maintainers = doc.get("maintainers")
        for maintainer in maintainers if isinstance(maintainers, list) else []:
            if isinstance(maintainer, dict) and maintainer.get("name"):
                return _account_name(maintainer["name"])
        return None


# ---- url -------------------------------------------------------------------------------------

class UrlFetcher:
    """An https archive (.tar.gz, .tgz, .zip, .whl), size-capped."""

    ecosystem = "url"

    def fetch(self, ref: str, version: str | None) -> Artifact:
        target = _checked(ref)
        filename = os.path.basename(urlsplit(ref).path) or "download"
        data = _get(ref, what=f"download from {target.host}", max_bytes=max_artifact_bytes()).body
        return Artifact("url", ref, version or "", filename, sha256_digest(data), None, data=data)


def _checked(url: str) -> guarded_http.Target:
    try:
        return guarded_http.check_url(url)
    except OutboundRefused as exc:
        raise InvalidReference(str(exc)) from None


# ---- git -------------------------------------------------------------------------------------

def _dir_size(path: str) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                pass
    return total


class GitFetcher:
    """A shallow clone of one ref over https, with no hooks, submodules, LFS, prompts or redirects."""

    ecosystem = "git"

    def fetch(self, ref: str, version: str | None) -> Artifact:
        from scans.engine import tree_hash

        if version is not None and (not GIT_REF.match(version) or ".." in version):
            raise InvalidReference("source_version must be a branch or tag name.")
        target = _checked(ref)
        if urlsplit(ref).query or urlsplit(ref).fragment:
            raise InvalidReference("Git URLs must not carry a query or fragment.")
        workdir = tempfile.mkdtemp(prefix="sigil-git-")
        dest = os.path.join(workdir, "checkout")
        home = os.path.join(workdir, "home")
        os.mkdir(home)
        address = f"[{target.address}]" if ":" in target.address else target.address
        http_allowed = "always" if target.scheme == "http" else "never"
        command = [
            "git",
            "-c", "core.hooksPath=/dev/null", "-c", "core.symlinks=false", "-c", "core.fsmonitor=false",
            "-c", "protocol.allow=never", "-c", "protocol.https.allow=always",
            "-c", f"protocol.http.allow={http_allowed}",
            "-c", "protocol.file.allow=never", "-c", "protocol.ext.allow=never",
            "-c", "http.followRedirects=false", "-c", "credential.helper=",
            # Pin the connection to the address we checked, so DNS cannot change it mid-clone.
            "-c", f"http.curloptResolve={target.host}:{target.port}:{address}",
            "-c", "filter.lfs.smudge=", "-c", "filter.lfs.process=", "-c", "filter.lfs.required=false",
            "clone", "--quiet", "--depth", "1", "--single-branch", "--no-tags", "--no-recurse-submodules",
            "--template=",
        ]
        if version:
            command += ["--branch", version]
        command += ["--", ref, dest]
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home, "GIT_TERMINAL_PROMPT": "0",
               "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_LFS_SKIP_SMUDGE": "1",
               "GIT_ASKPASS": "/bin/false", "SSH_ASKPASS": "/bin/false", "GIT_PROTOCOL_FROM_USER": "0",
               "LC_ALL": "C"}
        try:
            self._run(command, env, dest)
            head = subprocess.run(["git", "-C", dest, "rev-parse", "HEAD"], env=env, capture_output=True,
                                  text=True, timeout=10)
            commit = head.stdout.strip()
            name = urlsplit(ref).path.strip("/").removesuffix(".git") or target.host
            artifact = Artifact("git", name, commit, name.rsplit("/", 1)[-1], tree_hash(dest), None, directory=dest)
        except BaseException:
            shutil.rmtree(workdir, ignore_errors=True)
            raise
        return artifact

    @staticmethod
    def _run(command: list[str], env: dict, dest: str) -> None:
        timeout = settings.SIGIL_GIT_TIMEOUT_SECONDS
        cap = max_artifact_bytes()
        started = time.monotonic()
        proc = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        while proc.poll() is None:
            if time.monotonic() - started > timeout:
                proc.kill()
                proc.wait()
                raise TransientFetchError(f"git clone took longer than {timeout} seconds.")
            if os.path.isdir(dest) and _dir_size(dest) > cap:
                proc.kill()
                proc.wait()
                raise FetchError(f"The repository is larger than {cap} bytes.")
            time.sleep(0.2)
        stderr = proc.stderr.read().decode("utf-8", "replace")[-500:] if proc.stderr else ""
        if proc.returncode != 0:
            lowered = stderr.lower()
            # The HTTP status as git words it ("returned error: 404"), never a bare number: the URL
            # in the message has a port, and a port like 40412 is no 404.
            status = re.search(r"returned error: (\d{3})", lowered)
            status = status.group(1) if status else ""
            if "not found" in lowered or "remote branch" in lowered or status == "404":
                raise PackageNotFound("The repository or ref was not found.")
            if "could not resolve" in lowered or "timed out" in lowered or status in ("502", "503"):
                raise TransientFetchError("git clone failed: the server is unreachable.")
            raise FetchError(f"git clone failed: {stderr.strip().splitlines()[-1] if stderr.strip() else 'error'}")
        if _dir_size(dest) > cap:
            raise FetchError(f"The repository is larger than {cap} bytes.")


DEFAULT_FETCHERS = {
    "pip": "marketplace.registries.PyPIRegistry",
    "npm": "marketplace.registries.NpmRegistry",
    "git": "marketplace.registries.GitFetcher",
    "url": "marketplace.registries.UrlFetcher",
}


def fetcher_for(source_type: str):
    """The fetcher configured for a source type (SIGIL_VERIFY_FETCHERS overrides the defaults)."""
    paths = {**DEFAULT_FETCHERS, **getattr(settings, "SIGIL_VERIFY_FETCHERS", {})}
    return import_string(paths[source_type])()
