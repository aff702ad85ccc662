"""Read the dependencies pinned in lockfiles and SBOMs, with the line each one is on.

Never runs pip or npm: what a file does not pin is reported as not pinned, and nothing resolves it.
Parsed with tomllib, PyYAML (safe loader), json, packaging and packageurl-python. yarn.lock v1
("classic") is not YAML and has no maintained permissively licensed parser that keeps duplicate
names and line numbers (pyarn is GPL-3.0; yarnlock keys entries by name), so it is read by the
small parser below; yarn Berry lockfiles are YAML.
"""
from __future__ import annotations

import base64
import binascii
import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from packageurl import PackageURL
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_HASHES = 64  # per dependency, as POST /v1/lookup accepts
_SHA256_HEX = re.compile(r"[0-9a-fA-F]{64}")


class LockfileError(Exception):
    """A file that cannot be read as the format its name says."""


@dataclass
class Dependency:
    ecosystem: str  # "pypi" or "npm"
    name: str
    version: str | None  # None: not pinned
    file: str
    line: int = 1
    hashes: list[str] = field(default_factory=list)
    note: str = ""  # why it is not checked (a URL, an editable install, a range)

    @property
    def pinned(self) -> bool:
        return self.version is not None


def sha256_item(value: str | None) -> str | None:
    """`sha256:<hex>`, `sha256=<hex>` or `sha256-<base64>` (npm integrity) as `sha256:<hex>`; else None."""
    if not isinstance(value, str):
        return None
    algorithm, _, digest = value.strip().partition(":") if ":" in value else value.strip().partition("=")
    if algorithm.lower() == "sha256" and _SHA256_HEX.fullmatch(digest):
        return "sha256:" + digest.lower()
    if value.startswith("sha256-"):
        try:
            raw = base64.b64decode(value[len("sha256-"):], validate=True)
        except (binascii.Error, ValueError):
            return None
        return "sha256:" + raw.hex() if len(raw) == 32 else None
    return None


def _hashes(values) -> list[str]:
    found = [h for h in (sha256_item(v) for v in values) if h]
    return list(dict.fromkeys(found))[:MAX_HASHES]


class Lines:
    """Line numbers of things found by text, for SARIF locations (1 when not found)."""

    def __init__(self, text: str):
        self.lines = text.splitlines()

    def find(self, *needles: str, start: int = 1) -> int:
        for number in range(max(start, 1), len(self.lines) + 1):
            if all(n in self.lines[number - 1] for n in needles):
                return number
        return start if start > 1 else 1


# ------------------------------------------------------------------------------------- Python

def _requirement_lines(text: str):
    """Logical lines (continuations joined) with the number of their first physical line."""
    buffer, first = "", 0
    for number, raw in enumerate(text.splitlines(), start=1):
        if not buffer:
            first = number
        line = raw.rstrip()
        if line.endswith("\\"):
            buffer += line[:-1] + " "
            continue
        yield first, (buffer + line)
        buffer = ""
    if buffer:
        yield first, buffer


def parse_requirements(text: str, path: str) -> list[Dependency]:
    deps = []
    for number, line in _requirement_lines(text):
        line = re.sub(r"(^|\s)#.*$", "", line).strip()
        if not line:
            continue
        hashes = _hashes(re.findall(r"--hash[=\s]+(\S+)", line))
        spec = re.sub(r"--hash[=\s]+\S+", "", line).strip()
        if spec.startswith(("-e ", "--editable")):
            deps.append(Dependency("pypi", spec.split()[-1], None, path, number, note="editable install"))
            continue
        if spec.startswith("-"):
            continue  # options: -r/-c (those files are read when audited), --index-url, ...
        try:
            requirement = Requirement(spec)
        except InvalidRequirement:
            deps.append(Dependency("pypi", spec.split()[0][:100], None, path, number, note="not a requirement"))
            continue
        name = canonicalize_name(requirement.name)
        if requirement.url:
            deps.append(Dependency("pypi", name, None, path, number, hashes, note="direct URL"))
            continue
        specifiers = list(requirement.specifier)
        exact = len(specifiers) == 1 and specifiers[0].operator in ("==", "===") and "*" not in specifiers[0].version
        version = specifiers[0].version if exact else None
        note = "" if exact else (f"range {requirement.specifier}" if specifiers else "no version")
        deps.append(Dependency("pypi", name, version, path, number, hashes, note=note))
    return deps


