"""`sigil audit [PATH...]`: every pinned dependency of lockfiles and SBOMs, looked up in batches.

Exit codes: 0 nothing found, 1 warnings (not pinned, failed verification, a threat on the name
whose version is unknown), 2 malicious, 3 an error (a file that cannot be read, the server).
"""
from __future__ import annotations

import json
from collections import Counter
from typing import TYPE_CHECKING
from pathlib import Path
from urllib.parse import quote

from cli import __version__
from cli.api import Api
from cli.config import CliError

if TYPE_CHECKING:
    from cli.lockfiles import Dependency
from cli.output import SARIF_SCHEMA, Style, clean, use_colour

EXIT_OK, EXIT_WARN, EXIT_MALICIOUS, EXIT_ERROR = 0, 1, 2, 3
BATCH = 1000  # POST /v1/lookup's largest request
NOT_PINNED = "not_pinned"
STATUS_LABEL = {"malicious": "MALICIOUS", "failed_verification": "failed verification", "verified": "verified",
                "unknown": "unknown", NOT_PINNED: "not pinned, not checked", "error": "error"}
WARNINGS = {"failed_verification", NOT_PINNED}
RULES = {
    "malicious": ("sigil-audit/malicious", "error", "A dependency matches a known malicious-package threat"),
    "failed_verification": ("sigil-audit/failed-verification", "warning",
                            "The server's latest verification of this version failed"),
    "name_only": ("sigil-audit/threat-on-name", "warning",
                  "A threat names this package; the pinned version is not known to be affected"),
    NOT_PINNED: ("sigil-audit/not-pinned", "note", "Not pinned to one version, so not checked"),
}


def collect(paths: list[str]) -> tuple[list[Dependency], list[str], list[str]]:
    """Dependencies of every lockfile under the paths, the files read, and the errors met."""
    # The lockfile parsers (PyYAML, packageurl, packaging) load only for `sigil audit`.
    from cli.lockfiles import LockfileError, find_lockfiles, read_dependencies

    files, errors = [], []
    for raw in paths or ["."]:
        path = Path(raw)
        if path.is_dir():
            found = find_lockfiles(path)
            files += found
            if not found:
                errors.append(f"{raw}: no lockfile or SBOM found")
        elif path.is_file():
            files.append(path)
        else:
            errors.append(f"{raw}: no such file or directory")
    deps, read = [], []
    for file in dict.fromkeys(files):
        display = file.as_posix()
        try:
            deps += read_dependencies(file, display)
            read.append(display)
        except (LockfileError, OSError) as exc:
            errors.append(str(exc))
    return deps, read, errors


def _item(dep: Dependency) -> dict:
    item = {"ecosystem": dep.ecosystem, "name": dep.name, "version": dep.version}
    if dep.hashes:
        item["hashes"] = dep.hashes
    return item


def lookup(api: Api, deps: list[Dependency]) -> dict[tuple, dict]:
    """One POST /v1/lookup per 1,000 distinct (ecosystem, name, version, hashes); results by key."""
    keys = list(dict.fromkeys(_key(d) for d in deps if d.pinned))
    answers = {}
    for start in range(0, len(keys), BATCH):
        chunk = keys[start:start + BATCH]
        body = api.request("POST", "/v1/lookup", json={"packages": [_item(_dep_of(k)) for k in chunk]})
        results = body.get("results")
        if not isinstance(results, list) or len(results) != len(chunk):
            raise CliError("the server's lookup answer does not match the request")
        answers.update(zip(chunk, results))
    return answers


def _key(dep: Dependency) -> tuple:
    return dep.ecosystem, dep.name, dep.version, tuple(dep.hashes)


def _dep_of(key: tuple) -> Dependency:
    from cli.lockfiles import Dependency

    ecosystem, name, version, hashes = key
    return Dependency(ecosystem, name, version, "", hashes=list(hashes))


