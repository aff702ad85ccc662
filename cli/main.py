"""`sigil`: quarantine and scan code locally, talk to the Sigil API.

Exit codes: 0 clean or low, 1 medium, 2 high or critical, 3 an error.
"""

from __future__ import annotations

import argparse
import getpass
import hashlib
import json
import re
import sys
import time
from contextlib import nullcontext
from pathlib import Path

from cli import __version__, audit, firewall, quarantine, sigs
from cli.api import Api, ApiError
from cli.config import CliError, api_url, delete_credentials, save_credentials
from cli.output import Spinner, Style, clean, render_report, to_sarif, use_colour
from domain.identifiers import normalize_hash
from domain.scoring import BLOCKING_VERDICTS, SEVERITIES

EXIT_OK, EXIT_MEDIUM, EXIT_BLOCK, EXIT_ERROR = 0, 1, 2, 3
EXIT_FOR_VERDICT = {"clean": EXIT_OK, "low": EXIT_OK, "medium": EXIT_MEDIUM, "high": EXIT_BLOCK, "critical": EXIT_BLOCK}
SOURCE_FLAGS = ("pip", "npm", "git", "url")
CATEGORIES = ("credential_exfiltration", "backdoor", "install_hook_abuse", "typosquat", "obfuscated_payload",
              "cryptominer", "data_exfiltration", "other")


class Parser(argparse.ArgumentParser):
    """Usage errors exit 3: exit code 2 means a high or critical verdict."""

    def error(self, message):
        self.print_usage(sys.stderr)
        print(f"sigil: error: {message}", file=sys.stderr)
        sys.exit(EXIT_ERROR)


def out(text: str = "") -> None:
    print(text, flush=True)


def _print_json(data) -> None:
    out(json.dumps(data, indent=2, sort_keys=False))


# ---------------------------------------------------------------------------------- accounts

def _credentials(args, *, confirm: bool = False) -> tuple[str, str]:
    email = args.email or input("Email: ").strip()
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif args.password is not None:
        password = args.password
    else:
        password = getpass.getpass("Password: ")
        if confirm and password != getpass.getpass("Password (again): "):
            raise CliError("the passwords do not match")
    if not email or not password:
        raise CliError("email and password are required")
    return email, password


def cmd_register(args) -> int:
    email, password = _credentials(args, confirm=True)
    api = Api(use_stored_token=False)
    user = api.register(email, password)
    out(f"Registered {clean(user.get('email') or email)} on {api.base} ({clean(user.get('tier') or 'free')} tier).")
    return _log_in(api, email, password)


def cmd_login(args) -> int:
    email, password = _credentials(args)
    return _log_in(Api(use_stored_token=False), email, password)


def _log_in(api: Api, email: str, password: str) -> int:
    body = api.login(email, password)
    token = body.get("access_token")
    if not isinstance(token, str) or not token:
        raise CliError("the server answered without an access token")
    path = save_credentials(token=token, email=email, url=api.base)
    user = body.get("user") if isinstance(body.get("user"), dict) else {}
    out(f"Logged in to {api.base} as {clean(user.get('email') or email)} ({clean(user.get('tier') or '?')} tier).")
    out(f"Token saved to {path} (readable by you only).")
    return EXIT_OK


def cmd_logout(args) -> int:
    out("Logged out." if delete_credentials() else "Not logged in.")
    return EXIT_OK


def cmd_whoami(args) -> int:
    api = Api()
    api.require_login()
    me = api.me()
    out(f"{clean(me.get('email'))} ({clean(me.get('tier'))} tier) on {api.base}, {me.get('scan_count', 0)} scans")
    return EXIT_OK


# ------------------------------------------------------------------------------------- scan

def _source(args, *, allow_local: bool) -> tuple[str, str]:
    chosen = [(name, getattr(args, name)) for name in SOURCE_FLAGS if getattr(args, name, None)]
    if allow_local and getattr(args, "path", None):
        chosen.append(("local", args.path))
    if len(chosen) != 1:
        flags = " | ".join(f"--{n}" for n in SOURCE_FLAGS)
        raise CliError(f"give exactly one source: {'PATH | ' if allow_local else ''}{flags}")
    return chosen[0]


