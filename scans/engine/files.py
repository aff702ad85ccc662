"""File roles: what language a file is, and how much its findings weigh where it sits."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from functools import cached_property

from . import scoring as W
from .archive import strip_common_root

# Bytes of one file matched against signatures; malware puts its payload up front, and a cap
# keeps one huge bundle from dominating scan time.
MAX_SCAN_BYTES = 2 * 1024 * 1024
# Data and documentation rarely carry executable payloads; read less of them.
MAX_SCAN_BYTES_BY_LANG = {"doc": 64 * 1024, "json": 256 * 1024, "native-src": 256 * 1024, "config": 512 * 1024}
BUNDLE_BYTES = 512 * 1024

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
                  "benchmarks", "benchmark", "bench", "fixtures", "samples", "demo", "fuzz", "fuzzing"}
DEV_TOOLING = {"dockerfile", "makefile", "vagrantfile", "jenkinsfile", "gemfile", "rakefile", "cmakelists.txt",
               "meson.build", "meson_options.txt", "tox.ini", "noxfile.py", "justfile", "taskfile.yml", "sources.txt",
               "scm_file_list.json", "record", "conftest.py", "versioneer.py", ".gitignore", "manifest.in"}
DEV_TOOLING_DIRS = (".github", ".circleci", ".gitlab", ".devcontainer", ".vscode", ".idea")
VENDOR_DIRS = {"node_modules", "vendor", "vendored", "_vendor", "third_party", "thirdparty", "bower_components", "deps"}
# A directory whose name has one of these words holds tests, examples or documentation
# ("manual tests", "integration-tests", "t"); "example_package" is a package name, not examples.
_LOW_VALUE_TOKEN = re.compile(r"(?:^|[- ])(?:tests?|testing|examples?|demos?|samples?|benchmarks?|docs?|fixtures?"
                              r"|testdata|t)(?:$|[- ])")
# Declarations and data, not behaviour: type stubs never run; JSON, lock files and the like are read
# by code that is itself scanned.
STUB_EXT = {".pyi"}
DATA_EXT = {".lock", ".tsv", ".dat", ".pem", ".key", ".crt", ".cer", ".der", ".csr", ".p12", ".pfx", ".jks"}
# Directory names like "vendored-meson" or "third-party" carry the same meaning as "vendor".
_VENDOR_TOKEN = re.compile(r"(?:^|[-_ .])(?:vendor|vendored|third[-_]?party|external|upstream)(?:$|[-_ .])")
TEST_FILE_SUFFIXES = ("_test.py", ".test.js", ".spec.js", ".test.ts", ".spec.ts", "conftest.py")
DOC_BASENAMES = ("readme", "license", "licence", "changelog", "changes", "history", "authors", "notice", "copying")

# A vendored file the package's own code imports (analyzers/install_scope.vendored_imported): it runs
# with the package, so it weighs as the package's own code.
IMPORTED_VENDORED = "vendored, imported by the package"

# Reasons a file weighs less; findings there are never combined (combos.py).
QUIET_REASONS = ("tests or docs", "documentation", "development tooling", "type stub", "data")


@dataclass
class FileInfo:
    path: str  # as reported (archive member path or path relative to the scanned directory)
    role: str  # the path below a shared top-level folder ("pkg-1.0/", "package/")
    data: bytes  # bytes to match (at most MAX_SCAN_BYTES)
    size: int
    is_text: bool = True
    lang: str = "other"  # "python" | "javascript" | "shell" | "json" | "config" | "doc" | "native-src" | "other"
    mult: float = 1.0
    install_time: bool = False
    reason: str = ""
    installer: bool = False  # install-time code that only fetches from a registry (analyzers/installers.py)

    @cached_property
    def base(self) -> str:
        return posixpath.basename(self.role)

    @cached_property
    def ext(self) -> str:
        return ext_of(self.role)

    @property
    def is_minified_bundle(self) -> bool:
        return self.reason in ("minified", "bundle")

    @property
    def scan_cap(self) -> int:
        """How many bytes of this file the signature pass reads."""
        if self.install_time or self.role == "package.json":
            return MAX_SCAN_BYTES
        return MAX_SCAN_BYTES_BY_LANG.get(self.lang, MAX_SCAN_BYTES)


def ext_of(name: str) -> str:
    base = posixpath.basename(name).lower()
    if base.endswith(".d.ts"):
        return ".d.ts"
    return posixpath.splitext(base)[1]


def lang_of(role: str, data: bytes) -> str:
    ext = ext_of(role)
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
    if ext in DOC_EXT or base.startswith(DOC_BASENAMES) or _MAN_PAGE.fullmatch(ext):
        return "doc"
    if ext == "" and data[:2] == b"#!":
        first = data[:120].split(b"\n", 1)[0]
        if b"python" in first:
            return "python"
        if b"node" in first:
            return "javascript"
        return "shell"
    return "other"


_MAN_PAGE = re.compile(r"\.[1-9]")


def is_text(data: bytes) -> bool:
    return b"\x00" not in data[:8192]


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


def is_vendored(role: str) -> bool:
    """Whether a path sits in a vendored third-party tree (vendor/, _vendor/, third_party/, external/...)."""
    parts = role.lower().split("/")
    return any(p in VENDOR_DIRS or _VENDOR_TOKEN.search(p) for p in parts[:-1])


def locate(info: FileInfo, install_targets: set[str]) -> None:
    """Set how much a file's findings weigh: install-time code most, tests, docs and bundles least."""
    role = info.role
    parts = role.lower().split("/")
    base = parts[-1]
    depth = len(parts) - 1
    if role in install_targets:
        mult = W.INSTALL_BUNDLE_MULT if _is_bundle(info) else W.INSTALL_SCRIPT_MULT
        info.mult, info.install_time, info.reason = mult, True, "install script"
        return
    if base == "setup.py" and depth <= 1:
        info.mult, info.install_time, info.reason = W.SETUP_PY_MULT, True, "setup.py"
        return
    if base == "package.json" and depth == 0:
        info.mult, info.install_time, info.reason = W.PACKAGE_JSON_MULT, True, "package.json"
        return
    if info.role.endswith(".pth"):
        info.mult, info.install_time, info.reason = W.PTH_MULT, True, ".pth startup hook"
        return
    if base in ("setup.cfg", "pyproject.toml") and depth <= 1:
        info.mult, info.install_time, info.reason = W.BUILD_CONFIG_MULT, True, "build config"
        return
    if _is_minified(info):
        info.mult, info.reason = W.MINIFIED_MULT, "minified"
        return
    if _is_bundle(info):
        info.mult, info.reason = W.BUNDLE_MULT, "bundle"
        return
    if is_vendored(role):
        info.mult, info.reason = W.VENDORED_MULT, "vendored"
        return
    if info.lang == "native-src":
        info.mult, info.reason = W.NATIVE_SOURCE_MULT, "native source"
        return
    if (parts[0] in DEV_TOOLING_DIRS or base in DEV_TOOLING or any(p.startswith(".") for p in parts[:-1])
            or base.startswith("dockerfile.") or base.endswith(".dockerfile")
            or (base.startswith(".") and info.lang != "javascript") or ext_of(base) in (".yml", ".yaml")):
        info.mult, info.reason = W.DEV_TOOLING_MULT, "development tooling"
        return
    if info.ext in STUB_EXT:
        info.mult, info.reason = W.STUB_MULT, "type stub"
        return
    if info.lang in ("json", "config") or info.ext in DATA_EXT:
        info.mult, info.reason = W.DATA_MULT, "data"  # test data of security tools included
        return
    if (any(p in LOW_VALUE_DIRS or _LOW_VALUE_TOKEN.search(p) for p in parts[:-1]) or base.startswith("test_")
            or base.endswith(TEST_FILE_SUFFIXES)):
        info.mult, info.reason = W.TESTS_OR_DOCS_MULT, "tests or docs"
        return
    if info.lang == "doc":
        info.mult, info.reason = W.DOCUMENTATION_MULT, "documentation"
        return
    if (base == "__init__.py" or base == "__main__.py") and depth <= (2 if parts[0] in ("src", "lib") else 1):
        # Only a distribution's top-level package runs on a plain import; sub-packages run on demand.
        info.mult, info.reason = W.IMPORT_TIME_MULT, "import-time code"
        return


def file_infos(items: list[tuple[str, bytes, int]], *, strip_root: bool) -> list[FileInfo]:
    """FileInfo for (path, head bytes, size) items; archives share a top folder that is stripped."""
    root = strip_common_root([p for p, _, _ in items]) if strip_root else ""
    out = []
    for path, data, size in items:
        role = path[len(root):] if root else path
        scan = data[:MAX_SCAN_BYTES]
        text = is_text(scan)
        out.append(FileInfo(path, role, scan, size, text, lang_of(role, scan) if text else "binary"))
    return out


def file_stats(files: list[FileInfo]) -> dict:
    py = sum(1 for f in files if f.ext in PY_EXT)
    js = sum(1 for f in files if f.ext in JS_EXT)
    return {
        "total_files": len(files),
        "python": py,
        "javascript": js,
        "other": len(files) - py - js,
        "total_size_bytes": sum(f.size for f in files),
    }
