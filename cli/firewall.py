"""`sigil firewall token|setup` and `sigil pip|npm install`: installs through the Sigil package proxy.

`sigil pip install ...` and `sigil npm install ...` run the real pip or npm with the proxy set for
that run only (environment variables and a temporary npm userconfig; the user's own config files
are never edited), so every transitive dependency passes the firewall. What Sigil blocked is printed
at the end; the exit code is 2 when the install failed on a block, else the tool's own.
Exit codes elsewhere: 0 ok, 3 error.
"""
from __future__ import annotations

import configparser
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from urllib.parse import quote, urlsplit

from cli.api import Api
from cli.config import CliError, api_url, home, read_json, write_private_json
from cli.output import clean

EXIT_OK, EXIT_BLOCK, EXIT_ERROR = 0, 2, 3
TOKEN_FILE = "install-token.json"
BLOCK_LINE = re.compile(r"(Blocked by Sigil:[^\n]*?)(?: for url:|\s*$|\"|')", re.MULTILINE)


def out(text: str = "") -> None:
    print(text, flush=True)


# ---- tokens ----------------------------------------------------------------------------------

def _saved_token(base: str) -> str | None:
    data = read_json(home() / TOKEN_FILE)
    if data and data.get("api_url") == base and isinstance(data.get("token"), str):
        return data["token"]
    return None


def _save_token(base: str, token: str, token_id: str) -> Path:
    path = home() / TOKEN_FILE
    write_private_json(path, {"api_url": base, "token": token, "id": token_id})
    return path


def install_token(api: Api) -> str:
    """SIGIL_INSTALL_TOKEN, else the saved one for this server, else a new one (saved, 0600)."""
    if os.environ.get("SIGIL_INSTALL_TOKEN"):
        return os.environ["SIGIL_INSTALL_TOKEN"]
    saved = _saved_token(api.base)
    if saved:
        return saved
    api.require_login()
    created = api.request("POST", "/v1/install-tokens", json={"name": "sigil-cli"})
    _save_token(api.base, created["token"], created["id"])
    return created["token"]


def cmd_token_create(args) -> int:
    api = Api()
    api.require_login()
    created = api.request("POST", "/v1/install-tokens", json={"name": args.name or ""})
    out(f"Install token {created['id']} created. It is shown once; keep it secret:")
    out(created["token"])
    if args.save:
        out(f"Saved to {_save_token(api.base, created['token'], created['id'])} for `sigil pip|npm install`.")
    return EXIT_OK


def cmd_token_list(args) -> int:
    api = Api()
    api.require_login()
    tokens = api.request("GET", "/v1/install-tokens")["tokens"]
    if not tokens:
        out("No install tokens.")
    for token in tokens:
        state = f"revoked {token['revoked_at']}" if token["revoked_at"] else "active"
        used = token["last_used_at"] or "never used"
        out(f"{token['id']}  {clean(token['hint'])}…  {clean(token['name']) or '-'}  {state}  {used}")
    return EXIT_OK


def cmd_token_revoke(args) -> int:
    api = Api()
    api.require_login()
    api.request("DELETE", f"/v1/install-tokens/{quote(args.id, safe='')}")
    saved = read_json(home() / TOKEN_FILE)
    if saved and saved.get("id") == args.id:
        (home() / TOKEN_FILE).unlink(missing_ok=True)
    out(f"Install token {args.id} revoked.")
    return EXIT_OK


# ---- configuration ---------------------------------------------------------------------------

def proxy_urls(base: str, token: str) -> dict[str, str]:
    parts = urlsplit(base)
    netloc_path = parts.netloc + parts.path.rstrip("/")
    return {
        "simple": f"{parts.scheme}://__token__:{token}@{netloc_path}/simple/",
        "simple_plain": f"{parts.scheme}://{netloc_path}/simple/",
        "npm": f"{parts.scheme}://{netloc_path}/npm/",
        "npm_auth_key": f"//{netloc_path}/npm/:_authToken",
    }