def _slug_source(source_type: str, value: str) -> str:
    if source_type == "pip":
        return value.split("==")[0]
    if source_type == "npm":
        return value[: value.find("@", 1)] if value.find("@", 1) > 0 else value
    if source_type == "local":
        return Path(value).expanduser().absolute().name
    return value.rstrip("/").rsplit("/", 1)[-1] or value


def cmd_scan(args) -> int:
    from scans.engine import EngineError, scan_archive, scan_directory
    from cli.fetch import fetch

    source_type, value = _source(args, allow_local=True)
    api = Api()
    if args.submit:
        api.require_login()  # before downloading anything
    ruleset = sigs.rules_for_scan(api, offline=args.offline)
    rules_note = {"synced": f"{len(ruleset.rules)} synced from {api.base}",
                  "cache": f"{len(ruleset.rules)} from the local cache",
                  "builtin": f"{len(ruleset.rules)} from the built-in pack"}[ruleset.source]
    if ruleset.note:
        rules_note += f" ({ruleset.note})"

    qid, entry = quarantine.new_entry(_slug_source(source_type, value))
    try:
        with Spinner(f"fetching {clean(value, 60)}") if source_type == "git" else nullcontext():
            fetched = fetch(source_type, value, entry)
        with Spinner("scanning"):
            if fetched.kind == "archive":
                result = scan_archive(fetched.path, ruleset.rules, filename=fetched.path.name,
                                      ecosystem=fetched.ecosystem, package_name=fetched.package_name)
            else:
                result = scan_directory(fetched.path, ruleset.rules, ecosystem=fetched.ecosystem,
                                        package_name=fetched.package_name)
    except EngineError as exc:
        quarantine.discard(entry)
        raise CliError(f"cannot scan {value}: {exc}") from None
    except BaseException:
        quarantine.discard(entry)
        raise

    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    meta = {
        "id": qid,
        "source_type": fetched.source_type,
        "source_ref": fetched.source_ref,
        **({"origin": fetched.origin} if fetched.origin else {}),
        "kind": fetched.kind,
        "content": fetched.path.name,
        "created_at": now,
        "score": result.score,
        "verdict": result.verdict,
        "source_hash": result.source_hash,
        "evidence": [f.summary() for f in sorted(result.findings, key=lambda f: -f.points)[:20]],
    }
    same = quarantine.find_same(meta)
    if same:
        # The same code again: keep the entry that already holds it instead of a second copy.
        quarantine.discard(entry)
        qid, entry = same
        earlier = quarantine.load_meta(entry)
        meta = {**earlier, **meta, "id": qid, "created_at": earlier.get("created_at", now), "rescanned_at": now}
        fetched.notes.append(f"same content as before: quarantine entry {qid} reused")
    quarantine.save_meta(entry, meta)
    body = result.to_scan_body(quarantine_id=qid, source_type=fetched.source_type,
                               source_ref=fetched.source_ref, cli_version=__version__)

    if args.json:
        _print_json(body)
    elif args.sarif:
        _print_json(to_sarif(result, rules_by_id={r.id: r for r in ruleset.rules}, source_ref=fetched.source_ref))
    else:
        out(render_report(result, quarantine_id=qid, source_type=fetched.source_type,
                          source_ref=fetched.origin or fetched.source_ref,
                          rules_note=rules_note, quarantine_path=str(entry), notes=fetched.notes,
                          colour=use_colour()))

    if args.submit:
        response = api.submit_scan(body)
        meta = quarantine.load_meta(entry)
        meta["scan_id"] = response.get("scan_id")
        quarantine.save_meta(entry, meta)
        # Machine-readable output keeps stdout clean; the submission summary goes to stderr then.
        _print_submission(response, sys.stderr if (args.json or args.sarif) else sys.stdout)
    return EXIT_FOR_VERDICT.get(result.verdict, EXIT_ERROR)


