"""The scanner: file roles, one-pass signature matching, engine analyzers and scoring."""

from __future__ import annotations

import base64
import binascii
import bisect
import fnmatch
import hashlib
import json
import os
import posixpath
import re
import stat
import zlib
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import re2

from .archive import ArchiveLimits, Entry, load_bytes, read_archive, strip_common_root
from .hashing import sha256_hex, tree_hash_entries
from .result import (
    MAX_FINDINGS_PER_PHASE,
    PHASE_NAMES,
    Finding,
    PhaseResult,
    ScanResult,
    verdict_for_score,
)
from .rules import CompiledRules, Rule, compile_rules
from .typosquat import typosquat_target

# Bytes of one file matched against signatures; malware puts its payload up front, and a cap
# keeps one huge bundle from dominating scan time.
MAX_SCAN_BYTES = 2 * 1024 * 1024
# Data and documentation rarely carry executable payloads; read less of them.
MAX_SCAN_BYTES_BY_LANG = {"doc": 64 * 1024, "json": 256 * 1024, "native-src": 256 * 1024, "config": 512 * 1024}
MAX_EXCERPT = 160
MAX_DECODE_DEPTH = 3
MAX_BLOBS_PER_FILE = 30
MAX_DECODED_BYTES = 4 * 1024 * 1024
# The k-th most suspicious file adds FILE_DECAY**k of its points; past MAX_RANKED files, nothing.
FILE_DECAY = 0.5
MAX_RANKED = 8
PACKAGE_LEVEL_RULES = {"eng_symlink", "eng_hardlink", "eng_device", "eng_fifo", "eng_unsafe_path", "eng_other",
                       "eng_hidden_file", "eng_native_binary", "eng_executable", "eng_pyc_only", "eng_typosquat"}
# Low-severity rules (capabilities every big library has) add at most this much per phase,
# unless they sit in install-time code.
LOW_SEVERITY_CAP_PER_PHASE = 3

PY_EXT = {".py", ".pyw", ".pyi", ".pth"}
JS_EXT = {".js", ".mjs", ".cjs", ".jsx", ".ts", ".tsx", ".mts", ".cts"}
SHELL_EXT = {".sh", ".bash", ".zsh", ".bat", ".cmd", ".ps1", ".vbs"}
DOC_EXT = {".md", ".rst", ".txt", ".po", ".pot", ".html", ".htm", ".css", ".scss", ".svg", ".xml", ".csv", ".map", ".d.ts", ".adoc"}
CONFIG_EXT = {".json", ".cfg", ".toml", ".ini", ".yml", ".yaml", ".in"}
NATIVE_SRC_EXT = {".c", ".cc", ".cpp", ".cxx", ".h", ".hpp", ".hh", ".go", ".rs", ".java", ".cs", ".m", ".mm", ".pyx",
                  ".pxd", ".pxi", ".f", ".f90", ".cu", ".s", ".asm", ".swift", ".kt", ".scala", ".zig"}
NATIVE_EXT = {".so", ".pyd", ".node", ".dylib", ".dll", ".co", ".cubin", ".hsaco", ".fatbin"}  # GPU code objects too
LOW_VALUE_DIRS = {"test", "tests", "testing", "__tests__", "spec", "docs", "doc", "examples", "example", "docs_src",
                  "tutorial", "tutorials", "tools", "tasks", "scripts", "ci", "dev", "devtools", "build_tools",
                  "benchmarks", "benchmark", "bench", "fixtures", "samples", "demo"}
DEV_TOOLING = {"dockerfile", "makefile", "vagrantfile", "jenkinsfile", "gemfile", "rakefile", "cmakelists.txt",
               "meson.build", "meson_options.txt", "tox.ini", "noxfile.py", "justfile", "taskfile.yml", "sources.txt",
               "scm_file_list.json", "record", "conftest.py", "versioneer.py", ".gitignore", "manifest.in"}
VENDOR_DIRS = {"node_modules", "vendor", "vendored", "_vendor", "third_party", "thirdparty", "bower_components"}
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
# Directory names like "vendored-meson" or "third-party" carry the same meaning as "vendor".
_VENDOR_TOKEN = re.compile(r"(?:^|[-_ .])(?:vendor|vendored|third[-_]?party|external)(?:$|[-_ .])")
LIFECYCLE = ("preinstall", "install", "postinstall", "prepare", "preuninstall", "postuninstall")
SPECIAL_POINTS = {"symlink": 2, "hardlink": 4, "device": 10, "fifo": 6, "unsafe_path": 15, "other": 2}

_EXECISH = re2.compile(r"\b(?:exec|eval|b64decode|decompress|marshal|__import__|compile)\b")
_B64_BLOB = re2.compile(r"""[A-Za-z0-9+/_-]{60,}={0,2}""")
_SHORT_B64_CALL = re2.compile(
    r"""(?:Buffer\.from|atob|b64decode|decodebytes|b64decode)\s*\(\s*b?['"`]([A-Za-z0-9+/]{4,99}={0,2})['"`]"""
)
# A base64 literal that decodes to "http://" or "https://": a hidden endpoint.
_B64_URL = re2.compile(r"""['"`](aHR0c(?:HM6Ly|DovL)[A-Za-z0-9+/]{4,300}={0,2})['"`]""")
_HEX_BLOB = re2.compile(r"""(?:\\x[0-9a-fA-F]{2}){40,}|[0-9a-fA-F]{160,}""")
_SCRIPT_FILE = re.compile(r"""(?:^|[\s"'=/])((?:\./)?[\w./@-]+\.(?:js|cjs|mjs|sh|py|ps1|bat|cmd|ts))\b""")
_SUSPICIOUS_SCRIPT = re.compile(
    r"curl\s|wget\s|powershell|\bnode\s+-e\b|\bnode\s+--eval|\bsh\s+-c\b|\bbash\s+-c\b|\|\s*(?:ba)?sh\b|"
    r"base64|https?://|\beval\b|\biex\b|invoke-webrequest|certutil|bitsadmin|\bnc\s|/dev/tcp|\bpython[23]?\s+-c\b|"
    r"\bstart\s+/b\b|nohup|>\s*/dev/null",
    re.I,
)
_BENIGN_SCRIPT = re.compile(
    r"^\s*(?:node-gyp(?:-build)?|prebuild-install|node-pre-gyp|husky|patch-package|tsc|ngcc|opencollective"
    r"(?:-postinstall)?|is-ci|npm run|yarn|pnpm|lerna|node-gyp rebuild)\b[^;&|]*(?:(?:\|\||&&)\s*(?:node-gyp"
    r"(?:-build)?|prebuild-install|node-pre-gyp|husky|patch-package|tsc|exit 0|true)\b[^;&|]*)*$"
)


