"""Provenance: shipped binaries, compiled code without source, hidden files, packed lines, special
archive entries (links, devices, escaping paths) and a name that imitates a popular package."""

from __future__ import annotations

import posixpath
import re

import re2

from .. import scoring as W
from ..archive import Entry
from ..decode import binary_kind
from ..files import JS_EXT, MAX_SCAN_BYTES, NATIVE_EXT, PY_EXT, FileInfo
from ..hits import RawHit
from ..match import MAX_EXCERPT
from ..typosquat import typosquat_target

COMMON_HIDDEN = {".gitignore", ".npmignore", ".gitattributes", ".editorconfig", ".eslintrc", ".eslintrc.js",
                 ".eslintrc.json", ".eslintrc.yml", ".eslintignore", ".prettierrc", ".prettierignore",
                 ".travis.yml", ".babelrc", ".nycrc", ".coveragerc", ".pre-commit-config.yaml", ".flake8",
                 ".readthedocs.yml", ".readthedocs.yaml", ".gitmodules", ".mailmap", ".npmrc", ".nvmrc",
                 ".jshintrc", ".istanbul.yml", ".taprc", ".mocharc.js", ".mocharc.yml", ".browserslistrc",
                 ".dockerignore", ".git-blame-ignore-revs", ".pylintrc", ".isort.cfg", ".bumpversion.cfg",
                 ".zuul.yaml", ".stestr.conf", ".hgignore", ".hgtags", ".clang-format", ".gitkeep", ".keep",
                 ".document", ".yardopts", ".airtap.yml", ".jscsrc", ".zuul.yml", ".npmrc.example",
                 ".markdownlint.json", ".lintstagedrc", ".huskyrc", ".release-it.json", ".cirrus.yml",
                 ".codecov.yml", ".c8rc.json", ".attw.json", ".tool-versions", ".python-version"}
COMMON_HIDDEN_PREFIXES = (".eslintrc", ".prettierrc", ".babelrc", ".github")
_EXECISH = re2.compile(r"\b(?:exec|eval|b64decode|decompress|marshal|__import__|compile)\b")
LONG_LINE_CHARS = 5000
LONG_LINE_MIN_FILE = 2000
SPECIAL_TITLES = {"symlink": "symbolic link", "hardlink": "hard link", "device": "device file", "fifo": "named pipe",
                  "unsafe_path": "path escaping the package root", "other": "special archive entry"}


def provenance(files: list[FileInfo]) -> list[RawHit]:
    hits: list[RawHit] = []
    py_sources = {f.role[:-1] for f in files if f.role.endswith(".py")}
    for info in files:
        base = info.base
        ext = info.ext
        kind = binary_kind(info.data[:8])
        if kind:
            if ext in NATIVE_EXT:
                hits.append(RawHit("eng_native_binary", 6, "low", info, 0, f"{kind} {ext}", W.NATIVE_BINARY,
                                   "native extension binary"))
            else:
                pts = (W.EXECUTABLE if not info.install_time else W.EXECUTABLE_AT_INSTALL) * min(info.mult, 1.0)
                hits.append(RawHit("eng_executable", 6, "medium", info, 0, kind, pts, f"{kind} executable shipped in package"))
        elif ext == ".pyc" and info.role[:-1] not in py_sources and "__pycache__/" not in info.role:
            hits.append(RawHit("eng_pyc_only", 6, "medium", info, 0, "compiled python", W.PYC_ONLY * min(info.mult, 1.0),
                               "compiled Python without source"))
        elif ext in (".exe", ".scr", ".msi", ".dll"):
            hits.append(RawHit("eng_executable", 6, "medium", info, 0, ext, W.EXECUTABLE * min(info.mult, 1.0),
                               "Windows executable shipped in package"))
        elif _binary_source(info):
            hits.append(RawHit("eng_binary_source", 5, "high", info, 0, f"{info.size} bytes of binary data",
                               W.BINARY_SOURCE * min(info.mult, 1.0),
                               "binary data under a source file name (an encrypted or packed payload in disguise)",
                               tags=frozenset({"obfuscation"})))
        if base.startswith(".") and base not in COMMON_HIDDEN and not base.startswith(COMMON_HIDDEN_PREFIXES):
            hits.append(RawHit("eng_hidden_file", 6, "low", info, 0, base, W.HIDDEN_FILE, "hidden file"))
        if info.lang == "python" and info.size > LONG_LINE_MIN_FILE:
            longest_line = max(info.data[:MAX_SCAN_BYTES].split(b"\n"), key=len)
            if len(longest_line) > LONG_LINE_CHARS and _EXECISH.search(longest_line):
                hits.append(RawHit("eng_long_line", 5, "medium", info, 0, f"{len(longest_line)} chars on one line", W.LONG_LINE,
                                   "very long line in Python source (packed or obfuscated code)"))
    return hits