def _print_submission(resp: dict, stream) -> None:
    s = Style(use_colour(stream))
    lines = ["", f"Submitted as {clean(resp.get('scan_id'))}"]
    threats = resp.get("threats") if isinstance(resp.get("threats"), list) else []
    if threats:
        lines.append(s(f"Known threats: {len(threats)}", "red", "bold"))
        for t in threats:
            if isinstance(t, dict):
                lines.append(f"  [{clean(t.get('severity'))}] {clean(t.get('hash'), 80)}  {clean(t.get('description'), 200)}"
                             f"  ({t.get('reports_count', 0)} reports)")
    else:
        lines.append("Known threats: none")
    deps = resp.get("dependency_threats") if isinstance(resp.get("dependency_threats"), list) else []
    if deps:
        lines.append(s(f"Dependencies known to be malicious: {len(deps)}", "red", "bold"))
        for d in deps:
            if isinstance(d, dict):
                lines.append(f"  {clean(d.get('reason'), 300)}")
    pub = resp.get("publisher")
    if isinstance(pub, dict):
        lines.append(f"Publisher: {clean(pub.get('name'))} ({clean(pub.get('id'))}), reputation {pub.get('reputation')}, "
                     f"{pub.get('flagged_packages', 0)}/{pub.get('total_packages', 0)} packages flagged")
    else:
        lines.append("Publisher: unknown")
    print("\n".join(lines), file=stream, flush=True)


# ------------------------------------------------------------------------------- quarantine

def cmd_list(args) -> int:
    items = quarantine.entries()
    if args.json:
        _print_json(items)
        return EXIT_OK
    if not items:
        out("Quarantine is empty.")
        return EXIT_OK
    out(f"{'ID':<44} {'VERDICT':<9} {'SCORE':>5}  SOURCE")
    for m in items:
        out(f"{m['id']:<44} {clean(m.get('verdict', '?')):<9} {m.get('score', '?'):>5}  "
            f"{clean(m.get('source_type'))} {clean(m.get('origin') or m.get('source_ref'), 120)}")
    return EXIT_OK


def cmd_quarantine_prune(args) -> int:
    if args.all and args.older_than is not None:
        raise CliError("give either --all or --older-than, not both")
    days = 0 if args.all else (30 if args.older_than is None else args.older_than)
    if days < 0:
        raise CliError("--older-than must not be negative")
    removed = quarantine.prune(older_than_seconds=days * 86400, dry_run=args.dry_run)
    verb = "Would delete" if args.dry_run else "Deleted"
    for qid in removed:
        out(f"{verb} {qid}")
    scope = "every entry" if days == 0 else f"entries not scanned for {days:g} days"
    out(f"{verb} {len(removed)} quarantined item(s): {scope}.")
    return EXIT_OK


def cmd_approve(args) -> int:
    path = quarantine.entry_path(args.id)
    meta = quarantine.load_meta(path)
    if meta.get("verdict") in BLOCKING_VERDICTS and not args.force:
        raise CliError(f"{args.id} scored {meta.get('verdict')}; pass --force to release it anyway")
    target = quarantine.approve(args.id, args.dest)
    what = "archive (not extracted)" if meta.get("kind") == "archive" else "files"
    out(f"Approved {args.id}: {what} moved to {target}")
    return EXIT_OK


def cmd_reject(args) -> int:
    path = quarantine.entry_path(args.id)
    quarantine.discard(path)
    out(f"Rejected {args.id}: deleted.")
    return EXIT_OK


# ----------------------------------------------------------------------------- intel wrappers

_HASH = re.compile(r"^(?:sha256:)?[0-9a-fA-F]{64}$")