def rows_for(deps: list[Dependency], answers: dict) -> list[dict]:
    rows = []
    for dep in deps:
        row = {"ecosystem": dep.ecosystem, "name": dep.name, "version": dep.version, "file": dep.file,
               "line": dep.line, "threats": [], "verification": None, "match": None}
        if not dep.pinned:
            row.update(status=NOT_PINNED, why=dep.note or "no exact version")
        else:
            answer = answers.get(_key(dep)) or {}
            if "error" in answer:
                row.update(status="error", why=str((answer.get("error") or {}).get("detail") or "rejected"))
            else:
                row.update(status=answer.get("status") or "unknown", match=answer.get("match"),
                           threats=answer.get("threats") or [], verification=answer.get("verification"))
                row["why"] = _why(row)
        rows.append(row)
    return rows


def _why(row: dict) -> str:
    threats = [t for t in row["threats"] if isinstance(t, dict)]
    standing = [t for t in threats if not t.get("withdrawn")]
    if row["status"] == "malicious":
        threat = next((t for t in standing if t.get("match") == row["match"]), standing[0] if standing else {})
        basis = {"artifact_hash": "artifact hash matches", "version": "version listed",
                 "range": "version in affected range"}.get(row["match"], str(row["match"]))
        return f"{basis} ({threat.get('severity', '?')}, {threat.get('category', '?')})"
    if row["status"] == "failed_verification":
        return f"verification failed (verdict {(row['verification'] or {}).get('verdict') or '?'})"
    if any(t.get("match") == "name_only" for t in standing):
        return "a threat names this package; this version not listed"
    if row["status"] == "verified":
        return f"verified until {(row['verification'] or {}).get('expires_at', '?')[:10]}"
    return ""


def _rule_of(row: dict) -> str | None:
    if row["status"] == "malicious":
        return "malicious"
    if row["status"] in ("failed_verification", NOT_PINNED):
        return row["status"]
    if any(t.get("match") == "name_only" and not t.get("withdrawn") for t in row["threats"] if isinstance(t, dict)):
        return "name_only"
    return None


def exit_code(rows: list[dict], errors: list[str]) -> int:
    if errors or any(r["status"] == "error" for r in rows):
        return EXIT_ERROR
    if any(r["status"] == "malicious" for r in rows):
        return EXIT_MALICIOUS
    if any(_rule_of(r) for r in rows):
        return EXIT_WARN
    return EXIT_OK


def summary(rows: list[dict], files: list[str]) -> dict:
    counts = Counter(r["status"] for r in rows)
    return {"files": len(files), "dependencies": len(rows),
            **{status: counts.get(status, 0) for status in STATUS_LABEL}}


def threat_page(row: dict) -> str:
    threats = [t for t in row["threats"] if isinstance(t, dict) and not t.get("withdrawn")]
    return str(threats[0].get("url", "")) if threats else ""


def render_table(rows: list[dict], files: list[str], errors: list[str], *, show_all: bool) -> str:
    style = Style(use_colour())
    shown = rows if show_all else [r for r in rows if _rule_of(r) or r["status"] in ("verified", "error")]
    order = {"malicious": 0, "error": 1, "failed_verification": 2, NOT_PINNED: 4, "verified": 5, "unknown": 3}
    shown = sorted(shown, key=lambda r: (order.get(r["status"], 9), r["name"]))
    table = [("PACKAGE", "VERSION", "STATUS", "WHY", "THREAT / LOCATION")]
    for r in shown:
        table.append((f"{r['ecosystem']}:{r['name']}", r["version"] or "-", STATUS_LABEL.get(r["status"], r["status"]),
                      r.get("why") or "", threat_page(r) or f"{r['file']}:{r['line']}"))
    table = [tuple(clean(cell) for cell in row) for row in table]
    widths = [min(max(len(row[i]) for row in table), cap) for i, cap in enumerate((48, 20, 24, 72))]
    colour = {"MALICIOUS": ("red", "bold"), "failed verification": ("yellow",), "not pinned, not checked": ("yellow",),
              "verified": ("green",), "error": ("red",)}
    lines = []
    for index, row in enumerate(table):
        cells = [row[i][:widths[i]].ljust(widths[i]) for i in range(4)]
        if index and row[2] in colour:
            cells[2] = style(cells[2], *colour[row[2]])
        lines.append("  ".join([*cells, row[4]]).rstrip())
    counts = summary(rows, files)
    lines.append("")
    lines.append(f"{counts['dependencies']} dependencies in {counts['files']} file(s): "
                 f"{counts['malicious']} malicious, {counts['failed_verification']} failed verification, "
                 f"{counts['verified']} verified, {counts['unknown']} unknown, {counts[NOT_PINNED]} not pinned"
                 + (f", {counts['error']} rejected" if counts["error"] else ""))
    if not show_all and len(shown) < len(rows):
        lines.append(f"({len(rows) - len(shown)} unknown dependencies not listed; --all lists them)")
    lines += [f"error: {clean(e)}" for e in errors]
    return "\n".join(lines)


