"""What changed between two releases of one package (README, "Release diffs").

Pure: the server (verification's `changes_since`) and the CLI (`sigil diff`) share it. Findings
are matched by rule and location (the file, without the archive's top folder, which carries
the version in sdists), never by line number, so moved code is not "new". A release-risk signal
is a change that supply-chain attacks make in an otherwise ordinary release: a new or changed
install hook, a new network destination in install-time code, or a new publisher or
maintainer in a patch or minor release. Each signal adds RISK_POINTS to the score (at most
MAX_RISK_POINTS), which raises the verdict by at least one band from clean.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from email.parser import HeaderParser

from .archive import ArchiveLimits, read_archive
from .result import ScanResult

RISK_POINTS = 10
MAX_RISK_POINTS = 20
NPM_HOOKS = ("preinstall", "install", "postinstall", "prepare")
BINARY_SUFFIXES = (".so", ".dll", ".dylib", ".exe", ".node", ".pyd", ".bin", ".wasm", ".jar", ".class", ".o", ".a")
MANIFEST_NAMES = ("package.json", "PKG-INFO", "METADATA", "setup.py", "pyproject.toml")
_URL = re.compile(r"\b[a-z][a-z0-9+.-]{1,15}://([a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?(?:\.[a-z0-9-]{1,63})+)"
                  r"(?::\d{1,5})?(/[^\s'\"`<>)]*)?", re.I)
_HOST = re.compile(r"""\b(?:host|hostname)\s*[:=]\s*['"]([a-z0-9.-]+\.[a-z]{2,})['"]""", re.I)
_SCRIPT_FILE = re.compile(r"[\w./-]+\.(?:js|cjs|mjs|sh|py|ps1)\b")
_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(.*)$")


@dataclass
class Release:
    """One release as the diff sees it: its scan, its manifest, and who published it."""

    version: str
    result: ScanResult
    manifest: dict = field(default_factory=dict)  # {"install_hooks": {...}, "dependencies": {...}}
    publisher: str | None = None
    maintainers: tuple[str, ...] = ()


def _top_folder(paths) -> str:
    tops = {p.split("/", 1)[0] for p in paths if "/" in p}
    return tops.pop() + "/" if len(tops) == 1 and all("/" in p for p in paths) else ""


def _relative(path: str, top: str) -> str:
    return path[len(top):] if top and path.startswith(top) else path


def manifest_from_files(files: dict[str, bytes]) -> dict:
    """Install hooks and declared dependencies from package.json or PKG-INFO/METADATA (+ setup.py)."""
    top = _top_folder(files)
    by_name = {_relative(p, top): data for p, data in files.items()}
    hooks: dict[str, str] = {}
    dependencies: dict[str, str] = {}
    if "package.json" in by_name:
        try:
            doc = json.loads(by_name["package.json"].decode("utf-8", "replace"))
        except ValueError:
            doc = {}
        scripts = doc.get("scripts") if isinstance(doc, dict) else None
        for hook in NPM_HOOKS:
            if isinstance(scripts, dict) and isinstance(scripts.get(hook), str):
                hooks[hook] = scripts[hook][:500]
        for key in ("dependencies", "optionalDependencies"):
            declared = doc.get(key) if isinstance(doc, dict) else None
            if isinstance(declared, dict):
                dependencies.update({str(k)[:214]: str(v)[:200] for k, v in declared.items()})
    for name in ("PKG-INFO", "METADATA") + tuple(p for p in by_name if p.endswith((".dist-info/METADATA",))):
        if name in by_name:
            headers = HeaderParser().parsestr(by_name[name].decode("utf-8", "replace"))
            for requirement in headers.get_all("Requires-Dist") or []:
                match = _REQUIREMENT.match(requirement)
                if match:
                    dependencies[match.group(1).lower()] = match.group(2).strip()[:200]
    if "setup.py" in by_name:
        # Runs on every sdist install: its content is the install hook.
        hooks["setup.py"] = "sha256:" + hashlib.sha256(by_name["setup.py"]).hexdigest()
    return {"install_hooks": hooks, "dependencies": dependencies}


def manifest_of_archive(data: bytes, filename: str) -> dict:
    """The manifest of an archive, read in memory like the scan (nothing extracted or run)."""
    entries = read_archive(data, filename, ArchiveLimits())
    return manifest_from_files({e.path: e.data for e in entries if e.kind == "file"
                                and os.path.basename(e.path) in MANIFEST_NAMES})


def manifest_of_directory(root: str) -> dict:
    files = {}
    for name in MANIFEST_NAMES:
        path = os.path.join(root, name)
        if os.path.isfile(path) and not os.path.islink(path):
            with open(path, "rb") as handle:
                files[name] = handle.read(1 << 20)
    return manifest_from_files(files)