def _toml_packages(data: dict, key: str, path: str, lines: Lines, hashes_of) -> list[Dependency]:
    deps = []
    packages = data.get(key)
    if not isinstance(packages, list):
        raise LockfileError(f"{path}: no [[{key}]] tables")
    position = 1
    for package in packages:
        if not isinstance(package, dict) or not isinstance(package.get("name"), str):
            continue
        name = package["name"]
        position = lines.find(f'name = "{name}"', start=position)
        source = package.get("source")
        if isinstance(source, dict) and set(source) & {"editable", "virtual", "directory", "path"}:
            continue  # the project itself or a local path: nothing a registry published
        version = package.get("version")
        deps.append(Dependency("pypi", canonicalize_name(name), version if isinstance(version, str) else None,
                               path, position, hashes_of(package), note="" if isinstance(version, str) else "no version"))
    return deps


def parse_poetry_lock(text: str, path: str) -> list[Dependency]:
    def hashes_of(package):
        return _hashes(f.get("hash") for f in package.get("files") or [] if isinstance(f, dict))
    return _toml_packages(_toml(text, path), "package", path, Lines(text), hashes_of)


def parse_uv_lock(text: str, path: str) -> list[Dependency]:
    def hashes_of(package):
        files = [package.get("sdist") or {}, *(package.get("wheels") or [])]
        return _hashes(f.get("hash") for f in files if isinstance(f, dict))
    return _toml_packages(_toml(text, path), "package", path, Lines(text), hashes_of)


def parse_pylock(text: str, path: str) -> list[Dependency]:
    """PEP 751 pylock.toml: [[packages]] with sdist/wheels[].hashes.sha256."""
    def hashes_of(package):
        files = [package.get("sdist") or {}, package.get("archive") or {}, *(package.get("wheels") or [])]
        return _hashes(f"sha256:{(f.get('hashes') or {}).get('sha256', '')}" for f in files if isinstance(f, dict))
    return _toml_packages(_toml(text, path), "packages", path, Lines(text), hashes_of)


def parse_pipfile_lock(text: str, path: str) -> list[Dependency]:
    data = _json(text, path)
    lines = Lines(text)
    deps = []
    for section in ("default", "develop"):
        for name, entry in (data.get(section) or {}).items():
            if not isinstance(entry, dict):
                continue
            version = entry.get("version")
            pinned = version[2:] if isinstance(version, str) and version.startswith("==") else None
            deps.append(Dependency("pypi", canonicalize_name(name), pinned, path, lines.find(f'"{name}": {{'),
                                   _hashes(entry.get("hashes") or []),
                                   note="" if pinned else ("direct URL or VCS" if not version else f"range {version}")))
    return deps


# ---------------------------------------------------------------------------------------- npm

def _npm_name_from_path(key: str) -> str:
    return key.rsplit("node_modules/", 1)[-1]


def parse_package_lock(text: str, path: str) -> list[Dependency]:
    """package-lock.json / npm-shrinkwrap.json, lockfileVersion 1 (dependencies) and 2-3 (packages)."""
    data = _json(text, path)
    lines = Lines(text)
    deps = []
    if isinstance(data.get("packages"), dict):
        for key, entry in data["packages"].items():
            if not key or not isinstance(entry, dict) or entry.get("link") or "node_modules/" not in key:
                continue  # the root project, workspace links
            name = entry.get("name") if isinstance(entry.get("name"), str) else _npm_name_from_path(key)
            version = entry.get("version") if isinstance(entry.get("version"), str) else None
            deps.append(Dependency("npm", name, version, path, lines.find(json.dumps(key) + ":"),
                                   _hashes([entry.get("integrity") or ""]), note="" if version else "no version"))
        return deps
    if not isinstance(data.get("dependencies"), dict):
        raise LockfileError(f"{path}: neither packages nor dependencies")

    def walk(dependencies: dict, start: int):
        for name, entry in dependencies.items():
            if not isinstance(entry, dict):
                continue
            line = lines.find(json.dumps(name) + ":", start=start)
            version = entry.get("version") if isinstance(entry.get("version"), str) else None
            if version and version.startswith(("file:", "git", "http", "link:")):
                deps.append(Dependency("npm", name, None, path, line, note=f"not from the registry ({version[:60]})"))
            else:
                deps.append(Dependency("npm", name, version, path, line, _hashes([entry.get("integrity") or ""])))
            if isinstance(entry.get("dependencies"), dict):
                walk(entry["dependencies"], line)
    walk(data["dependencies"], 1)
    return deps