_LOCAL_REQUIRE = re.compile(
    r"""^\s*node\s+(?:-e|--eval)\s+["'](?:try\s*\{\s*)?require\(\s*['"](\.{1,2}/[\w./-]+)['"]\s*\)\s*;?\s*"""
    r"""(?:\}\s*catch\s*(?:\(\s*\w*\s*\))?\s*\{\s*\}\s*)?["']\s*$"""
)


@dataclass
class FileInfo:
    path: str  # as reported (archive member path or path relative to the scanned directory)
    role: str  # the path below a shared top-level folder ("pkg-1.0/", "package/")
    data: bytes  # bytes to match (at most MAX_SCAN_BYTES)
    size: int
    is_text: bool = True
    lang: str = "other"  # "python" | "javascript" | "shell" | "json" | "config" | "doc" | "other"
    mult: float = 1.0
    install_time: bool = False
    reason: str = ""
    installer: bool = False  # install-time code that only fetches from a registry (set by _mark_installers)

    @cached_property
    def base(self) -> str:
        return posixpath.basename(self.role)

    @cached_property
    def ext(self) -> str:
        return _ext(self.role)

    @property
    def is_minified_bundle(self) -> bool:
        return self.reason in ("minified", "bundle")


@dataclass
class RawHit:
    rule_id: str
    phase: int
    severity: str
    file: FileInfo
    line: int
    excerpt: str
    points: float
    message: str
    label: str = ""  # overrides file.path in the report (decoded payloads)
    prose: bool = False  # only in comments or docstrings: scored low, never combined


@dataclass
class _Context:
    compiled: CompiledRules
    ecosystem: str | None
    hits: list[RawHit] = field(default_factory=list)


# --------------------------------------------------------------------------- file roles


def _ext(name: str) -> str:
    base = posixpath.basename(name).lower()
    if base.endswith(".d.ts"):
        return ".d.ts"
    return posixpath.splitext(base)[1]


def _lang(role: str, data: bytes) -> str:
    ext = _ext(role)
    base = posixpath.basename(role).lower()
    if ext in PY_EXT:
        return "python"
    if ext in JS_EXT:
        return "javascript"
    if ext in SHELL_EXT:
        return "shell"
    if ext == ".json":
        return "json"
    if ext in NATIVE_SRC_EXT:
        return "native-src"
    if base in ("pkg-info", "metadata"):
        return "doc"  # package metadata: the README lives here
    if ext in CONFIG_EXT or base in ("entry_points.txt", "setup.cfg"):
        return "config"
    if ext in DOC_EXT or base.startswith(("readme", "license", "licence", "changelog", "changes", "history", "authors", "notice", "copying")):
        return "doc"
    if ext == "" and data[:2] == b"#!":
        first = data[:120].split(b"\n", 1)[0]
        if b"python" in first:
            return "python"
        if b"node" in first:
            return "javascript"
        return "shell"
    return "other"


def _is_text(data: bytes) -> bool:
    return b"\x00" not in data[:8192]


BUNDLE_BYTES = 512 * 1024


def _is_bundle(info: FileInfo) -> bool:
    """A built JavaScript bundle: generated code, whatever its line lengths."""
    return info.lang == "javascript" and info.size > BUNDLE_BYTES


def _is_minified(info: FileInfo) -> bool:
    if info.lang != "javascript":
        return False
    base = info.base.lower()
    if ".min." in base or base.endswith((".bundle.js", "-bundle.js")):
        return True
    if info.size < 20_000:
        return False
    lines = info.data.count(b"\n") + 1
    return len(info.data) / lines > 250


def _location(info: FileInfo, install_targets: set[str]) -> None:
    """Set how much a file's findings weigh: install-time code most, tests, docs and bundles least."""
    role = info.role
    parts = role.lower().split("/")
    base = parts[-1]
    depth = len(parts) - 1
    if role in install_targets:
        # A multi-megabyte bundle an installer loads is application code, not a small dropper.
        big = info.lang == "javascript" and info.size > BUNDLE_BYTES
        info.mult, info.install_time, info.reason = (1.0 if big else 2.0), True, "install script"
        return
    if base == "setup.py" and depth <= 1:
        info.mult, info.install_time, info.reason = 2.0, True, "setup.py"
        return
    if base == "package.json" and depth == 0:
        info.mult, info.install_time, info.reason = 2.0, True, "package.json"
        return
    if info.role.endswith(".pth"):
        info.mult, info.install_time, info.reason = 2.0, True, ".pth startup hook"
        return
    if base in ("setup.cfg", "pyproject.toml") and depth <= 1:
        info.mult, info.install_time, info.reason = 1.5, True, "build config"
        return
    if _is_minified(info):
        info.mult, info.reason = 0.3, "minified"
        return
    if _is_bundle(info):
        info.mult, info.reason = 0.3, "bundle"
        return
    if any(p in VENDOR_DIRS or _VENDOR_TOKEN.search(p) for p in parts[:-1]):
        info.mult, info.reason = 0.3, "vendored"
        return
    if info.lang == "native-src":
        info.mult, info.reason = 0.5, "native source"
        return
    if (parts[0] in (".github", ".circleci", ".gitlab", ".devcontainer", ".vscode", ".idea") or base in DEV_TOOLING
            or base.startswith("dockerfile.") or base.endswith(".dockerfile")
            or (base.startswith(".") and info.lang != "javascript") or _ext(base) in (".yml", ".yaml")):
        info.mult, info.reason = 0.2, "development tooling"
        return
    if any(p in LOW_VALUE_DIRS for p in parts[:-1]) or base.startswith("test_") or base.endswith(
        ("_test.py", ".test.js", ".spec.js", ".test.ts", ".spec.ts", "conftest.py")
    ):
        info.mult, info.reason = 0.3, "tests or docs"
        return
    if info.lang == "doc":
        info.mult, info.reason = 0.2, "documentation"
        return
    if (base == "__init__.py" or base == "__main__.py") and depth <= (2 if parts[0] in ("src", "lib") else 1):
        # Only a distribution's top-level package runs on a plain import; sub-packages run on demand.
        info.mult, info.reason = 1.5, "import-time code"
        return