def to_sarif(rows: list[dict]) -> dict:
    rule_keys = [key for key in RULES if any(_rule_of(r) == key for r in rows)]
    rules = [{"id": RULES[k][0], "name": RULES[k][0].split("/")[1], "shortDescription": {"text": RULES[k][2]},
              "defaultConfiguration": {"level": RULES[k][1]}} for k in rule_keys]
    results = []
    for row in rows:
        key = _rule_of(row)
        if key is None:
            continue
        rule_id, level, _ = RULES[key]
        version = row["version"] or "(not pinned)"
        text = f"{row['ecosystem']}:{row['name']} {version}: {STATUS_LABEL.get(row['status'], row['status'])}"
        if row.get("why"):
            text += f" - {row['why']}"
        if threat_page(row):
            text += f" {threat_page(row)}"
        results.append({
            "ruleId": rule_id, "ruleIndex": rule_keys.index(key), "level": level, "message": {"text": text},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": quote(row["file"], safe="/")},
                                                "region": {"startLine": max(int(row["line"]), 1)}}}],
            "properties": {"ecosystem": row["ecosystem"], "package": row["name"], "version": row["version"],
                           "threats": [t.get("reference") for t in row["threats"] if isinstance(t, dict)]},
        })
    return {"version": "2.1.0", "$schema": SARIF_SCHEMA, "runs": [{
        "tool": {"driver": {"name": "sigil", "version": __version__, "informationUri": "https://sigilsec.ai",
                            "rules": rules}},
        "results": results,
    }]}


def cmd_audit(args) -> int:
    deps, files, errors = collect(args.paths)
    answers = {}
    if any(d.pinned for d in deps):
        api = Api()
        api.require_login()
        answers = lookup(api, deps)
    rows = rows_for(deps, answers)
    if args.json:
        print(json.dumps({"summary": summary(rows, files), "files": files, "errors": errors, "dependencies": rows},
                         indent=2))
    elif args.sarif:
        print(json.dumps(to_sarif(rows), indent=2))
    else:
        print(render_table(rows, files, errors, show_all=args.all), flush=True)
    return exit_code(rows, errors)


def add_parser(sub) -> None:
    p = sub.add_parser("audit", help="check every pinned dependency of lockfiles and SBOMs against threat intelligence",
                       description="Reads requirements*.txt, poetry.lock, uv.lock, Pipfile.lock, pylock.toml, "
                                   "package-lock.json, npm-shrinkwrap.json, yarn.lock, pnpm-lock.yaml and CycloneDX/SPDX "
                                   "JSON SBOMs; never runs pip or npm. Exit codes: 0 nothing found, 1 warnings, "
                                   "2 malicious, 3 error.")
    p.add_argument("paths", nargs="*", metavar="PATH", help="files or directories (default: the current directory)")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="every dependency with its result, as JSON")
    fmt.add_argument("--sarif", action="store_true", help="SARIF 2.1.0; locations are lockfile lines")
    p.add_argument("--all", action="store_true", help="list unknown dependencies in the table too")
    p.set_defaults(func=cmd_audit)
