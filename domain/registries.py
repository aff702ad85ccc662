"""Fetching a PyPI or npm release: which file to fetch, from where, and what digest it must match.

The CLI (cli/fetch.py, over requests) and the server (marketplace/registries.py, over the guarded
client) both fetch through `pypi_release` and `npm_release`, so they pick the same file (never a
yanked one) and check it the same way. Each hands in its transport (a `Transport`), whose own
errors (not found, unreachable, too large) pass through untouched; what the metadata or the file
gets wrong raises RegistryError here. Nothing here opens a connection itself.
"""
from __future__ import annotations

import base64
import binascii
import os
import re
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import quote, urljoin, urlsplit

from domain.identifiers import pep503_name

# PEP 691: the Simple API in its JSON form, which every index and mirror serves.
SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
SDIST_SUFFIXES = (".tar.gz", ".zip", ".tar.bz2", ".tgz")
# Subresource Integrity algorithms npm publishes, weakest first: the strongest one present is checked.
SRI_ALGORITHMS = ("sha256", "sha384", "sha512")
# A version string a registry may name (PEP 440 and SemVer spellings, build tags); anything else is refused.
RELEASE_VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.+_!-]{0,127}$")


class RegistryError(Exception):
    """The registry's metadata or file does not check out (no digest, a mismatch, another package)."""


class RegistryNotFound(RegistryError):
    """The registry has no such release."""


class Transport(Protocol):
    def json(self, url: str, *, what: str, headers: dict | None = None) -> dict:
        """The JSON object at url; the transport's own error when it cannot be had."""

    def download(self, url: str, *, filename: str, algorithm: str) -> str:
        """Fetch the file (kept by the transport) and return its hex digest in `algorithm`."""


@dataclass(frozen=True)
class Release:
    name: str
    version: str
    filename: str
    url: str
    checked: str  # what the digest check established, for people: "sha256 verified", ...


def pypi_release(transport: Transport, base_url: str, name: str, version: str | None = None, *,
                 project: dict | None = None) -> Release:
    """Fetch one release file of a PyPI project (the latest release when version is None; the
    project JSON is read for it unless the caller has it) and check it against the index's sha256."""
    base, normalized = base_url.rstrip("/"), pep503_name(name)
    if not version:
        if project is None:
            project = transport.json(f"{base}/pypi/{quote(normalized)}/json", what=f"PyPI project {normalized}")
        version = pypi_latest_version(project)
        if version is None:
            raise RegistryNotFound(f"PyPI project {normalized} has no release.")
        if not RELEASE_VERSION.match(version):
            raise RegistryError(f"PyPI project {normalized}: the registry names an unusable version ({version[:40]!r}).")
    index_url = f"{base}/simple/{quote(normalized)}/"
    index = transport.json(index_url, what=f"PyPI index for {normalized}", headers={"Accept": SIMPLE_JSON})
    entry = pypi_pick_file(index, normalized, version)
    if entry is None:
        raise RegistryNotFound(f"PyPI has no sdist or wheel of {name}=={version}.")
    filename = entry["filename"]
    expected = pypi_file_sha256(entry)
    if expected is None:
        raise RegistryError(f"The index publishes no sha256 digest for {filename}; refusing to trust it.")
    url = urljoin(index_url, str(entry.get("url") or ""))
    if transport.download(url, filename=filename, algorithm="sha256") != expected:
        raise RegistryError(f"sha256 mismatch: {filename} does not match the sha256 digest the index publishes.")
    return Release(name, version, filename, url, "sha256 verified")