def _rule_applies(rule: Rule, info: FileInfo) -> bool:
    if rule.file_globs:
        for g in rule.file_globs:
            target = info.role if "/" in g else info.base
            if fnmatch.fnmatchcase(target, g) or fnmatch.fnmatchcase(target.lower(), g.lower()):
                return True
        return False
    if rule.ecosystem == "pypi":
        return info.lang in ("python", "shell", "config", "other")
    if rule.ecosystem == "npm":
        return info.lang in ("javascript", "shell", "json", "other")
    return True


# --------------------------------------------------------------------------- signature pass


def _excerpt(data: bytes, start: int, end: int) -> tuple[int, str]:
    line_start = data.rfind(b"\n", 0, start) + 1
    line_end = data.find(b"\n", end)
    if line_end < 0:
        line_end = len(data)
    if line_end - line_start > MAX_EXCERPT:
        lo = max(line_start, start - 60)
        hi = min(line_end, lo + MAX_EXCERPT)
    else:
        lo, hi = line_start, line_end
    text = data[lo:hi].decode("utf-8", "replace").strip()
    text = "".join(c if c.isprintable() else " " for c in text)
    return data.count(b"\n", 0, start) + 1, text[:MAX_EXCERPT]


_PY_LINE_COMMENT = re.compile(rb"(?m)^[ \t]*#[^\n]*")
_JS_LINE_COMMENT = re.compile(rb"(?m)^[ \t]*(?://|/\*|\*)[^\n]*")
_PY_TRIPLE_OPEN = re.compile(rb'(?m)^[ \t]*[rRuUbB]{0,2}("""|\'\'\')')
# A match that only occurs in comments or docstrings is prose (install instructions, examples), not code.
COMMENT_FACTOR = 0.25


def _quiet_spans(info: FileInfo, data: bytes) -> list[tuple[int, int]]:
    """Byte spans of full-line comments and docstrings (Python) or comment lines (JavaScript)."""
    if info.lang == "python":
        spans = [(m.start(), m.end()) for m in _PY_LINE_COMMENT.finditer(data)]
        pos = 0
        while True:
            m = _PY_TRIPLE_OPEN.search(data, pos)
            if m is None:
                break
            close = data.find(m.group(1), m.end())
            end = len(data) if close < 0 else close + 3
            # A triple-quoted string that continues an expression (exec(, x =, a list) is data, not a docstring.
            before = data[:m.start()].rstrip()[-1:]
            if before not in (b"(", b"=", b",", b"[", b"+", b"{", b"%", b"*"):
                spans.append((m.start(), end))
            pos = end
        spans.sort()
        return spans
    if info.lang == "javascript":
        return [(m.start(), m.end()) for m in _JS_LINE_COMMENT.finditer(data)]
    return []


def _in_spans(spans: list[tuple[int, int]], pos: int) -> bool:
    i = bisect.bisect_right(spans, (pos, 1 << 62)) - 1
    return i >= 0 and spans[i][0] <= pos < spans[i][1]


def _match_rules(ctx: _Context, info: FileInfo, data: bytes, *, mult: float, label: str = "", line_offset: int = 0) -> list[RawHit]:
    hits: list[RawHit] = []
    compiled = ctx.compiled
    spans: list[tuple[int, int]] | None = None
    for idx in compiled.match(data):
        rule = compiled.rules[idx]
        if not _rule_applies(rule, info):
            continue
        regex = compiled.regexes[idx]
        m = regex.search(data)
        if m is None:
            continue
        prose = False
        if not label:
            if spans is None:
                spans = _quiet_spans(info, data)
            if spans and _in_spans(spans, m.start()):
                prose = True
                for k, other in enumerate(regex.finditer(data, m.end())):
                    if k >= 20:
                        break
                    if not _in_spans(spans, other.start()):
                        m, prose = other, False
                        break
        line, excerpt = _excerpt(data, m.start(), m.end())
        eff = mult * (COMMENT_FACTOR if prose else 1.0)
        if mult < 1.0 and rule.severity in ("high", "critical") and info.reason == "minified":
            eff = 1.0  # minifying does not make a decrypt-and-run loader any safer
        hits.append(
            RawHit(rule.id, rule.phase, rule.severity, info, line if not label else line_offset, excerpt,
                   rule.weight * eff, rule.name, label, prose)
        )
    return hits


# --------------------------------------------------------------------------- decoding blobs


def _maybe_decompress(raw: bytes) -> bytes:
    if raw[:1] == b"\x78" and raw[1:2] in (b"\x01", b"\x5e", b"\x9c", b"\xda"):
        try:
            d = zlib.decompressobj()
            return d.decompress(raw, MAX_DECODED_BYTES)
        except zlib.error:
            return raw
    if raw[:2] == b"\x1f\x8b":
        try:
            d = zlib.decompressobj(31)
            return d.decompress(raw, MAX_DECODED_BYTES)
        except zlib.error:
            return raw
    if raw[:3] == b"BZh":
        try:
            import bz2

            return bz2.BZ2Decompressor().decompress(raw, MAX_DECODED_BYTES)
        except (OSError, ValueError):
            return raw
    return raw


def _printable(raw: bytes) -> bool:
    sample = raw[:4096]
    if not sample:
        return False
    good = sum(1 for b in sample if 32 <= b < 127 or b in (9, 10, 13))
    return good / len(sample) > 0.9


def _decode_blob(text: bytes) -> bytes | None:
    if text.startswith(b"\\x"):
        try:
            return bytes.fromhex(text.replace(b"\\x", b"").decode())
        except ValueError:
            return None
    if re.fullmatch(rb"[0-9a-fA-F]+", text) and len(text) % 2 == 0:
        try:
            return bytes.fromhex(text.decode())
        except ValueError:
            return None
    try:
        s = text.rstrip(b"=")
        s = s + b"=" * (-len(s) % 4)
        if b"-" in s or b"_" in s:
            return base64.urlsafe_b64decode(s)
        return base64.b64decode(s)
    except (binascii.Error, ValueError):
        return None


def _scan_short_strings(ctx: _Context, info: FileInfo, data: bytes, mult: float) -> list[RawHit]:
    """Decode the short literals passed to base64 decoders and scan them together.

    Loaders hide single words ("country_name", "russia", a URL) in many small base64 strings; each
    is harmless alone, so they are joined and scanned as one text.
    """
    pieces: list[bytes] = []
    first_line = 0
    urls = 0
    for regex in (_SHORT_B64_CALL, _B64_URL):
        for m in regex.finditer(data):
            raw = _decode_blob(m.group(1))
            if raw and _printable(raw):
                pieces.append(raw)
                urls += regex is _B64_URL
                if not first_line:
                    first_line = data.count(b"\n", 0, m.start()) + 1
            if len(pieces) >= 200:
                break
    if len(pieces) < 2 and not urls:
        return []
    text = b" ".join(pieces)
    label = f"{info.path} (decoded strings)"
    inner = _match_rules(ctx, info, text, mult=mult * 1.5, label=label, line_offset=first_line)
    if any(h.severity in ("medium", "high", "critical") and h.phase != 6 for h in inner):
        inner.append(RawHit("eng_encoded_payload", 5, "high", info, first_line, text[:80].decode("utf-8", "replace"),
                            12 * mult, "encoded strings that decode to suspicious code"))
    return inner


