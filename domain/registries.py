"""What PyPI and npm metadata say: which file of a release to fetch and what digest it must match.

The CLI (cli/fetch.py, over requests) and the server (marketplace/registries.py, over the guarded
client) both read the metadata here, so they fetch the same file and check it the same way. Each
keeps its own transport and error types; nothing here touches the network.
"""
from __future__ import annotations

import base64
import binascii
import re

from domain.identifiers import pep503_name

# PEP 691: the Simple API in its JSON form, which every index and mirror serves.
SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
SDIST_SUFFIXES = (".tar.gz", ".zip", ".tar.bz2", ".tgz")
# Subresource Integrity algorithms npm publishes, weakest first: the strongest one present is checked.
SRI_ALGORITHMS = ("sha256", "sha384", "sha512")


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
