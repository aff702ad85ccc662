"""The scan: read the files, weigh where they sit, match signatures, run the analyzers, combine, tally.

    files.py          file roles, language, location weight
    analyzers/        npm scripts, install-time scope, provenance, package name, registry installers
    match.py          the RE2 signature pass (comments and docstrings are prose)
    decode.py         encoded blobs and strings, decoded and matched again
    combos.py         behaviours that are suspicious together (a table over capability tags)
    scoring.py        every weight, multiplier, cap and decay, named
    tally.py          findings add up to the score: repeats saturate, files rank, noise is capped
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from . import scoring as W
from .analyzers.agent_tools import tool_poisoning
from .analyzers.install_scope import (dev_tool_lines, env_gated, install_targets, maintainer_lines,
                                     overrides_install_step, shipped_file_execs, vendored_imported)
from .analyzers.credentials import browser_profile_discount, own_store_discount
from .analyzers.installers import mark_installers, quiet_verified_downloads
from .analyzers.npm import npm_scripts
from .analyzers.provenance import (compiled_only, confusion_probe, metadata_name, provenance, shadows_popular,
                                   special_entries, typosquat)
from .archive import ArchiveLimits, Entry, load_bytes, read_archive
from .combos import combine
from .decode import scan_blobs
from .dependencies import Dependency, declared_dependencies
from .files import IMPORTED_VENDORED, MAX_SCAN_BYTES, FileInfo, file_infos, file_stats, locate
from .hashing import sha256_hex, tree_hash_entries, walk_tree
from .hits import RawHit
from .match import match_rules
from .result import MAX_FINDINGS_PER_PHASE, PHASE_NAMES, Finding, PhaseResult, ScanResult, verdict_for_score
from .rules import CompiledRules, compile_rules
from .tally import aggregate

# Languages whose encoded blobs are decoded and matched (data files hold blobs legitimately).
BLOB_LANGS = ("python", "javascript", "shell", "other")


def _guess_ecosystem(by_role: dict[str, FileInfo]) -> str | None:
    if "package.json" in by_role:
        return "npm"
    if any(r in by_role for r in ("setup.py", "pyproject.toml", "PKG-INFO", "setup.cfg")) or any(
        r.endswith(".dist-info/METADATA") for r in by_role
    ):
        return "pypi"
    return None


def _large_package_discount(files: list[FileInfo], hits: list[RawHit]) -> None:
    """Custom install commands and launchers are routine in big projects with native builds; in a
    package of a few files they are the payload's entry point."""
    code_files = sum(1 for f in files if f.lang in ("python", "javascript"))
    if code_files < W.LARGE_PACKAGE_FILES:
        return
    for h in hits:
        if "install-override" in h.tags:
            h.points *= W.LARGE_PACKAGE_INSTALL_OVERRIDE
        elif h.rule_id == "eng_executable":
            h.points *= W.LARGE_PACKAGE_EXECUTABLE


def _maintainer_code(info: FileInfo, hits: list[RawHit], roles: set[str]) -> list[RawHit]:
    """setup.py branches for commands pip never runs ("publish", "coverage") weigh as tooling, and so
    does the exec of a file the package ships (its version file): that file is judged as install-time
    code itself (install_scope.install_targets)."""
    if info.base == "pyproject.toml" and info.install_time and hits:
        lines = dev_tool_lines(info.data)  # [tool.cibuildwheel], [tool.tox]...: the maintainer's tooling
        for h in hits:
            if not h.label and h.line in lines:
                h.points = h.points / info.mult * W.DEV_TOOLING_MULT
                h.dormant = True
        return hits
    if info.base != "setup.py" or not info.install_time or not hits:
        return hits
    lines = maintainer_lines(info.data)
    execs = shipped_file_execs(info.data, roles) if any("exec" in h.tags for h in hits) else {}
    for h in hits:
        if h.label:
            continue
        if h.line in lines or (h.line in execs and "exec" in h.tags and h.severity == "low"):
            h.points = h.points / info.mult * W.MAINTAINER_CODE_MULT
            h.dormant = True
    return hits