def _scan_blobs(ctx: _Context, info: FileInfo, data: bytes, mult: float, depth: int, budget: list[int]) -> list[RawHit]:
    if depth > MAX_DECODE_DEPTH:
        return []
    found: list[RawHit] = []
    if depth == 1:
        found.extend(_scan_short_strings(ctx, info, data, mult))
    count = 0
    for regex in (_B64_BLOB, _HEX_BLOB):
        for m in regex.finditer(data):
            if count >= MAX_BLOBS_PER_FILE or budget[0] <= 0:
                return found
            count += 1
            blob = m.group(0)
            # Long identifiers and paths are not payloads: real base64 mixes cases and digits.
            if regex is _B64_BLOB and not (re.search(rb"[0-9]", blob[:400]) and re.search(rb"[a-z]", blob[:400]) and re.search(rb"[A-Z]", blob[:400])):
                continue
            raw = _decode_blob(blob)
            if not raw or len(raw) < 40:
                continue
            raw = _maybe_decompress(raw)[:MAX_DECODED_BYTES]
            budget[0] -= len(raw)
            kind = _binary_kind(raw[:8])
            if kind:
                line = data.count(b"\n", 0, m.start()) + 1
                found.append(RawHit("eng_embedded_executable", 5, "high", info, line, blob[:60].decode("ascii", "replace") + "...",
                                    15 * mult, f"encoded {kind} executable embedded in source"))
                continue
            if not _printable(raw):
                continue
            line = data.count(b"\n", 0, m.start()) + 1
            label = f"{info.path} (decoded blob at line {line})"
            inner = _match_rules(ctx, info, raw, mult=mult * 1.5, label=label, line_offset=line)
            inner += _scan_blobs(ctx, info, raw, mult, depth + 1, budget)
            serious = [h for h in inner if h.severity in ("medium", "high", "critical") and h.phase != 6]
            if serious:
                found.append(RawHit("eng_encoded_payload", 5, "high", info, line, blob[:60].decode("ascii", "replace") + "...",
                                    12 * mult, "encoded payload that decodes to suspicious code"))
            found.extend(inner)
    return found


# --------------------------------------------------------------------------- analyzers


def _npm_scripts(pkg_json: FileInfo, files: dict[str, FileInfo]) -> tuple[list[RawHit], set[str], str | None]:
    hits: list[RawHit] = []
    targets: set[str] = set()
    try:
        doc = json.loads(pkg_json.data.decode("utf-8", "replace"))
    except ValueError:
        return hits, targets, None
    if not isinstance(doc, dict):
        return hits, targets, None
    name = doc.get("name") if isinstance(doc.get("name"), str) else None
    scripts = doc.get("scripts") if isinstance(doc.get("scripts"), dict) else {}
    base_dir = posixpath.dirname(pkg_json.role)
    for key in LIFECYCLE:
        cmd = scripts.get(key)
        if not isinstance(cmd, str) or not cmd.strip():
            continue
        excerpt = f'"{key}": "{cmd}"'[:MAX_EXCERPT]
        line = _line_of(pkg_json.data, f'"{key}"'.encode())
        for ref in _SCRIPT_FILE.findall(cmd):
            ref_path = posixpath.normpath(posixpath.join(base_dir, ref.lstrip("./") if ref.startswith("./") else ref))
            targets.add(ref_path)
        local = _LOCAL_REQUIRE.match(cmd)
        if local:
            # `node -e "require('./x')"` just runs a file of the package: judge that file instead.
            ref = posixpath.normpath(posixpath.join(base_dir, local.group(1)))
            targets.update(c for c in (ref, ref + ".js", ref + "/index.js") if c in files)
            pts, msg = 4, f"npm {key} script runs a file of the package"
        elif _SUSPICIOUS_SCRIPT.search(cmd):
            pts, msg = 20, f"npm {key} script downloads or runs inline code"
        elif _BENIGN_SCRIPT.match(cmd):
            pts, msg = 1, f"npm {key} script (build tool)"
        else:
            pts, msg = 4, f"npm {key} script runs at install"
        if key == "prepare" and pts < 20:
            pts = 1  # prepare runs for git installs and publishing, mostly builds
        hits.append(RawHit(f"eng_npm_{key}", 1, "high" if pts >= 20 else "low", pkg_json, line, excerpt, pts, msg))
    for section in ("dependencies", "optionalDependencies"):
        deps = doc.get(section)
        if isinstance(deps, dict):
            for dep, spec in deps.items():
                if isinstance(spec, str) and re.match(r"(https?:|git\+|git:|github:|file:)", spec):
                    hits.append(RawHit("eng_npm_url_dependency", 6, "low", pkg_json, _line_of(pkg_json.data, dep.encode()),
                                       f'"{dep}": "{spec}"'[:MAX_EXCERPT], 2, "dependency fetched from a URL"))
    return hits, targets, name


_PY_IMPORT = re.compile(rb"^\s*(?:from\s+([\w.]+)\s+import|import\s+([\w.]+))", re.M)


def _local_imports(info: FileInfo, by_role: dict[str, FileInfo], here: str | None = None) -> set[str]:
    found: set[str] = set()
    for m in _PY_IMPORT.finditer(info.data[:200_000]):
        raw = (m.group(1) or m.group(2)).decode("ascii", "replace")
        mod = raw.lstrip(".")
        if not mod:
            continue
        path = mod.replace(".", "/")
        if raw.startswith(".") and here is not None:
            base = posixpath.join(here, path)
            cands: tuple[str, ...] = (f"{base}.py", f"{base}/__init__.py")
        else:
            cands = (f"{path}.py", f"{path}/__init__.py", f"src/{path}.py", f"src/{path}/__init__.py")
        for cand in cands:
            if cand in by_role:
                found.add(cand)
                break
    return found


_FILE_REF = re2.compile(r"[\w./-]+\.(?:js|cjs|mjs|sh|bat|cmd|ps1|py)\b")