def _findings(result: ScanResult) -> dict[tuple[str, str], dict]:
    top = _top_folder(result.file_hashes)
    found = {}
    for f in result.findings:
        key = (f.rule_id, _relative(f.file, top))
        found.setdefault(key, {"rule": f.rule_id, "phase": f.phase, "file": key[1], "message": f.message[:200]})
    return found


def _destinations(result: ScanResult, files: set[str] | None = None) -> tuple[set[str], set[str]]:
    """(domains, endpoints) named in findings' excerpts; only in these files when given."""
    top = _top_folder(result.file_hashes)
    domains, endpoints = set(), set()
    for f in result.findings:
        if files is not None and _relative(f.file, top) not in files:
            continue
        for match in _URL.finditer(f.excerpt):
            host = match.group(1).lower()
            domains.add(host)
            endpoints.add(host + (match.group(2) or "/"))
        domains.update(m.group(1).lower() for m in _HOST.finditer(f.excerpt))
    return domains, endpoints


def _install_files(manifest: dict) -> set[str]:
    files = {"package.json", "setup.py"}
    for command in (manifest.get("install_hooks") or {}).values():
        files.update(m.group(0).lstrip("./") for m in _SCRIPT_FILE.finditer(command))
    return files


def _major(version: str) -> str:
    match = re.match(r"\D*(\d+)", version or "")
    return match.group(1) if match else ""


def release_diff(old: Release, new: Release) -> dict:
    """The changes from `old` to `new`, with the release-risk signals and the points they add."""
    old_findings, new_findings = _findings(old.result), _findings(new.result)
    old_hooks = old.manifest.get("install_hooks") or {}
    new_hooks = new.manifest.get("install_hooks") or {}
    hooks = {"added": {k: v for k, v in new_hooks.items() if k not in old_hooks},
             "changed": {k: v for k, v in new_hooks.items() if k in old_hooks and old_hooks[k] != v},
             "removed": sorted(set(old_hooks) - set(new_hooks))}
    old_deps = old.manifest.get("dependencies") or {}
    new_deps = new.manifest.get("dependencies") or {}
    old_domains, old_endpoints = _destinations(old.result)
    new_domains, new_endpoints = _destinations(new.result)
    install_domains = _destinations(new.result, _install_files(new.manifest))[0] - old_domains
    old_top, new_top = _top_folder(old.result.file_hashes), _top_folder(new.result.file_hashes)
    old_binaries = {_relative(p, old_top) for p in old.result.file_hashes if p.lower().endswith(BINARY_SUFFIXES)}
    new_binaries = sorted(_relative(p, new_top) for p in new.result.file_hashes
                          if p.lower().endswith(BINARY_SUFFIXES) and _relative(p, new_top) not in old_binaries)
    publisher_change = None
    if old.publisher and new.publisher and old.publisher.lower() != new.publisher.lower():
        publisher_change = {"from": old.publisher, "to": new.publisher}
    maintainers_added = sorted(set(new.maintainers) - set(old.maintainers)) if old.maintainers else []
    same_major = _major(old.version) == _major(new.version) != ""

    signals = []
    if hooks["added"] or hooks["changed"]:
        signals.append({"signal": "install_hook",
                        "detail": "new or changed install hook: " + ", ".join(sorted({*hooks["added"], *hooks["changed"]}))})
    if install_domains:
        signals.append({"signal": "install_network",
                        "detail": "install-time code reaches new destinations: " + ", ".join(sorted(install_domains))})
    if same_major and (publisher_change or maintainers_added):
        who = (f"published by {publisher_change['to']} instead of {publisher_change['from']}" if publisher_change
               else "new maintainers: " + ", ".join(maintainers_added))
        signals.append({"signal": "publisher_change", "detail": f"{who} in a patch or minor release"})
    return {
        "previous_version": old.version,
        "new_findings": [new_findings[k] for k in sorted(new_findings.keys() - old_findings.keys())],
        "disappeared_findings": [old_findings[k] for k in sorted(old_findings.keys() - new_findings.keys())],
        "install_hooks": hooks,
        "new_dependencies": [{"name": n, "spec": new_deps[n]} for n in sorted(set(new_deps) - set(old_deps))],
        "new_domains": sorted(new_domains - old_domains),
        "new_endpoints": sorted(new_endpoints - old_endpoints),
        "new_binaries": new_binaries,
        "publisher_change": publisher_change,
        "maintainers_added": maintainers_added,
        "release_risk": {"signals": signals, "points": min(MAX_RISK_POINTS, RISK_POINTS * len(signals))},
    }