def _opt_in_startup_hooks(hits: list[RawHit]) -> None:
    """A .pth hook that runs nothing unless an environment variable opts in (coverage's subprocess
    measurement, auto-installed log handlers), and does nothing worse than import and call, is a
    tool's documented switch: it weighs as tooling and never combines."""
    by_file: dict[str, list[RawHit]] = {}
    for h in hits:
        if h.file.ext == ".pth" and not h.label:
            by_file.setdefault(h.file.path, []).append(h)
    for group in by_file.values():
        info = group[0].file
        if not env_gated(info.data) or any(h.severity != "low" and h.phase != 1 for h in group):
            continue
        for h in group:
            h.points = h.points / info.mult * W.MAINTAINER_CODE_MULT
            h.dormant = True


def _critical_in_vendored(hits: list[RawHit]) -> None:
    """A critical signature (hex-decoded exec, shellcode loader, browser-store rewrite...) or an engine
    check of the same kind (scoring.KEEPS_WEIGHT_IN_VENDORED) names what no library does: in a vendored file the package does not import it keeps its full weight, outside
    the low-value budget (a vendored folder is no hiding place)."""
    for h in hits:
        if h.file.reason == "vendored" and not h.inert and (
                (h.severity == "critical" and h.is_signature) or h.rule_id in W.KEEPS_WEIGHT_IN_VENDORED):
            h.points = h.points / h.file.mult
            h.uncapped = True


def _hooks_alone(hits: list[RawHit]) -> None:
    """Install-command overrides weigh little when they replace no command of pip's install step
    (only build, egg_info housekeeping or maintainer commands) and no install-time code runs,
    fetches, reads or decodes anything."""
    hooks = [h for h in hits if "install-override" in h.tags]
    if not hooks or any(overrides_install_step(h.file.data) for h in hooks):
        return
    if any(h.file.install_time and 2 <= h.phase <= 5 and not h.inert and "env-read" not in h.tags for h in hits):
        return
    for h in hooks:
        h.points *= W.HOOK_ALONE
        h.routine = True


def _scan_files(files: list[FileInfo], specials: list[Entry], compiled: CompiledRules, ecosystem: str | None,
                package_name: str | None) -> tuple[list[Finding], list[Dependency]]:
    by_role = {f.role: f for f in files}
    ecosystem = ecosystem or _guess_ecosystem(by_role)
    hits: list[RawHit] = []
    script_targets: set[str] = set()
    pkg = by_role.get("package.json")
    if pkg is not None:
        npm_hits, script_targets, npm_name = npm_scripts(pkg, by_role)
        package_name = package_name or npm_name
        hits.extend(npm_hits)
    package_name = package_name or metadata_name(files)
    targets = install_targets(by_role, script_targets)
    for info in files:
        locate(info, targets)
    if any(info.reason == "vendored" for info in files):  # tracing imports parses every module: only when needed
        for role in vendored_imported(files, by_role):
            info = by_role[role]
            if info.reason == "vendored":  # the package runs it: its own code's weight (files.IMPORTED_VENDORED)
                info.mult, info.reason = 1.0, IMPORTED_VENDORED
    roles = set(by_role)
    for info in files:
        if not info.is_text:
            continue
        hits.extend(_maintainer_code(info, match_rules(compiled, info, info.data[:info.scan_cap], mult=info.mult),
                                     roles))
        if info.lang in BLOB_LANGS and info.mult >= 1.0:
            hits.extend(scan_blobs(compiled, info, info.data, info.mult))
    hits.extend(provenance(files))
    hits.extend(compiled_only(files))
    hits.extend(tool_poisoning(files))
    hits.extend(special_entries(specials))
    _large_package_discount(files, hits)
    _critical_in_vendored(hits)
    _opt_in_startup_hooks(hits)
    own_store_discount(hits)
    browser_profile_discount(hits)
    quiet_verified_downloads(hits)
    _hooks_alone(hits)
    mark_installers(hits)
    hits.extend(combine(hits))
    hits.extend(confusion_probe(hits))
    hits.extend(shadows_popular(package_name, ecosystem, files))
    hits.extend(typosquat(package_name, ecosystem, pkg or by_role.get("setup.py") or by_role.get("PKG-INFO"), hits))
    dependencies = declared_dependencies({f.role: f.data for f in files if f.is_text}, ecosystem)
    return aggregate(hits), dependencies