def _follow_install_targets(targets: set[str], by_role: dict[str, FileInfo], depth: int = 3) -> set[str]:
    """Add files that install scripts name (preinstall.js running preinstall.sh), a few levels deep."""
    found = {t for t in targets if t in by_role}
    frontier = set(found)
    base_dir = posixpath.dirname(by_role["package.json"].role) if "package.json" in by_role else ""
    by_base: dict[str, list[str]] = defaultdict(list)
    for role in by_role:
        by_base[posixpath.basename(role)].append(role)
    for _ in range(depth):
        nxt: set[str] = set()
        for role in frontier:
            info = by_role[role]
            if role.endswith(".py") and len(info.data) < 16_000:
                # Modules a small install-time module imports run at install time too (a few, not a library).
                for cand in sorted(_local_imports(info, by_role, posixpath.dirname(role)))[:4]:
                    if cand not in found:
                        found.add(cand)
                        nxt.add(cand)
            for m in _FILE_REF.finditer(info.data[:200_000]):
                name = m.group(0).decode("utf-8", "replace")
                joined = posixpath.normpath(posixpath.join(posixpath.dirname(role), name))
                # A path that does not resolve may still name a file elsewhere ("lib/x.js" from a script in
                # bin/); a bare name only counts next to the script or at the package root.
                tail = name.lstrip("./")
                alts = [c for c in by_base.get(posixpath.basename(name), [])[:3]
                        if (c.endswith("/" + tail) if "/" in tail else posixpath.dirname(c) in (posixpath.dirname(role), base_dir))]
                for cand in ([joined] if joined in by_role else alts):
                    if cand in by_role and cand not in found:
                        found.add(cand)
                        nxt.add(cand)
        frontier = nxt
        if not frontier:
            break
    return found | targets


def _line_of(data: bytes, needle: bytes) -> int:
    pos = data.find(needle)
    return data.count(b"\n", 0, pos) + 1 if pos >= 0 else 0