def setup_text(tool: str, base: str, token: str) -> tuple[str, Path | None]:
    """The configuration for `tool` and the user-level file it belongs in (None: commands to run)."""
    urls = proxy_urls(base, token)
    config = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    if tool == "pip":
        return f"[global]\nindex-url = {urls['simple']}\n", config / "pip" / "pip.conf"
    if tool == "npm":
        return f"registry={urls['npm']}\n{urls['npm_auth_key']}={token}\n", Path.home() / ".npmrc"
    if tool == "uv":
        return (f'[[index]]\nname = "sigil"\nurl = "{urls["simple"]}"\ndefault = true\n',
                config / "uv" / "uv.toml")
    return (f"poetry source add --priority=primary sigil {urls['simple_plain']}\n"
            f"poetry config http-basic.sigil __token__ {token}\n", None)


def _write_setup(tool: str, text: str, path: Path, urls: dict, token: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if tool == "pip":
        parser = configparser.RawConfigParser()
        parser.read(path)
        if not parser.has_section("global"):
            parser.add_section("global")
        parser.set("global", "index-url", urls["simple"])
        for key in ("extra-index-url", "find-links"):  # other sources would bypass the firewall
            parser.remove_option("global", key)
        with open(path, "w") as fh:
            parser.write(fh)
    elif tool == "npm":
        keep = [line for line in (path.read_text().splitlines() if path.exists() else [])
                if not line.startswith(("registry=", urls["npm_auth_key"]))]
        path.write_text("\n".join([*keep, text.rstrip("\n")]) + "\n")
    else:
        existing = path.read_text() if path.exists() else ""
        if 'name = "sigil"' in existing:
            raise CliError(f"{path} already has a sigil index; edit it by hand")
        path.write_text(existing + ("\n" if existing else "") + text)
    os.chmod(path, 0o600)


PIP_CONFIG_LINE = re.compile(r"^(?P<name>[^=\s]*\.(?P<key>[a-z-]+))='?(?P<value>.*?)'?$")


def other_pip_sources(index_url: str) -> list[str]:
    """Package sources pip would use besides `index_url` (`pip config list`: a global or site
    pip.conf, PIP_* variables). pip merges them, so what comes from them bypasses the firewall."""
    python = shutil.which("python3") or sys.executable
    try:
        listed = subprocess.run([python, "-m", "pip", "config", "list"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return []  # no pip to ask: nothing to warn about
    found = []
    for line in listed.stdout.splitlines():
        match = PIP_CONFIG_LINE.match(line.strip())
        if match is None or not match["value"].strip():
            continue
        if match["key"] in ("extra-index-url", "find-links") or (
                match["key"] == "index-url" and match["value"].strip() != index_url):
            found.append(f"{match['name']}={match['value']}")
    return found


def cmd_setup(args) -> int:
    api = Api()
    token = install_token(api)
    text, path = setup_text(args.tool, api.base, token)
    if not args.write:
        out(f"# {path}" if path else "# run:")
        out(text.rstrip("\n"))
    elif path is None:
        raise CliError("poetry keeps sources per project: run the two commands `sigil firewall setup poetry` prints")
    else:
        _write_setup(args.tool, text, path, proxy_urls(api.base, token), token)
        out(f"Wrote {path}: {args.tool} now installs through {api.base} (Sigil firewall).")
    if args.tool == "pip":
        for source in other_pip_sources(proxy_urls(api.base, token)["simple"]):
            out(f"warning: pip also reads {clean(source)} (a global or site pip.conf, or a PIP_* variable); "
                "packages from there bypass the Sigil firewall: remove it")
    return EXIT_OK


# ---- sigil pip / npm install -----------------------------------------------------------------

def _run_teed(command: list[str], env: dict) -> tuple[int, str]:
    """Run the tool with its output shown live and kept, to find Sigil's blocks in it."""
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            errors="replace")
    seen: list[str] = []

    def pump():
        for line in proc.stdout:
            seen.append(line)
            sys.stdout.write(line)
            sys.stdout.flush()

    thread = threading.Thread(target=pump, daemon=True)
    thread.start()
    code = proc.wait()
    thread.join(5)
    return code, "".join(seen)


def _report(code: int, output: str) -> int:
    blocks = list(dict.fromkeys(m.group(1).strip() for m in BLOCK_LINE.finditer(output)))
    if blocks:
        out("")
        out("sigil: the firewall blocked:")
        for block in blocks:
            out(f"  - {clean(block)}")
    if code != 0 and blocks:
        out("sigil: the install was refused because of a block (exit 2)")
        return EXIT_BLOCK
    return code


def cmd_pip(args) -> int:
    if not args.pip_args:
        raise CliError("usage: sigil pip install PACKAGE ...")
    api = Api()
    token = install_token(api)
    env = {**os.environ, "PIP_INDEX_URL": proxy_urls(api.base, token)["simple"], "PIP_EXTRA_INDEX_URL": "",
           "PIP_FIND_LINKS": "", "PIP_NO_INPUT": "1"}
    python = args.python or shutil.which("python3") or sys.executable
    return _report(*_run_teed([python, "-m", "pip", *args.pip_args], env))


def cmd_npm(args) -> int:
    if not args.npm_args:
        raise CliError("usage: sigil npm install PACKAGE ...")
    npm = shutil.which("npm")
    if npm is None:
        raise CliError("npm is not installed")
    api = Api()
    token = install_token(api)
    urls = proxy_urls(api.base, token)
    with tempfile.TemporaryDirectory(prefix="sigil-npm-") as tmp:
        userconfig = Path(tmp) / "npmrc"
        fd = os.open(userconfig, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(f"registry={urls['npm']}\n{urls['npm_auth_key']}={token}\n")
        # The environment outranks project and user .npmrc files, so no other registry is used.
        env = {**os.environ, "npm_config_registry": urls["npm"], "npm_config_userconfig": str(userconfig)}
        return _report(*_run_teed([npm, *args.npm_args], env))


def add_parser(sub) -> None:
    p = sub.add_parser("firewall", help="install tokens and package manager setup for the Sigil package proxy")
    fsub = p.add_subparsers(dest="firewall_command", metavar="ACTION", parser_class=type(p))
    fsub.required = True
    t = fsub.add_parser("token", help="install tokens: create, list, revoke")
    tsub = t.add_subparsers(dest="token_command", metavar="ACTION", parser_class=type(p))
    tsub.required = True
    c = tsub.add_parser("create", help="create a long-lived install token (shown once)")
    c.add_argument("--name", help="a label, e.g. laptop or ci")
    c.add_argument("--save", action="store_true", help="keep it in $SIGIL_HOME for sigil pip|npm install")
    c.set_defaults(func=cmd_token_create)
    tsub.add_parser("list", help="your install tokens").set_defaults(func=cmd_token_list)
    r = tsub.add_parser("revoke", help="revoke an install token")
    r.add_argument("id", metavar="ID")
    r.set_defaults(func=cmd_token_revoke)
    s = fsub.add_parser("setup", help="print (or --write) the configuration for permanent use")
    s.add_argument("tool", choices=("pip", "npm", "uv", "poetry"))
    s.add_argument("--write", action="store_true", help="write it to the tool's user configuration file")
    s.set_defaults(func=cmd_setup)

    p = sub.add_parser("pip", help="run pip through the Sigil firewall (exit 2 when a block refused the install)")
    p.add_argument("--python", help="the interpreter whose pip to run (default: python3 on PATH)")
    p.add_argument("pip_args", nargs="...", metavar="PIP_ARGS")
    p.set_defaults(func=cmd_pip)
    p = sub.add_parser("npm", help="run npm through the Sigil firewall (exit 2 when a block refused the install)")
    p.add_argument("npm_args", nargs="...", metavar="NPM_ARGS")
    p.set_defaults(func=cmd_npm)
