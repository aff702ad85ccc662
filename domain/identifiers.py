"""Canonical forms of hashes, package names and source references (docs/design.md, Identifiers)."""
from __future__ import annotations

import hashlib
import re
from urllib.parse import unquote, urlsplit

_HASH = re.compile(r"(?:sha256:)?([0-9a-f]{64})")
# PEP 508 project names; PEP 503 normalisation folds runs of -_. into "-" and lower-cases.
_PYPI_NAME = re.compile(r"[a-z0-9]([a-z0-9._-]*[a-z0-9])?", re.IGNORECASE)
_PYPI_SEPARATORS = re.compile(r"[-_.]+")
# npm: optional @scope/, URL-safe characters, 214 characters at most.
_NPM_NAME = re.compile(r"(@[a-z0-9~-][a-z0-9._~-]*/)?[a-z0-9~-][a-z0-9._~-]*")
_GITHUB_NAME = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,38})/[a-z0-9._-]{1,100}")
# An exact version, not a range or a dist-tag such as "latest".
_VERSION = re.compile(r"v?[0-9][0-9A-Za-z.+_!-]{0,127}")

ECOSYSTEMS = ("npm", "pypi", "github")


def sha256_digest(data: bytes) -> str:
    """The content hash of bytes: `sha256:` + 64 lower-case hex."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def pep503_name(name: str) -> str:
    """PEP 503: runs of -, _ and . become one -, lower case (no validation)."""
    return _PYPI_SEPARATORS.sub("-", name).lower()


def normalize_hash(value) -> str:
    """`sha256:` + 64 lower-case hex; the prefix may be omitted and the input upper case."""
    if not isinstance(value, str):
        raise ValueError("A hash must be a string.")
    lowered = value.lower()
    match = _HASH.fullmatch(lowered)
    if match is None:
        raise ValueError("Expected sha256: followed by 64 hexadecimal characters.")
    return "sha256:" + match.group(1)


def normalize_package_name(ecosystem: str, name: str) -> str:
    """PyPI by PEP 503, npm lower case with its scope, GitHub owner/repo lower case."""
    if not isinstance(name, str) or not name or len(name) > 214:
        raise ValueError("A package name must be 1 to 214 characters.")
    if ecosystem == "pypi":
        if not _PYPI_NAME.fullmatch(name):
            raise ValueError(f"{name!r} is not a valid PyPI project name.")
        return pep503_name(name)
    if ecosystem == "npm":
        lowered = name.lower()
        if not _NPM_NAME.fullmatch(lowered):
            raise ValueError(f"{name!r} is not a valid npm package name.")
        return lowered
    if ecosystem == "github":
        lowered = name.lower().removesuffix(".git")
        if not _GITHUB_NAME.fullmatch(lowered):
            raise ValueError(f"{name!r} is not a valid GitHub owner/repository.")
        return lowered
    raise ValueError(f"Unknown ecosystem {ecosystem!r}; use one of {', '.join(ECOSYSTEMS)}.")


def normalize_publisher_name(ecosystem: str, name: str) -> str:
    """Registry account names compare case-insensitively."""
    if ecosystem not in ECOSYSTEMS:
        raise ValueError(f"Unknown ecosystem {ecosystem!r}; use one of {', '.join(ECOSYSTEMS)}.")
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > 214:
        raise ValueError("A publisher name must be 1 to 214 characters.")
    return name.strip().lower()


def _version(value: str | None) -> str | None:
    if value and _VERSION.fullmatch(value):
        return value
    return None


def _package(ecosystem: str, name: str, version: str | None):
    try:
        return ecosystem, normalize_package_name(ecosystem, name), _version(version)
    except ValueError:
        return None


def _split_npm_spec(spec: str) -> tuple[str, str | None]:
    """`name@1.2.3`, `@scope/name@1.2.3`, `@scope/name`, `name`."""
    at = spec.rfind("@")
    if at > 0:
        return spec[:at], spec[at + 1:]
    return spec, None


def _parse_url(url: str):
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https", "git+https", "ssh", "git") or not parts.hostname:
        return None
    host = parts.hostname.lower()
    segments = [unquote(s) for s in parts.path.split("/") if s]
    if host in ("pypi.org", "www.pypi.org", "pypi.python.org") and len(segments) >= 2 and segments[0] in ("project", "pypi", "simple"):
        return _package("pypi", segments[1], segments[2] if len(segments) > 2 and segments[0] != "simple" else None)
    if host in ("www.npmjs.com", "npmjs.com") and segments[:1] == ["package"] and len(segments) >= 2:
        rest = segments[1:]
        name, rest = ("/".join(rest[:2]), rest[2:]) if rest[0].startswith("@") else (rest[0], rest[1:])
        version = rest[1] if len(rest) >= 2 and rest[0] == "v" else None
        return _package("npm", name, version)
    if host in ("registry.npmjs.org", "registry.yarnpkg.com") and segments:
        name, rest = ("/".join(segments[:2]), segments[2:]) if segments[0].startswith("@") else (segments[0], segments[1:])
        if len(rest) == 2 and rest[0] == "-":
            # Tarball: <name>/-/<basename>-<version>.tgz
            basename = name.split("/")[-1]
            tarball = rest[1]
            if tarball.startswith(basename + "-") and tarball.endswith(".tgz"):
                return _package("npm", name, tarball[len(basename) + 1:-len(".tgz")])
            return _package("npm", name, None)
        return _package("npm", name, rest[0] if len(rest) == 1 else None)
    if host in ("github.com", "www.github.com") and len(segments) >= 2:
        version = segments[3] if len(segments) >= 4 and segments[2] in ("tree", "releases", "commit") else None
        if len(segments) >= 5 and segments[2] == "releases" and segments[3] == "tag":
            version = segments[4]
        return _package("github", f"{segments[0]}/{segments[1]}", version)
    return None


def parse_source_ref(source_type: str, source_ref: str):
    """(ecosystem, normalised name, exact version or None), or None if the ref names no package."""
    if not isinstance(source_ref, str):
        return None
    ref = source_ref.strip()
    if not ref or len(ref) > 2048:
        return None
    if "://" in ref or ref.startswith("git@"):
        if ref.startswith("git@github.com:"):
            ref = "https://github.com/" + ref.removeprefix("git@github.com:")
        return _parse_url(ref)
    if source_type == "pip":
        name, _, version = ref.partition("==")
        name = re.sub(r"\[.*\]$", "", name.strip())  # extras: "requests[socks]==2.0"
        return _package("pypi", name, version.strip() or None)
    if source_type == "npm":
        name, version = _split_npm_spec(ref)
        return _package("npm", name, version)
    if source_type == "git":
        # "owner/repo" shorthand.
        return _package("github", ref, None) if ref.count("/") == 1 else None
    return None