def npm_release(transport: Transport, base_url: str, name: str, version: str | None = None) -> tuple[Release, dict]:
    """Fetch the tarball of an npm package version (the latest when version is None) and check it
    against the strongest digest the registry publishes; returns it with the version document."""
    asked = version or "latest"
    doc = transport.json(f"{base_url.rstrip('/')}/{name.replace('/', '%2F')}/{quote(asked, safe='')}",
                         what=f"npm package {name}")
    dist = doc.get("dist") if isinstance(doc, dict) else None
    if not isinstance(dist, dict) or not isinstance(dist.get("tarball"), str) or not dist["tarball"]:
        raise RegistryError(f"npm package {name}@{asked}: the registry document has no dist.tarball.")
    if doc.get("name") != name:
        raise RegistryError(f"npm package {name}: the registry answered for package {str(doc.get('name'))[:100]}.")
    resolved = doc.get("version")
    if not isinstance(resolved, str) or not RELEASE_VERSION.match(resolved):
        raise RegistryError(f"npm package {name}: the registry names an unusable version ({str(resolved)[:40]!r}).")
    if version and resolved != version:
        raise RegistryError(f"npm package {name}: the registry answered version {resolved} for a request of {version}.")
    tarball = dist["tarball"]
    filename = os.path.basename(urlsplit(tarball).path) or f"{name.rsplit('/', 1)[-1]}-{resolved}.tgz"
    expected = npm_expected_digest(dist)
    if expected is None:
        raise RegistryError(f"The registry publishes no integrity digest for {filename}; refusing to trust it.")
    field, algorithm, digest = expected
    if transport.download(tarball, filename=filename, algorithm=algorithm) != digest:
        raise RegistryError(f"npm tarball {filename} does not match dist.{field}.")
    checked = f"{algorithm} integrity verified" if field == "integrity" else "sha1 shasum verified (no sha512 integrity published)"
    return Release(name, resolved, filename, tarball, checked), doc


def pypi_latest_version(project: dict) -> str | None:
    """The latest release named by the project JSON (`/pypi/<name>/json`), if any."""
    info = project.get("info") if isinstance(project, dict) else None
    version = info.get("version") if isinstance(info, dict) else None
    return version if isinstance(version, str) and version else None


def pypi_distribution_kind(filename: str, project: str, version: str) -> str | None:
    """"sdist" or "wheel" when filename is a distribution of project (any spelling) at version."""
    normalized, lower = pep503_name(project), filename.lower()
    if lower.endswith(".whl"):
        parts = filename[:-4].split("-")
        if len(parts) >= 5 and pep503_name(parts[0]) == normalized and parts[1] == version.replace("-", "_"):
            return "wheel"
        return None
    for suffix in SDIST_SUFFIXES:
        if lower.endswith(suffix):
            name, _, file_version = filename[: -len(suffix)].rpartition("-")
            if pep503_name(name) == normalized and file_version == version:
                return "sdist"
    return None


def pypi_pick_file(index: dict, project: str, version: str) -> dict | None:
    """The release file to scan from a Simple API JSON index, or None.

    Never a yanked file; the sdist (the source as uploaded) first, then a pure-Python wheel, then
    any wheel; among equals the first filename, so every reader picks the same file.
    """
    candidates = []
    for entry in index.get("files") or [] if isinstance(index, dict) else []:
        if not isinstance(entry, dict) or not isinstance(entry.get("filename"), str) or entry.get("yanked"):
            continue
        kind = pypi_distribution_kind(entry["filename"], project, version)
        if kind:
            rank = 0 if kind == "sdist" else 1 if entry["filename"].endswith("-none-any.whl") else 2
            candidates.append((rank, entry["filename"], entry))
    return min(candidates, key=lambda c: (c[0], c[1]))[2] if candidates else None


def pypi_file_sha256(entry: dict) -> str | None:
    """The sha256 the index publishes for a file, as lower-case hex, or None."""
    hashes = entry.get("hashes")
    digest = hashes.get("sha256") if isinstance(hashes, dict) else None
    if isinstance(digest, str) and re.fullmatch(r"[0-9a-fA-F]{64}", digest):
        return digest.lower()
    return None


def npm_expected_digest(dist: dict) -> tuple[str, str, str] | None:
    """(field, algorithm, hex digest) a tarball must match: the strongest `dist.integrity` entry,
    else the sha1 `dist.shasum` of old packages; None when the registry publishes neither."""
    integrity = dist.get("integrity")
    best = None
    for item in integrity.split() if isinstance(integrity, str) else []:
        algorithm, _, encoded = item.partition("-")
        if algorithm in SRI_ALGORITHMS and (best is None or SRI_ALGORITHMS.index(algorithm) > SRI_ALGORITHMS.index(best[0])):
            best = (algorithm, encoded.split("?")[0])
    if best is not None:
        try:
            return "integrity", best[0], base64.b64decode(best[1], validate=True).hex()
        except (binascii.Error, ValueError):
            return "integrity", best[0], ""  # matches nothing
    shasum = dist.get("shasum")
    if isinstance(shasum, str) and re.fullmatch(r"[0-9a-fA-F]{40}", shasum):
        return "shasum", "sha1", shasum.lower()
    return None