def _split_npm_spec(spec: str) -> tuple[str, str]:
    """`@scope/name@^1.0.0` -> (`@scope/name`, `^1.0.0`)."""
    at = spec.find("@", 1)
    return (spec[:at], spec[at + 1:]) if at > 0 else (spec, "")


def _yarn_classic(text: str, path: str) -> list[Dependency]:
    deps, current = [], None
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        if not raw[0].isspace():
            header = raw.rstrip().rstrip(":")
            first = header.split(",")[0].strip().strip('"')
            name, _ = _split_npm_spec(first)
            current = Dependency("npm", name, None, path, number, note="no version")
            deps.append(current)
            continue
        if current is None or raw.startswith("    "):
            continue  # nested maps (dependencies:) belong to the entry, not its fields
        key, _, value = raw.strip().partition(" ")
        value = value.strip().strip('"')
        if key == "version":
            current.version, current.note = value, ""
        elif key == "integrity":
            current.hashes = _hashes([value])
        elif key == "resolved" and not value.startswith(("https://", "http://")):
            current.version, current.note = None, f"not from the registry ({value[:60]})"
    return deps


def _yarn_berry(data: dict, text: str, path: str) -> list[Dependency]:
    lines = Lines(text)
    deps = []
    for key, entry in data.items():
        if key == "__metadata" or not isinstance(entry, dict):
            continue
        resolution = entry.get("resolution") if isinstance(entry.get("resolution"), str) else key.split(",")[0]
        name, descriptor = _split_npm_spec(resolution.strip())
        line = lines.find(key.split(",")[0].strip())
        if not descriptor.startswith("npm:"):
            if not descriptor.startswith(("workspace:", "link:", "portal:")):
                deps.append(Dependency("npm", name, None, path, line, note=f"not from the registry ({descriptor[:60]})"))
            continue
        version = entry.get("version") if isinstance(entry.get("version"), str) else descriptor[4:]
        deps.append(Dependency("npm", name, version, path, line))
    return deps


def parse_yarn_lock(text: str, path: str) -> list[Dependency]:
    if "__metadata:" in text:
        data = _yaml(text, path)
        if isinstance(data, dict):
            return _yarn_berry(data, text, path)
    return _yarn_classic(text, path)


_PNPM_PEER_SUFFIX = re.compile(r"(\(.*\)|_.*)$")


def parse_pnpm_lock(text: str, path: str) -> list[Dependency]:
    """pnpm-lock.yaml v5 (`/name/1.0.0`), v6 (`/name@1.0.0`) and v9 (`name@1.0.0`)."""
    data = _yaml(text, path)
    packages = data.get("packages") if isinstance(data, dict) else None
    if not isinstance(packages, dict):
        return []
    lines = Lines(text)
    deps = []
    for key, entry in packages.items():
        if not isinstance(key, str):
            continue
        spec = key.lstrip("/")
        if "@" in spec[1:]:
            name, version = _split_npm_spec(spec)
        else:  # v5: /@scope/name/1.0.0
            name, _, version = spec.rpartition("/")
        version = _PNPM_PEER_SUFFIX.sub("", version)
        entry = entry if isinstance(entry, dict) else {}
        resolution = entry.get("resolution") if isinstance(entry.get("resolution"), dict) else {}
        line = lines.find(key if key.startswith("/") else key.split("(")[0])
        if version.startswith(("file:", "link:", "http", "git")) or resolution.get("tarball", "").startswith("file:"):
            deps.append(Dependency("npm", name, None, path, line, note="not from the registry"))
            continue
        deps.append(Dependency("npm", name, version or None, path, line, _hashes([resolution.get("integrity", "")])))
    return deps


# --------------------------------------------------------------------------------------- SBOMs

def _from_purl(value, path: str, line: int, hashes: list[str]) -> Dependency | None:
    try:
        purl = PackageURL.from_string(value)
    except ValueError:
        return None
    if purl.type not in ("pypi", "npm"):
        return None
    name = purl.name
    if purl.type == "npm" and purl.namespace:
        name = f"{purl.namespace}/{purl.name}"
    elif purl.type == "pypi":
        name = canonicalize_name(name)
    return Dependency(purl.type, name, purl.version, path, line, hashes, note="" if purl.version else "no version")