def _binary_kind(data: bytes) -> str | None:
    if data[:4] == b"\x7fELF":
        return "ELF"
    if data[:2] == b"MZ":
        return "PE"
    if data[:4] in (b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe"):
        return "Mach-O"
    return None


def _provenance(files: list[FileInfo]) -> list[RawHit]:
    hits: list[RawHit] = []
    py_sources = {f.role[:-1] for f in files if f.role.endswith(".py")}
    for info in files:
        base = info.base
        ext = info.ext
        kind = _binary_kind(info.data[:8])
        if kind:
            if ext in NATIVE_EXT:
                hits.append(RawHit("eng_native_binary", 6, "low", info, 0, f"{kind} {ext}", 2, "native extension binary"))
            else:
                pts = (6 if not info.install_time else 20) * min(info.mult, 1.0)
                hits.append(RawHit("eng_executable", 6, "medium", info, 0, kind, pts, f"{kind} executable shipped in package"))
        elif ext == ".pyc" and info.role[:-1] not in py_sources and "__pycache__/" not in info.role:
            hits.append(RawHit("eng_pyc_only", 6, "medium", info, 0, "compiled python", 5 * min(info.mult, 1.0),
                               "compiled Python without source"))
        elif ext in (".exe", ".scr", ".msi", ".dll"):
            hits.append(RawHit("eng_executable", 6, "medium", info, 0, ext, 6 * min(info.mult, 1.0), "Windows executable shipped in package"))
        if base.startswith(".") and base not in COMMON_HIDDEN and not base.startswith((".eslintrc", ".prettierrc", ".babelrc", ".github")):
            hits.append(RawHit("eng_hidden_file", 6, "low", info, 0, base, 1, "hidden file"))
        if info.lang == "python" and info.size > 2000:
            longest_line = max(info.data[:MAX_SCAN_BYTES].split(b"\n"), key=len)
            longest = len(longest_line)
            if longest > 5000 and _EXECISH.search(longest_line):
                hits.append(RawHit("eng_long_line", 5, "medium", info, 0, f"{longest} chars on one line", 6,
                                   "very long line in Python source (packed or obfuscated code)"))
    return hits


def _metadata_name(files: list[FileInfo]) -> str | None:
    for info in files:
        base = posixpath.basename(info.role)
        if base in ("PKG-INFO", "METADATA") and info.role.count("/") <= 1:
            m = re.search(rb"(?m)^Name:\s*(\S+)", info.data[:4096])
            if m:
                return m.group(1).decode("utf-8", "replace")
    return None


# --------------------------------------------------------------------------- scoring


def _aggregate(hits: list[RawHit]) -> list[Finding]:
    """Turn raw hits into scored findings: saturate repeats, rank files, cap low-severity noise."""
    # One finding per rule per file; repeats of a rule inside one file add nothing.
    per_rule_file: dict[tuple[str, str], RawHit] = {}
    for h in hits:
        key = (h.rule_id, h.label or h.file.path)
        cur = per_rule_file.get(key)
        if cur is None or h.points > cur.points:
            per_rule_file[key] = h
    unique = list(per_rule_file.values())
    # Package-level engine findings (links, binaries, hidden files, name) diminish per rule.
    scored: list[tuple[RawHit, float]] = []
    by_rule: dict[str, list[RawHit]] = defaultdict(list)
    by_file: dict[str, list[RawHit]] = defaultdict(list)
    for h in unique:
        if h.rule_id in PACKAGE_LEVEL_RULES:
            by_rule[h.rule_id].append(h)
        else:
            by_file[h.file.path].append(h)
    for group in by_rule.values():
        group.sort(key=lambda h: -h.points)
        for k, h in enumerate(group):
            scored.append((h, h.points * (FILE_DECAY ** k if k < MAX_RANKED else 0.0)))
    # Malware concentrates in a few files; a big library spreads capabilities thinly over many.
    # So files are ranked by their own total and the k-th file counts FILE_DECAY**k of it.
    ranked = sorted(by_file.values(), key=lambda g: -sum(h.points for h in g))
    for k, group in enumerate(ranked):
        factor = FILE_DECAY ** k if k < MAX_RANKED else 0.0
        for h in group:
            scored.append((h, h.points * factor))
    low_used: dict[int, float] = defaultdict(float)
    out: list[Finding] = []
    scored.sort(key=lambda t: -t[1])
    for h, pts in scored:
        if (h.severity == "low" and (not h.file.install_time or h.file.installer) and h.file.reason != "import-time code"
                and h.rule_id not in PACKAGE_LEVEL_RULES):
            # Low-severity capabilities (env reads, HTTP, subprocess) are what every library has.
            room = max(0.0, LOW_SEVERITY_CAP_PER_PHASE - low_used[h.phase])
            pts = min(pts, room)
            low_used[h.phase] += pts
        points = int(round(pts))
        if points == 0 and pts >= 0.25 and h.severity != "low":
            points = 1
        out.append(Finding(h.rule_id, h.phase, h.label or h.file.path, h.line, h.excerpt[:200], points, h.message))
    return out


# A combination whose strong side is itself high or critical counts this much more.
STRONG_COMBO_BOOST = 1.25
COMBOS = (
    # (phase that must be medium or worse, phase of any severity, rule id, phase of the finding, points, message)
    (4, 3, "eng_combo_cred_network", 3, 12, "reads credentials and sends data over the network"),
    (5, 2, "eng_combo_decode_exec", 5, 10, "decodes data and executes it"),
    (3, 2, "eng_combo_download_exec", 3, 8, "network access combined with code execution"),
)


# Install- and import-time code gets combinations of any severity: a setup.py or __init__.py
# that both reaches the network and runs commands (or reads secrets) is rarely innocent.
WEAK_COMBOS = (
    ((3, 2), "eng_combo_hook_network_exec", 3, 6, "install/import-time code with network access and command execution"),
    ((3, 4), "eng_combo_hook_network_secrets", 4, 6, "install/import-time code with network access and environment/secret reads"),
    ((5, 2), "eng_combo_hook_decode_exec", 5, 6, "install/import-time code that decodes and executes"),
)


LARGE_PACKAGE_FILES = 150
INSTALL_OVERRIDE_RULES = {"sig_004", "sig_005", "sig_008", "sig_105"}
# Signature ids the engine combines (ids in the built-in pack are stable).
RS_SOCKET, RS_SHELL, RS_RECV, RUN_PATH = "sig_114", "sig_115", "sig_116", "sig_117"
EXEC_RULES = {"sig_018", "sig_022", "sig_024", "sig_104"}
FETCH_RULES = {"sig_057", "sig_059", "sig_060", "sig_061"}
RUN_DROPPED = {RUN_PATH, "sig_121"}  # runs a file named by a variable, or a script dropped in /tmp
_REGISTRY_HOST = re2.compile(r"registry\.npmjs\.org|registry\.yarnpkg\.com|npm\.pkg\.github\.com|files\.pythonhosted\.org"
                             r"|github\.com/[\w.-]+/[\w.-]+/releases|objects\.githubusercontent\.com|nodejs\.org/dist"
                             r"|registry\.npmmirror\.com|storage\.googleapis\.com/chrome-for-testing")
IDENTITY_RULES = {"sig_078", "sig_122"}
# Paste sites, webhooks, request catchers and curl uploads: where stolen data goes (not mere downloads).
EXFIL_ENDPOINT_RULES = {"sig_048", "sig_050", "sig_118", "sig_131"}
C2_RULES = {"sig_048", "sig_049", "sig_109", "sig_129"}
HIDDEN_PROCESS = "sig_040"
ENV_READ_RULES = {"sig_079", "sig_080"}
SEND_RULES = {"sig_051", "sig_058", "sig_059", "sig_061", "sig_062"}
_HOST_ID = re2.compile(r"getpass\.getuser\(\)|socket\.gethostname\(\)|socket\.getfqdn\b|platform\.node\(\)|os\.getlogin\(\)"
                       r"|os\.getcwd\b|os\.userInfo\(\)|os\.hostname\(\)|os\.uname\(\)|process\.cwd\(\)"
                       r"|expanduser\(\s*['\"]~['\"]\s*\)|os\.homedir\(\)|uuid\.getnode\(\)|\.getsockname\(\)\[0\]"
                       r"|platform\.platform\(\)|api\.ipify\.org|ipinfo\.io|ifconfig\.me|ip-api\.com|icanhazip\.com")


def _combos(hits: list[RawHit]) -> list[RawHit]:
    by_file: dict[str, list[RawHit]] = defaultdict(list)
    for h in hits:
        # Co-occurrence means something in shipped code, not in tests, docs or prose.
        if (not h.rule_id.startswith("eng_combo") and h.file.role and not h.prose
                and h.file.reason not in ("tests or docs", "documentation", "development tooling")):
            by_file[h.file.path].append(h)
    out: list[RawHit] = []
    for path, group in by_file.items():
        info = group[0].file
        start = len(out)
        ids = {h.rule_id for h in group}
        # Host name or machine id alone is identity, not a credential: it does not make a combination.
        serious = {h.phase for h in group if h.severity in ("medium", "high", "critical") and h.rule_id not in IDENTITY_RULES}
        endpoints = [h for h in group if h.phase == 3 and h.severity in ("high", "critical")]
        if endpoints and len({h.rule_id for h in group if h.phase == 3}) >= 2:
            e = endpoints[0]
            out.append(RawHit("eng_combo_endpoint_send", 3, "high", info, e.line, e.excerpt, 10 * info.mult,
                              "sends data to an exfiltration-style endpoint"))
        exfil = [h for h in endpoints if h.rule_id in EXFIL_ENDPOINT_RULES]
        if exfil and any(h.phase == 4 for h in group):
            e = exfil[0]
            out.append(RawHit("eng_combo_endpoint_secrets", 4, "high", info, e.line, e.excerpt, 8 * info.mult,
                              "reads environment or secrets in a file that talks to an exfiltration-style endpoint"))
        # Socket connection plus a shell fed from it: a reverse shell.
        if RS_SOCKET in ids and (RS_SHELL in ids or (RS_RECV in ids and ids & EXEC_RULES)):
            first = min((h for h in group if h.rule_id == RS_SOCKET), key=lambda h: h.line or 1 << 30)
            out.append(RawHit("eng_combo_reverse_shell", 3, "critical", info, first.line, first.excerpt, 25 * info.mult,
                              "connects a socket and runs a shell or received commands (reverse shell)"))
        # Fetches something and runs a file named by a variable: a dropper.
        if ids & RUN_DROPPED and ids & FETCH_RULES:
            first = min((h for h in group if h.rule_id in FETCH_RULES), key=lambda h: h.line or 1 << 30)
            out.append(RawHit("eng_combo_download_run", 3, "high", info, first.line, first.excerpt, 22 * info.mult,
                              "downloads data and runs a file it names"))
        # Several host identifiers (user, host name, working directory) in a file that sends data: a beacon.
        if ids & (SEND_RULES | FETCH_RULES) and not info.is_minified_bundle and info.size <= 64_000:
            found = {m.group(0) for m in _HOST_ID.finditer(info.data[:MAX_SCAN_BYTES])}
            # Two identifiers and an upload, or three and any request (a GET with query parameters sends too).
            if (len(found) >= 2 and ids & SEND_RULES) or len(found) >= 3:
                first = min((h for h in group if h.rule_id in SEND_RULES | FETCH_RULES), key=lambda h: h.line or 1 << 30)
                pts = 16 if len(found) == 2 else 22
                out.append(RawHit("eng_combo_host_beacon", 4, "high", info, first.line, first.excerpt, pts * info.mult,
                                  "collects host identity (user, host name, paths) and sends data"))
        # A bot token or webhook (a remote-control channel) next to shell execution: a bot-driven RAT.
        if ids & C2_RULES and ids & EXEC_RULES:
            first = min((h for h in group if h.rule_id in C2_RULES), key=lambda h: h.line or 1 << 30)
            out.append(RawHit("eng_combo_c2_exec", 2, "high", info, first.line, first.excerpt, 12 * info.mult,
                              "messaging-bot channel combined with command execution"))
        obf = [h for h in group if h.phase == 5 and h.severity in ("medium", "high", "critical")
               and not h.rule_id.startswith("eng_")]
        if len({h.rule_id for h in obf}) >= 2 and any(h.severity in ("high", "critical") for h in obf) and info.mult >= 1.0:
            first = min(obf, key=lambda h: h.line or 1 << 30)
            out.append(RawHit("eng_combo_layered_obfuscation", 5, "high", info, first.line, first.excerpt, 10 * info.mult,
                              "several independent obfuscation techniques in one file"))
        phases = {h.phase for h in group}
        for strong, weak, rule_id, phase, pts, msg in COMBOS:
            if strong in serious and weak in phases and (weak in serious or info.mult >= 1.0):
                first = min((h for h in group if h.phase in (strong, weak)), key=lambda h: h.line or 1 << 30)
                if any(h.phase == strong and h.severity in ("high", "critical") for h in group):
                    pts = pts * STRONG_COMBO_BOOST
                out.append(RawHit(rule_id, phase, "high", info, first.line, first.excerpt, pts * info.mult, msg))
        # Big __init__ modules are libraries; import-time droppers are small.
        hooked = info.install_time or (info.reason == "import-time code" and info.size < 30_000)
        for needed, rule_id, phase, pts, msg in (WEAK_COMBOS if hooked and not info.installer else ()):
            if all(p in phases for p in needed):
                first = min((h for h in group if h.phase in needed), key=lambda h: h.line or 1 << 30)
                out.append(RawHit(rule_id, phase, "medium", info, first.line, first.excerpt, pts * info.mult, msg))
        hook = [h for h in group if h.phase == 1 and h.severity in ("medium", "high", "critical")]
        if hooked and HIDDEN_PROCESS in ids and ids & EXEC_RULES:
            first = min((h for h in group if h.rule_id == HIDDEN_PROCESS), key=lambda h: h.line or 1 << 30)
            out.append(RawHit("eng_combo_hook_hidden_exec", 2, "high", info, first.line, first.excerpt, 6 * info.mult,
                              "install/import-time code starting a hidden or detached process"))
        behaviour = {h.phase for h in group if h.rule_id not in ENV_READ_RULES}
        if hooked and hook and behaviour & {2, 3, 4, 5} and info.base == "setup.py":
            out.append(RawHit("eng_combo_install_hook_behaviour", 1, "high", info, hook[0].line, hook[0].excerpt,
                              8 * info.mult, "custom install command in a file that also runs, fetches, reads or decodes"))
        damp = _size_damping(info.size)
        for h in out[start:]:
            h.points *= damp
    return out


def _size_damping(size: int) -> float:
    """Co-occurrence means less in a big module: droppers are small, libraries are long."""
    if size <= 32_000:
        return 1.0
    if size <= 128_000:
        return 0.6
    return 0.4


# --------------------------------------------------------------------------- entry points


def _scan_files(files: list[FileInfo], specials: list[Entry], compiled: CompiledRules, ecosystem: str | None,
                package_name: str | None) -> list[Finding]:
    by_role = {f.role: f for f in files}
    if ecosystem is None:
        if "package.json" in by_role:
            ecosystem = "npm"
        elif any(r in by_role for r in ("setup.py", "pyproject.toml", "PKG-INFO", "setup.cfg")) or any(
            r.endswith(".dist-info/METADATA") for r in by_role
        ):
            ecosystem = "pypi"
    ctx = _Context(compiled, ecosystem)
    hits: list[RawHit] = []
    install_targets: set[str] = set()
    pkg = by_role.get("package.json")
    if pkg is not None:
        npm_hits, install_targets, npm_name = _npm_scripts(pkg, by_role)
        package_name = package_name or npm_name
        for h in npm_hits:
            h.file = pkg
        hits.extend(npm_hits)
    package_name = package_name or _metadata_name(files)
    setup_py = by_role.get("setup.py")
    if setup_py is not None:
        # Modules setup.py imports from the package run during pip install too.
        install_targets |= _local_imports(setup_py, by_role)
    install_targets = _follow_install_targets(install_targets, by_role)
    for info in files:
        _location(info, install_targets)
    for info in files:
        if not info.is_text:
            continue
        cap = MAX_SCAN_BYTES_BY_LANG.get(info.lang, MAX_SCAN_BYTES)
        if info.install_time or info.role == "package.json":
            cap = MAX_SCAN_BYTES
        hits.extend(_match_rules(ctx, info, info.data[:cap], mult=info.mult))
        if info.lang in ("python", "javascript", "shell", "other") and info.mult >= 1.0:
            hits.extend(_scan_blobs(ctx, info, info.data, info.mult, 1, [MAX_DECODED_BYTES]))
    hits.extend(_provenance(files))
    for entry in specials:
        info = FileInfo(entry.path, entry.path, b"", 0, False)
        what = {"symlink": "symbolic link", "hardlink": "hard link", "device": "device file", "fifo": "named pipe",
                "unsafe_path": "path escaping the package root", "other": "special archive entry"}[entry.kind]
        excerpt = f"{entry.path} -> {entry.target}" if entry.target else entry.path
        pts = SPECIAL_POINTS[entry.kind]
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(entry.path), entry.target)) if entry.target else ""
        if entry.kind in ("symlink", "hardlink") and (entry.target.startswith(("/", "\\")) or resolved.startswith("..")):
            pts = 8  # a link pointing outside the package
        hits.append(RawHit(f"eng_{entry.kind}", 6, "high" if entry.kind == "unsafe_path" else "medium", info, 0,
                           excerpt[:MAX_EXCERPT], pts, f"{what} not followed"))
    if package_name:
        target = typosquat_target(package_name, ecosystem)
        if target:
            anchor = pkg or by_role.get("setup.py") or by_role.get("PKG-INFO") or FileInfo("(package name)", "", b"", 0)
            hits.append(RawHit("eng_typosquat", 6, "medium", anchor, 0, f"{package_name} ~ {target}", 10,
                               f"name '{package_name}' imitates popular package '{target}'"))
    code_files = sum(1 for f in files if f.lang in ("python", "javascript"))
    if code_files >= LARGE_PACKAGE_FILES:
        # Custom install commands are routine in big projects with native builds; in a package of
        # a few files they are the payload's entry point.
        for h in hits:
            if h.rule_id in INSTALL_OVERRIDE_RULES:
                h.points *= 0.25
            elif h.rule_id == "eng_executable":
                h.points *= 0.5  # launchers and helper binaries of big projects
    _mark_installers(hits)
    hits.extend(_combos(hits))
    return _aggregate(hits)