def _build_result(scanned: tuple[list[Finding], list[Dependency]], source_hash: str, stats: dict,
                  file_hashes: dict[str, str]) -> ScanResult:
    findings, dependencies = scanned
    phases = []
    for number, name in PHASE_NAMES.items():
        mine = sorted((f for f in findings if f.phase == number), key=lambda f: (-f.points, f.file, f.line))
        score = sum(f.points for f in mine)
        strings = [f.summary() for f in mine if f.points > 0][:MAX_FINDINGS_PER_PHASE]
        phases.append(PhaseResult(number, name, score, strings))
    score = sum(p.score for p in phases)
    ordered = sorted(findings, key=lambda f: (f.phase, -f.points, f.file, f.line))
    return ScanResult(phases, score, verdict_for_score(score), source_hash, stats, ordered, file_hashes, dependencies)


def scan_archive(data_or_path, rules_or_compiled, *, filename: str | None = None, ecosystem: str | None = None,
                 package_name: str | None = None, limits: ArchiveLimits | None = None) -> ScanResult:
    """Scan a .tgz/.tar.gz/.tar/.whl/.zip archive in memory, never extracting it."""
    compiled = compile_rules(rules_or_compiled)
    data = load_bytes(data_or_path)
    if filename is None:
        filename = str(data_or_path) if not isinstance(data_or_path, (bytes, bytearray, memoryview)) else ""
    entries = read_archive(data, filename, limits or ArchiveLimits())
    specials = [e for e in entries if e.kind != "file"]
    # Later duplicates of one path win, as they would on extraction.
    seen: dict[str, Entry] = {}
    for e in entries:
        if e.kind == "file":
            seen[e.path] = e
    regular = list(seen.values())
    # Entries hold only what the scanner reads of each member; the digest covers the whole member.
    file_hashes = {e.path: "sha256:" + e.sha256 for e in regular}
    files = file_infos([(e.path, e.data, e.size) for e in regular], strip_root=True)
    scanned = _scan_files(files, specials, compiled, ecosystem, package_name)
    return _build_result(scanned, "sha256:" + sha256_hex(data), file_stats(files), file_hashes)


def scan_directory(path, rules_or_compiled, *, ecosystem: str | None = None, package_name: str | None = None) -> ScanResult:
    """Scan a directory tree without following symlinks; source_hash is its tree hash."""
    compiled = compile_rules(rules_or_compiled)
    root = Path(path)
    items: list[tuple[str, bytes, int]] = []
    specials: list[Entry] = []
    digests: list[tuple[str, str]] = []
    for kind, rel, entry in walk_tree(root):
        if kind == "symlink":
            try:
                target = os.readlink(entry.path)
            except OSError:
                target = ""
            specials.append(Entry(rel, "symlink", target=target))
        elif kind == "file":
            h = hashlib.sha256()
            head = b""
            size = 0
            with open(entry.path, "rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    if len(head) < MAX_SCAN_BYTES:
                        head += chunk[: MAX_SCAN_BYTES - len(head)]
                    h.update(chunk)
                    size += len(chunk)
            digests.append((rel, h.hexdigest()))
            items.append((rel, head, size))
        else:
            specials.append(Entry(rel, kind))
    items.sort(key=lambda t: t[0].encode("utf-8", "surrogateescape"))
    file_hashes = {rel: "sha256:" + d for rel, d in digests}
    # A directory is the package root itself: no shared top folder to strip.
    files = file_infos(items, strip_root=False)
    scanned = _scan_files(files, specials, compiled, ecosystem, package_name)
    return _build_result(scanned, tree_hash_entries(digests), file_stats(files), file_hashes)
