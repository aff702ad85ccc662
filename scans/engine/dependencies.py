"""The dependencies a package declares, read from its metadata without running anything.

npm: package.json `dependencies`, `optionalDependencies` and `peerDependencies` (npm 7 and later
install peers). PyPI: `Requires-Dist` in PKG-INFO or a wheel's METADATA, an sdist's
`*.egg-info/requires.txt`, `[project] dependencies` in pyproject.toml, `install_requires` in
setup.cfg and, as literal lists only, in setup.py (read with `ast`, never executed). Optional
extras are left out: pip does not install them by default.

The server matches these against its threat intelligence (a package that only pulls in a known
malicious package is flagged with the reason); the engine itself does not score them.
"""

from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass

from domain.identifiers import pep503_name

MAX_DEPENDENCIES = 500
MAX_NAME = 214
MAX_SPEC = 256
_MAX_SOURCE_BYTES = 512 * 1024
# A PEP 508 requirement: the name, then anything (extras, version, markers).
_PEP508_NAME = re.compile(r"^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(.*)$", re.S)
_NPM_NAME = re.compile(r"^(?:@[a-z0-9][\w.-]*/)?[a-z0-9][\w.-]*$", re.I)


@dataclass(frozen=True)
class Dependency:
    ecosystem: str  # "pypi" | "npm"
    name: str
    spec: str  # the version constraint as declared, "" for any version
    source: str  # the file that declares it

    def to_dict(self) -> dict:
        return {"ecosystem": self.ecosystem, "name": self.name, "spec": self.spec}


def _pypi_requirement(line: str) -> tuple[str, str] | None:
    """(name, version spec) of a PEP 508 line; None for extras-only, URLs we cannot name, comments."""
    line = line.split("#", 1)[0].strip()
    if not line or line.startswith(("-", "[")):
        return None
    req, _, marker = line.partition(";")
    if "extra" in marker:
        return None
    m = _PEP508_NAME.match(req)
    if m is None:
        return None
    name, rest = m.group(1), m.group(2).strip()
    rest = re.sub(r"^\[[^\]]*\]\s*", "", rest)  # extras of the dependency itself
    rest = rest.strip("() ")  # "name (>=1.0)", the old metadata spelling; "@ url" stays as the spec
    return name, rest


def _npm_entry(name: object, spec: object) -> tuple[str, str] | None:
    if not isinstance(name, str) or not isinstance(spec, str):
        return None
    if spec.startswith("npm:"):  # an alias: "x": "npm:real-name@^1"
        target = spec[4:]
        at = target.rfind("@")
        name, spec = (target[:at], target[at + 1:]) if at > 0 else (target, "")
    if not _NPM_NAME.match(name):
        return None
    return name, spec.strip()


def _from_package_json(data: bytes) -> list[tuple[str, str]]:
    try:
        doc = json.loads(data.decode("utf-8", "replace"))
    except ValueError:
        return []
    if not isinstance(doc, dict):
        return []
    out = []
    for section in ("dependencies", "optionalDependencies", "peerDependencies"):
        deps = doc.get(section)
        if isinstance(deps, dict):
            out.extend(e for e in (_npm_entry(k, v) for k, v in deps.items()) if e)
    return out


def _from_metadata(data: bytes) -> list[tuple[str, str]]:
    out = []
    for raw in data.decode("utf-8", "replace").splitlines():
        if raw == "":
            break  # the headers end where the description starts
        if raw.lower().startswith("requires-dist:"):
            req = _pypi_requirement(raw.split(":", 1)[1])
            if req:
                out.append(req)
    return out


def _from_requires_txt(data: bytes) -> list[tuple[str, str]]:
    out = []
    for line in data.decode("utf-8", "replace").splitlines():
        if line.strip().startswith("["):
            break  # [extra] and [:marker] sections follow the plain requirements
        req = _pypi_requirement(line)
        if req:
            out.append(req)
    return out


def _from_pyproject(data: bytes) -> list[tuple[str, str]]:
    import tomllib  # the parsers load when a package has such a file (CLI start-up stays light)

    try:
        doc = tomllib.loads(data.decode("utf-8", "replace"))
    except (tomllib.TOMLDecodeError, ValueError):
        return []
    deps = doc.get("project", {}).get("dependencies") if isinstance(doc.get("project"), dict) else None
    if not isinstance(deps, list):
        return []
    return [r for r in (_pypi_requirement(d) for d in deps if isinstance(d, str)) if r]


def _from_setup_cfg(data: bytes) -> list[tuple[str, str]]:
    import configparser

    parser = configparser.RawConfigParser(strict=False)
    try:
        parser.read_string(data.decode("utf-8", "replace"))
        value = parser.get("options", "install_requires", fallback="")
    except (configparser.Error, ValueError):
        return []
    return [r for r in (_pypi_requirement(line) for line in value.splitlines()) if r]


def _from_setup_py(data: bytes) -> list[tuple[str, str]]:
    """install_requires given as a literal list (directly or through a variable) in setup.py."""
    import ast

    try:
        tree = ast.parse(data.decode("utf-8", "replace"))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    literals: dict[str, list] = {}
    found: list = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, (ast.List, ast.Tuple)):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    literals[target.id] = node.value.elts
        elif isinstance(node, ast.keyword) and node.arg == "install_requires":
            value = node.value
            if isinstance(value, (ast.List, ast.Tuple)):
                found.extend(value.elts)
            elif isinstance(value, ast.Name):
                found.append(value)
    out = []
    for elt in found:
        elts = literals.get(elt.id, []) if isinstance(elt, ast.Name) else [elt]
        for e in elts:
            if isinstance(e, ast.Constant) and isinstance(e.value, str):
                req = _pypi_requirement(e.value)
                if req:
                    out.append(req)
    return out


def declared_dependencies(files: dict[str, bytes], ecosystem: str | None) -> list[Dependency]:
    """Dependencies declared by the package whose files (role path -> bytes) are given.

    Roles are paths below the package's own top folder ("package.json", "setup.py",
    "pkg-1.0.dist-info/METADATA"). The first source that declares anything wins per name.
    """
    readers: list[tuple[str, str, object]] = []
    for role in sorted(files):
        base = posixpath.basename(role)
        depth = role.count("/")
        if role == "package.json" and ecosystem in (None, "npm"):
            readers.append(("npm", role, _from_package_json))
        elif ecosystem == "npm":
            continue
        elif base == "METADATA" and depth == 1 and role.split("/")[0].endswith(".dist-info"):
            readers.append(("pypi", role, _from_metadata))
        elif role == "PKG-INFO":
            readers.append(("pypi", role, _from_metadata))
        elif base == "requires.txt" and depth in (1, 2) and role.split("/")[-2].endswith(".egg-info"):
            readers.append(("pypi", role, _from_requires_txt))
        elif role == "pyproject.toml":
            readers.append(("pypi", role, _from_pyproject))
        elif role == "setup.cfg":
            readers.append(("pypi", role, _from_setup_cfg))
        elif role == "setup.py":
            readers.append(("pypi", role, _from_setup_py))
    seen: set[tuple[str, str]] = set()
    out: list[Dependency] = []
    for eco, role, reader in readers:
        for name, spec in reader(files[role][:_MAX_SOURCE_BYTES]):
            key = (eco, pep503_name(name) if eco == "pypi" else name.lower())
            if key in seen or len(name) > MAX_NAME:
                continue
            seen.add(key)
            out.append(Dependency(eco, name, spec[:MAX_SPEC], role))
            if len(out) >= MAX_DEPENDENCIES:
                return out
    return out