def _mark_installers(hits: list[RawHit]) -> None:
    """Flag install scripts that fetch from a package registry or release host and do nothing stronger.

    esbuild, sharp or puppeteer download their platform binary at install: capabilities only (HTTP,
    child_process, a few env reads), no secrets, beacons, decoding or odd endpoints. Those weigh as
    ordinary code, not as install-time code.
    """
    by_file: dict[str, list[RawHit]] = defaultdict(list)
    for h in hits:
        if h.file.install_time and h.file.lang in ("javascript", "python", "shell"):
            by_file[h.file.path].append(h)
    for group in by_file.values():
        info = group[0].file
        if any(h.severity != "low" and h.phase not in (1, 6) for h in group):
            continue
        if _REGISTRY_HOST.search(info.data[:MAX_SCAN_BYTES]) is not None:
            info.installer = True


def _build_result(findings: list[Finding], source_hash: str, file_stats: dict, file_hashes: dict[str, str]) -> ScanResult:
    phases = []
    for number, name in PHASE_NAMES.items():
        mine = sorted((f for f in findings if f.phase == number), key=lambda f: (-f.points, f.file, f.line))
        score = sum(f.points for f in mine)
        strings = [f.summary() for f in mine if f.points > 0][:MAX_FINDINGS_PER_PHASE]
        phases.append(PhaseResult(number, name, score, strings))
    score = sum(p.score for p in phases)
    ordered = sorted(findings, key=lambda f: (f.phase, -f.points, f.file, f.line))
    return ScanResult(phases, score, verdict_for_score(score), source_hash, file_stats, ordered, file_hashes)