def _binary_source(info: FileInfo) -> bool:
    """A .py/.js file that is not text (NUL bytes) and no known executable: bytes someone decrypts or
    unpacks before use. macOS resource forks ("._name.py") are binary by nature and skipped."""
    return (not info.is_text and (info.ext in PY_EXT or info.ext in JS_EXT) and not info.base.startswith("._")
            and info.size >= W.BINARY_SOURCE_MIN_BYTES)


def special_entries(specials: list[Entry]) -> list[RawHit]:
    """Links, devices, pipes and escaping paths: reported, never followed."""
    hits: list[RawHit] = []
    for entry in specials:
        info = FileInfo(entry.path, entry.path, b"", 0, False)
        excerpt = f"{entry.path} -> {entry.target}" if entry.target else entry.path
        pts = W.SPECIAL_ENTRY[entry.kind]
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(entry.path), entry.target)) if entry.target else ""
        severity = "high" if entry.kind == "unsafe_path" else "medium"
        if entry.kind in ("symlink", "hardlink"):
            if entry.target.startswith(("/", "\\")) or resolved.startswith(".."):
                pts = W.LINK_OUTSIDE
            else:
                pts, severity = W.LINK_INSIDE, "low"  # CLAUDE.md -> AGENTS.md: a link within the package
        hits.append(RawHit(f"eng_{entry.kind}", 6, severity, info, 0,
                           excerpt[:MAX_EXCERPT], pts, f"{SPECIAL_TITLES[entry.kind]} not followed"))
    return hits


def metadata_name(files: list[FileInfo]) -> str | None:
    """The Name: of a top-level PKG-INFO or METADATA."""
    for info in files:
        if info.base in ("PKG-INFO", "METADATA") and info.role.count("/") <= 1:
            m = re.search(rb"(?m)^Name:\s*(\S+)", info.data[:4096])
            if m:
                return m.group(1).decode("utf-8", "replace")
    return None


def _behaves(h: RawHit) -> bool:
    """Medium or worse behaviour (phases 1-5) in code that counts in full: not prose, tests or data."""
    return (h.phase <= 5 and h.severity != "low" and not h.inert and not h.routine and h.file.mult >= 1.0
            and "host-id" not in h.tags and "secret-name" not in h.tags)


def confusion_probe(hits: list[RawHit]) -> list[RawHit]:
    """Dependency confusion: a package posing as another (tag "imitation", an implausible version)
    that also sends host or user identity (a high-severity "host-id" hit), wherever that code sits:
    probes are often written as a test file. Honest packages with calendar or large versions do not
    beacon their users' identity."""
    poses = [h for h in hits if "imitation" in h.tags and not h.inert]
    beacons = [h for h in hits if "host-id" in h.tags and h.severity in ("high", "critical") and not h.prose]
    if not poses or not beacons:
        return []
    first = min(beacons, key=lambda h: (h.file.path, h.line))
    return [RawHit("eng_confusion_probe", 6, "high", first.file, first.line, first.excerpt, W.CONFUSION_PROBE,
                   "implausible version number and a beacon of host or user identity (dependency-confusion probe)")]


def typosquat(package_name: str | None, ecosystem: str | None, anchor: FileInfo | None,
              hits: list[RawHit]) -> list[RawHit]:
    """A name one or two edits from a popular one: noted alone, weighty only next to behaviour.

    Many honest packages sit near a popular name (pymssql, ijson, dask); a squatter also does
    something (an install hook, a fetch, a decoder), and then the name counts.
    """
    if not package_name:
        return []
    target = typosquat_target(package_name, ecosystem)
    if not target:
        return []
    anchor = anchor or FileInfo("(package name)", "", b"", 0)
    behaves = any(_behaves(h) for h in hits)
    return [RawHit("eng_typosquat", 6, "medium" if behaves else "low", anchor, 0, f"{package_name} ~ {target}",
                   W.TYPOSQUAT if behaves else W.TYPOSQUAT_ALONE, f"name '{package_name}' imitates popular package '{target}'")]
