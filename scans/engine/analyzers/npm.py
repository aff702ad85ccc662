"""package.json: lifecycle scripts (and the files they run), dependencies fetched from URLs."""

from __future__ import annotations

import json
import posixpath
import re

from .. import scoring as W
from ..files import FileInfo
from ..hits import RawHit
from ..match import MAX_EXCERPT, line_of

LIFECYCLE = ("preinstall", "install", "postinstall", "prepare", "preuninstall", "postuninstall")

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
_URL_SPEC = re.compile(r"(https?:|git\+|git:|github:|file:)")


def npm_scripts(pkg_json: FileInfo, files: dict[str, FileInfo]) -> tuple[list[RawHit], set[str], str | None]:
    """(hits, files the lifecycle scripts run, package name) for a package.json."""
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
        line = line_of(pkg_json.data, f'"{key}"'.encode())
        for ref in _SCRIPT_FILE.findall(cmd):
            ref_path = posixpath.normpath(posixpath.join(base_dir, ref.lstrip("./") if ref.startswith("./") else ref))
            targets.add(ref_path)
        local = _LOCAL_REQUIRE.match(cmd)
        if local:
            # `node -e "require('./x')"` just runs a file of the package: judge that file instead.
            ref = posixpath.normpath(posixpath.join(base_dir, local.group(1)))
            targets.update(c for c in (ref, ref + ".js", ref + "/index.js") if c in files)
            pts, msg = W.NPM_SCRIPT_RUNS_FILE, f"npm {key} script runs a file of the package"
        elif _SUSPICIOUS_SCRIPT.search(cmd):
            pts, msg = W.NPM_SCRIPT_SUSPICIOUS, f"npm {key} script downloads or runs inline code"
        elif _BENIGN_SCRIPT.match(cmd):
            pts, msg = W.NPM_SCRIPT_BUILD_TOOL, f"npm {key} script (build tool)"
        else:
            pts, msg = W.NPM_SCRIPT_PLAIN, f"npm {key} script runs at install"
        if key == "prepare" and pts < W.NPM_SCRIPT_SUSPICIOUS:
            pts = W.NPM_PREPARE
        severity = "high" if pts >= W.NPM_SCRIPT_SUSPICIOUS else "low"
        hits.append(RawHit(f"eng_npm_{key}", 1, severity, pkg_json, line, excerpt, pts, msg))
    for section in ("dependencies", "optionalDependencies"):
        deps = doc.get(section)
        if isinstance(deps, dict):
            for dep, spec in deps.items():
                if isinstance(spec, str) and _URL_SPEC.match(spec):
                    hits.append(RawHit("eng_npm_url_dependency", 6, "low", pkg_json, line_of(pkg_json.data, dep.encode()),
                                       f'"{dep}": "{spec}"'[:MAX_EXCERPT], W.NPM_URL_DEPENDENCY, "dependency fetched from a URL"))
    return hits, targets, name