def _file_infos(items: list[tuple[str, bytes, int]]) -> list[FileInfo]:
    root = strip_common_root([p for p, _, _ in items])
    out = []
    for path, data, size in items:
        role = path[len(root):] if root else path
        scan = data[:MAX_SCAN_BYTES]
        text = _is_text(scan)
        out.append(FileInfo(path, role, scan, size, text, _lang(role, scan) if text else "binary"))
    return out


def _stats(files: list[FileInfo]) -> dict:
    py = sum(1 for f in files if f.ext in PY_EXT)
    js = sum(1 for f in files if f.ext in JS_EXT)
    return {
        "total_files": len(files),
        "python": py,
        "javascript": js,
        "other": len(files) - py - js,
        "total_size_bytes": sum(f.size for f in files),
    }


def scan_archive(data_or_path, rules_or_compiled, *, filename: str | None = None, ecosystem: str | None = None,
                 package_name: str | None = None, limits: ArchiveLimits | None = None) -> ScanResult:
    """Scan a .tgz/.tar.gz/.tar/.whl/.zip archive in memory, never extracting it."""
    compiled = compile_rules(rules_or_compiled)
    data = load_bytes(data_or_path)
    if filename is None:
        filename = str(data_or_path) if not isinstance(data_or_path, (bytes, bytearray, memoryview)) else ""
    entries = read_archive(data, filename, limits or ArchiveLimits())
    regular = [e for e in entries if e.kind == "file"]
    specials = [e for e in entries if e.kind != "file"]
    # Later duplicates of one path win, as they would on extraction.
    seen: dict[str, Entry] = {}
    for e in regular:
        seen[e.path] = e
    regular = list(seen.values())
    file_hashes = {e.path: "sha256:" + sha256_hex(e.data) for e in regular}
    files = _file_infos([(e.path, e.data, e.size) for e in regular])
    findings = _scan_files(files, specials, compiled, ecosystem, package_name)
    return _build_result(findings, "sha256:" + sha256_hex(data), _stats(files), file_hashes)


def scan_directory(path, rules_or_compiled, *, ecosystem: str | None = None, package_name: str | None = None) -> ScanResult:
    """Scan a directory tree without following symlinks; source_hash is its tree hash."""
    compiled = compile_rules(rules_or_compiled)
    root = Path(path)
    items: list[tuple[str, bytes, int]] = []
    specials: list[Entry] = []
    digests: list[tuple[str, str]] = []
    stack = [(root, "")]
    while stack:
        directory, prefix = stack.pop()
        with os.scandir(directory) as it:
            for entry in it:
                rel = f"{prefix}{entry.name}"
                if entry.is_symlink():
                    try:
                        target = os.readlink(entry.path)
                    except OSError:
                        target = ""
                    specials.append(Entry(rel, "symlink", target=target))
                elif entry.is_dir(follow_symlinks=False):
                    if rel != ".git":
                        stack.append((Path(entry.path), rel + "/"))
                elif entry.is_file(follow_symlinks=False):
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
                    mode = entry.stat(follow_symlinks=False).st_mode
                    kind = "fifo" if stat.S_ISFIFO(mode) else "device" if (stat.S_ISCHR(mode) or stat.S_ISBLK(mode)) else "other"
                    specials.append(Entry(rel, kind))
    items.sort(key=lambda t: t[0].encode("utf-8", "surrogateescape"))
    file_hashes = {rel: "sha256:" + d for rel, d in digests}
    # A directory is the package root itself: no shared top folder to strip.
    files = [FileInfo(p, p, d, n, _is_text(d), _lang(p, d) if _is_text(d) else "binary") for p, d, n in items]
    findings = _scan_files(files, specials, compiled, ecosystem, package_name)
    return _build_result(findings, tree_hash_entries(digests), _stats(files), file_hashes)