def parse_cyclonedx(data: dict, text: str, path: str) -> list[Dependency]:
    lines = Lines(text)
    deps = []

    def walk(components):
        for component in components or []:
            if not isinstance(component, dict):
                continue
            purl = component.get("purl")
            if isinstance(purl, str):
                hashes = _hashes(f"sha256:{h.get('content', '')}" for h in component.get("hashes") or []
                                 if isinstance(h, dict) and h.get("alg") == "SHA-256")
                dep = _from_purl(purl, path, lines.find(json.dumps(purl)[1:-1]), hashes)
                if dep:
                    deps.append(dep)
            walk(component.get("components"))
    walk(data.get("components"))
    return deps


def parse_spdx(data: dict, text: str, path: str) -> list[Dependency]:
    lines = Lines(text)
    deps = []
    for package in data.get("packages") or []:
        if not isinstance(package, dict):
            continue
        hashes = _hashes(f"sha256:{c.get('checksumValue', '')}" for c in package.get("checksums") or []
                         if isinstance(c, dict) and c.get("algorithm") == "SHA256")
        for ref in package.get("externalRefs") or []:
            if isinstance(ref, dict) and ref.get("referenceType") == "purl" and isinstance(ref.get("referenceLocator"), str):
                locator = ref["referenceLocator"]
                dep = _from_purl(locator, path, lines.find(json.dumps(locator)[1:-1]), hashes)
                if dep:
                    deps.append(dep)
    return deps


def parse_sbom(text: str, path: str) -> list[Dependency]:
    data = _json(text, path)
    if data.get("bomFormat") == "CycloneDX":
        return parse_cyclonedx(data, text, path)
    if "spdxVersion" in data:
        return parse_spdx(data, text, path)
    raise LockfileError(f"{path}: neither a CycloneDX nor an SPDX JSON document")


# ------------------------------------------------------------------------------------ dispatch

def _toml(text: str, path: str) -> dict:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LockfileError(f"{path}: not valid TOML ({exc})") from None


def _json(text: str, path: str) -> dict:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise LockfileError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise LockfileError(f"{path}: expected a JSON object")
    return data


def _yaml(text: str, path: str):
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise LockfileError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None


PARSERS = {
    "poetry.lock": parse_poetry_lock,
    "uv.lock": parse_uv_lock,
    "Pipfile.lock": parse_pipfile_lock,
    "pylock.toml": parse_pylock,
    "package-lock.json": parse_package_lock,
    "npm-shrinkwrap.json": parse_package_lock,
    "yarn.lock": parse_yarn_lock,
    "pnpm-lock.yaml": parse_pnpm_lock,
}
_REQUIREMENTS = re.compile(r"requirements.*\.txt")
_SBOM = re.compile(r".*\.(cdx|spdx)\.json|bom\.json|sbom.*\.json")
_PYLOCK = re.compile(r"pylock\.[^.]+\.toml")


def parser_for(path: Path):
    name = path.name
    if name in PARSERS:
        return PARSERS[name]
    if _PYLOCK.fullmatch(name):
        return parse_pylock
    if _REQUIREMENTS.fullmatch(name):
        return parse_requirements
    if _SBOM.fullmatch(name):
        return parse_sbom
    return None


SKIP_DIRS = {".git", "node_modules", ".venv", "venv", "__pycache__", ".tox", ".nox", "site-packages", "dist", "build"}


def find_lockfiles(root: Path, *, max_depth: int = 6) -> list[Path]:
    """Lockfiles and SBOMs under a directory (not inside node_modules, virtualenvs or .git)."""
    found = []

    def walk(directory: Path, depth: int):
        try:
            entries = sorted(directory.iterdir(), key=lambda p: p.name)
        except OSError:
            return
        for entry in entries:
            if entry.is_symlink():
                continue
            if entry.is_dir():
                if depth < max_depth and entry.name not in SKIP_DIRS:
                    walk(entry, depth + 1)
            elif parser_for(entry) is not None:
                found.append(entry)
    walk(root, 0)
    return found


def read_dependencies(path: Path, display: str) -> list[Dependency]:
    parser = parser_for(path)
    if parser is None:
        raise LockfileError(f"{display}: not a lockfile or SBOM Sigil reads")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise LockfileError(f"{display}: larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise LockfileError(f"{display}: not UTF-8 text") from None
    return parser(text, display)