def cmd_lookup(args) -> int:
    value = args.hash
    if _HASH.match(value):
        value = normalize_hash(value)
    elif Path(value).is_file():
        h = hashlib.sha256()
        with open(value, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        value = "sha256:" + h.hexdigest()
    api = Api()
    api.require_login()
    body = api.threat(value)
    if args.json:
        _print_json(body)
    elif not body.get("known_threat"):
        out(f"{clean(body.get('hash') or value)}: no known threat")
    else:
        s = Style(use_colour())
        out(f"{clean(body.get('hash'))}: " + s(f"KNOWN THREAT ({clean(body.get('severity'))})", "red", "bold"))
        for key in ("category", "description", "first_seen", "last_seen", "reports_count", "recommended_action"):
            if body.get(key) is not None:
                out(f"  {key.replace('_', ' '):<19}{clean(body.get(key))}")
        for p in body.get("affected_packages") or []:
            if isinstance(p, dict):
                out(f"  affected           {clean(p.get('ecosystem'))} {clean(p.get('name'))} {clean(p.get('version'))}")
        for ref in body.get("references") or []:
            out(f"  reference          {clean(ref)}")
    return EXIT_BLOCK if body.get("known_threat") else EXIT_OK


def cmd_publisher(args) -> int:
    api = Api()
    api.require_login()
    body = api.publisher(args.name, args.ecosystem)
    if args.json:
        _print_json(body)
        return EXIT_OK
    out(f"{clean(body.get('name'))} ({clean(body.get('ecosystem'))}, {clean(body.get('id'))})")
    out(f"  reputation         {body.get('reputation_score')} ({clean(body.get('reputation_label'))})")
    out(f"  packages           {body.get('total_packages', 0)} ({body.get('flagged_packages', 0)} flagged)")
    for key in ("total_scans", "average_risk_score", "first_seen"):
        if body.get(key) is not None:
            out(f"  {key.replace('_', ' '):<19}{clean(body.get(key))}")
    flags = body.get("flags") or []
    if flags:
        out(f"  flags              {', '.join(clean(f) for f in flags)}")
    for p in body.get("packages") or []:
        if isinstance(p, dict):
            out(f"    {clean(p.get('name'))} {clean(p.get('version'))}  {clean(p.get('verdict'))}  ({p.get('scans', 0)} scans)")
    return EXIT_OK


def _split_version(source_type: str, value: str) -> tuple[str, str | None]:
    if source_type == "pip":
        from cli.fetch import parse_pip

        return parse_pip(value)
    if source_type == "npm":
        from cli.fetch import parse_npm

        return parse_npm(value)
    return value, None


def _norm_hash(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return normalize_hash(value)
    except ValueError:
        raise CliError(f"not a sha256 hash: {value!r}") from None


def cmd_report(args) -> int:
    body: dict = {}
    if args.quarantine:
        meta = quarantine.load_meta(quarantine.entry_path(args.quarantine))
        if meta.get("source_type") == "local":
            raise CliError("local scans cannot be reported; report the package, repository or URL")
        body.update(source_type=meta.get("source_type"), source_ref=meta.get("source_ref"),
                    source_hash=meta.get("source_hash"), evidence=list(meta.get("evidence") or []))
        if meta.get("scan_id"):
            body["scan_id"] = meta["scan_id"]
        if any(getattr(args, n) for n in SOURCE_FLAGS):
            raise CliError("give either --quarantine or a source, not both")
    else:
        source_type, value = _source(args, allow_local=False)
        body.update(source_type=source_type, source_ref=value)
    body.update(category=args.category, severity=args.severity, description=args.description)
    if args.evidence:
        body["evidence"] = list(body.get("evidence") or []) + args.evidence
    if args.hash:
        body["source_hash"] = _norm_hash(args.hash)
    if args.scan_id:
        body["scan_id"] = args.scan_id
    body = {k: v for k, v in body.items() if v not in (None, [])}
    api = Api()
    api.require_login()
    resp = api.report(body)
    if args.json:
        _print_json(resp)
    else:
        out(f"Report {clean(resp.get('report_id'))} {clean(resp.get('status'))}: {clean(resp.get('source_ref'))} "
            f"[{clean(resp.get('category'))}, {clean(resp.get('severity'))}]")
        if resp.get("message"):
            out(clean(resp.get("message")))
    return EXIT_OK


def _report_line(report: dict) -> str:
    outcome = clean(report.get("outcome"))
    threat = f" {clean(report.get('threat_reference'))}" if report.get("threat_reference") else ""
    signatures = f" signatures: {', '.join(clean(s) for s in report.get('signatures') or [])}" if report.get("signatures") else ""
    return (f"{clean(report.get('report_id'))}  {clean(report.get('created_at'))}  {clean(report.get('status')):<9}  "
            f"{outcome}{threat}{signatures}  {clean(report.get('source_ref'))} [{clean(report.get('severity'))}]")


def cmd_reports(args) -> int:
    api = Api()
    api.require_login()
    if args.report_id:
        body = api.report_detail(args.report_id)
        if args.json:
            _print_json(body)
        else:
            out(_report_line(body))
        return EXIT_OK
    reports, page = [], api.reports(status=args.status, limit=min(args.limit, 200))
    while True:
        reports.extend(r for r in page.get("results") or [] if isinstance(r, dict))
        if not args.all or not page.get("next") or len(reports) >= 10_000:
            break
        page = api.reports(cursor_url=str(page["next"]))
    if args.json:
        _print_json({"results": reports, "next": None if args.all else page.get("next")})
        return EXIT_OK
    if not reports:
        out("No reports.")
    for report in reports:
        out(_report_line(report))
    if page.get("next") and not args.all:
        out("(more: sigil reports --all)")
    return EXIT_OK


def cmd_verify(args) -> int:
    source_type, value = _source(args, allow_local=False)
    ref, version = _split_version(source_type, value)
    body = {"source_type": source_type, "source_ref": ref}
    if version:
        body["source_version"] = version
    if args.hash:
        body["source_hash"] = _norm_hash(args.hash)
    if args.callback_url:
        body["callback_url"] = args.callback_url
    api = Api()
    api.require_login()
    resp = api.verify(body)
    if args.json:
        _print_json(resp)
    else:
        s = Style(use_colour())
        status = str(resp.get("status"))
        colour = {"verified": ("green", "bold"), "failed": ("red", "bold")}.get(status, ("yellow",))
        out(f"{clean(resp.get('verification_id'))}: " + s(clean(status).upper(), *colour) +
            f"  {clean(resp.get('source_ref'))} {clean(resp.get('source_version') or '')}".rstrip())
        if resp.get("verdict") is not None:
            out(f"  score {resp.get('score')}, verdict {clean(resp.get('verdict'))}")
        if resp.get("page_url"):
            out(f"  page  {clean(resp.get('page_url'))}")
        if resp.get("badge_url"):
            out(f"  badge {clean(resp.get('badge_url'))}")
            if resp.get("page_url"):
                out(f"  markdown [![sigil]({clean(resp.get('badge_url'))})]({clean(resp.get('page_url'))})")
        details = resp.get("details") if isinstance(resp.get("details"), dict) else {}
        for p in details.get("phases_flagged") or []:
            if isinstance(p, dict):
                out(f"  phase {p.get('phase')}: +{p.get('score')} {clean(p.get('note'))}")
        if "known_threats" in details:
            out(f"  known threats {details.get('known_threats')}")
    return EXIT_BLOCK if resp.get("status") == "failed" else EXIT_OK


def _fetch_release(source_type: str, spec: str, rules):
    """Fetch one release into quarantine (nothing is run) and scan it; (Release, quarantine id)."""
    from cli.fetch import fetch
    from scans.engine import EngineError, Release, manifest_of_archive, manifest_of_directory, scan_archive, scan_directory

    qid, entry = quarantine.new_entry(_slug_source(source_type, spec))
    try:
        with Spinner(f"fetching {clean(spec, 60)}"):
            fetched = fetch(source_type, spec, entry)
        if fetched.kind == "archive":
            result = scan_archive(fetched.path, rules, filename=fetched.path.name, ecosystem=fetched.ecosystem,
                                  package_name=fetched.package_name)
            manifest = manifest_of_archive(fetched.path.read_bytes(), fetched.path.name)
        else:
            result = scan_directory(fetched.path, rules, ecosystem=fetched.ecosystem, package_name=fetched.package_name)
            manifest = manifest_of_directory(str(fetched.path))
    except EngineError as exc:
        quarantine.discard(entry)
        raise CliError(f"cannot scan {spec}: {exc}") from None
    except BaseException:
        quarantine.discard(entry)
        raise
    separator = "==" if source_type == "pip" else "@"
    version = fetched.source_ref.rpartition(separator)[2] if separator in fetched.source_ref[1:] else ""
    quarantine.save_meta(entry, {"id": qid, "source_type": fetched.source_type, "source_ref": fetched.source_ref,
                                 "kind": fetched.kind, "content": fetched.path.name,
                                 "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                                 "score": result.score, "verdict": result.verdict, "source_hash": result.source_hash,
                                 "evidence": [f.summary() for f in sorted(result.findings, key=lambda f: -f.points)[:20]]})
    return Release(version, result, manifest), qid


def cmd_diff(args) -> int:
    """What changed between two releases, computed locally by the same code as the server's changes_since."""
    from scans.engine import release_diff

    source_type = "pip" if args.pip else "npm"
    specs = [spec.replace("@", "==", 1) if source_type == "pip" and "==" not in spec else spec
             for spec in (args.old, args.new)]
    ruleset = sigs.rules_for_scan(Api(), offline=args.offline)
    (old, old_id), (new, new_id) = (_fetch_release(source_type, spec, ruleset.rules) for spec in specs)
    diff = release_diff(old, new)
    risk = diff["release_risk"]
    if args.json:
        _print_json({**diff, "quarantine_ids": [old_id, new_id]})
        return EXIT_MEDIUM if risk["signals"] else EXIT_OK
    out(f"changes from {clean(specs[0])} to {clean(specs[1])} (quarantine {old_id}, {new_id}; nothing was run)")
    hooks = diff["install_hooks"]
    for label, items in (("install hook added", hooks["added"].items()), ("install hook changed", hooks["changed"].items())):
        for name, command in items:
            out(f"  {label}: {clean(name)}: {clean(command, 120)}")
    for name in hooks["removed"]:
        out(f"  install hook removed: {clean(name)}")
    for dependency in diff["new_dependencies"]:
        out(f"  new dependency: {clean(dependency['name'])} {clean(dependency['spec'])}")
    for label, key in (("new domain", "new_domains"), ("new endpoint", "new_endpoints"), ("new binary", "new_binaries")):
        for value in diff[key]:
            out(f"  {label}: {clean(value)}")
    if diff["publisher_change"]:
        out(f"  publisher: {clean(diff['publisher_change']['from'])} -> {clean(diff['publisher_change']['to'])}")
    for finding in diff["new_findings"]:
        out(f"  + {clean(finding['message'], 100)} ({clean(finding['file'])})")
    for finding in diff["disappeared_findings"]:
        out(f"  - {clean(finding['message'], 100)} ({clean(finding['file'])})")
    if risk["signals"]:
        out(f"release risk: +{risk['points']} to the score")
        for signal in risk["signals"]:
            out(f"  {clean(signal['detail'], 200)}")
    else:
        out("release risk: none")
    return EXIT_MEDIUM if risk["signals"] else EXIT_OK


# ----------------------------------------------------------------------------------- parser

def _add_sources(p: argparse.ArgumentParser, *, local: bool) -> None:
    if local:
        p.add_argument("path", nargs="?", metavar="PATH", help="a local directory or archive (copied into quarantine)")
    p.add_argument("--pip", metavar="NAME[==VER]", help="a PyPI package (sdist, else wheel)")
    p.add_argument("--npm", metavar="NAME[@VER]", help="an npm package")
    p.add_argument("--git", metavar="URL", help="a git repository (shallow clone, no hooks or submodules)")
    p.add_argument("--url", metavar="URL", help="an archive to download")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="sigil", description="Quarantine and scan code before it runs. "
                    "Exit codes: 0 clean/low, 1 medium, 2 high/critical, 3 error.")
    parser.add_argument("--version", action="version", version=f"sigil {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    sub.required = True

    for name, func, what in (("register", cmd_register, "create an account on the server, then log in"),
                             ("login", cmd_login, "log in and store the token (0600) in $SIGIL_HOME")):
        p = sub.add_parser(name, help=what)
        p.add_argument("--email")
        p.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
        p.add_argument("--password", help="password on the command line (visible in ps; prefer --password-stdin)")
        p.set_defaults(func=func)

    sub.add_parser("logout", help="forget the stored token").set_defaults(func=cmd_logout)
    sub.add_parser("whoami", help="show the logged-in account").set_defaults(func=cmd_whoami)

    p = sub.add_parser("scan", help="fetch into quarantine and scan")
    _add_sources(p, local=True)
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="print the POST /v1/scan body")
    fmt.add_argument("--sarif", action="store_true", help="print SARIF 2.1.0")
    p.add_argument("--submit", action="store_true", help="send the metadata (never source) to POST /v1/scan")
    p.add_argument("--offline", action="store_true", help="do not sync signatures")
    p.set_defaults(func=cmd_scan)

    p = sub.add_parser("list", help="list quarantined items")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("quarantine", help="manage the quarantine: list, prune")
    qsub = p.add_subparsers(dest="quarantine_command", metavar="ACTION", parser_class=Parser)
    qsub.required = True
    q = qsub.add_parser("list", help="the same as `sigil list`")
    q.add_argument("--json", action="store_true")
    q.set_defaults(func=cmd_list)
    q = qsub.add_parser("prune", help="delete items not scanned for a while (default 30 days)")
    q.add_argument("--older-than", type=float, metavar="DAYS", help="age in days since the last scan (default 30)")
    q.add_argument("--all", action="store_true", help="delete every quarantined item")
    q.add_argument("--dry-run", action="store_true", help="only list what would be deleted")
    q.set_defaults(func=cmd_quarantine_prune)

    p = sub.add_parser("approve", help="move quarantined code to DEST")
    p.add_argument("id", metavar="ID")
    p.add_argument("dest", metavar="DEST", help="a path that does not exist yet")
    p.add_argument("--force", action="store_true", help="release a high or critical item anyway")
    p.set_defaults(func=cmd_approve)

    p = sub.add_parser("reject", help="delete a quarantined item")
    p.add_argument("id", metavar="ID")
    p.set_defaults(func=cmd_reject)

    p = sub.add_parser("lookup", help="look a content hash (or a file's sha256) up in threat intelligence")
    p.add_argument("hash", metavar="HASH", help="sha256:<hex>, <hex>, or a file to hash")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_lookup)

    p = sub.add_parser("publisher", help="a publisher's reputation")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--ecosystem", choices=("npm", "pypi", "github"))
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_publisher)

    p = sub.add_parser("report", help="report a malicious package, repository or URL")
    _add_sources(p, local=False)
    p.add_argument("--quarantine", metavar="ID", help="take source, hash and evidence from a quarantined scan")
    p.add_argument("--category", required=True, choices=CATEGORIES)
    p.add_argument("--severity", required=True, choices=SEVERITIES)
    p.add_argument("--description", required=True)
    p.add_argument("--evidence", action="append", metavar="TEXT", help="repeatable")
    p.add_argument("--hash", metavar="SHA256")
    p.add_argument("--scan-id", metavar="SCAN_ID")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("diff", help="fetch two releases into quarantine and show what changed (nothing is run)")
    p.add_argument("old", metavar="PKG@A", help="the earlier release, e.g. leftpad@1.0.0 (pip: NAME==VER or NAME@VER)")
    p.add_argument("new", metavar="PKG@B", help="the later release")
    p.add_argument("--pip", action="store_true", help="PyPI releases (default: npm)")
    p.add_argument("--json", action="store_true", help="print the diff as JSON")
    p.add_argument("--offline", action="store_true", help="do not sync signatures")
    p.set_defaults(func=cmd_diff)

    p = sub.add_parser("reports", help="your reports: status, outcome, threat reference")
    p.add_argument("report_id", metavar="REPORT_ID", nargs="?", help="show one report")
    p.add_argument("--status", choices=("submitted", "in_review", "verified", "rejected"))
    p.add_argument("--limit", type=int, default=50, help="reports per page (at most 200)")
    p.add_argument("--all", action="store_true", help="follow every page")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_reports)

    p = sub.add_parser("verify", help="ask the server to verify a package for a trust badge")
    _add_sources(p, local=False)
    p.add_argument("--hash", metavar="SHA256")
    p.add_argument("--callback-url", metavar="URL")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_verify)

    audit.add_parser(sub)
    firewall.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ApiError as exc:
        print(f"sigil: error: {clean(exc)}", file=sys.stderr)
        if exc.status == 403 and "expired" in exc.detail.lower():
            print("sigil: run `sigil login` again", file=sys.stderr)
        elif exc.status == 401 and args.command not in ("login", "register"):
            print(f"sigil: the server did not accept your token: run `sigil login` (server {clean(api_url())})",
                  file=sys.stderr)
        return EXIT_ERROR
    except CliError as exc:
        print(f"sigil: error: {clean(exc)}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("sigil: interrupted", file=sys.stderr)
        return EXIT_ERROR
    except OSError as exc:
        print(f"sigil: error: {clean(exc)}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
