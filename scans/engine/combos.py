"""Combinations: behaviours that are ordinary alone and suspicious together in one file.

The table COMBOS is the whole logic: each row says which hits must co-occur in one file (by
capability tag, phase and severity, never by signature id), which hit the finding points at, and
what it is worth (scoring.py). A signature takes part through its tags (tags.py), so an analyst's
new signature with tag "exec" joins every combination that needs "exec".

Only shipped code combines: hits in tests, docs, development tooling and prose (comments,
docstrings) are left out, and combination points shrink in big files (scoring.size_damping).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Callable, Iterator

import re2

from domain.scoring import SEVERITY_RANK

from . import scoring as W
from .files import MAX_SCAN_BYTES, QUIET_REASONS, FileInfo
from .hits import RawHit



@dataclass(frozen=True)
class Sel:
    """Which hits of a file a condition looks at: all given constraints must hold."""

    tags: frozenset[str] = frozenset()  # carries any of these (empty: any hit)
    phases: tuple[int, ...] = ()  # in one of these phases (empty: any phase)
    severity: str = "low"  # at least this severe
    unless: frozenset[str] = frozenset()  # carries none of these tags
    signatures_only: bool = False  # a signature's match, not an engine check

    def __call__(self, h: RawHit) -> bool:
        return ((not self.tags or bool(self.tags & h.tags)) and (not self.phases or h.phase in self.phases)
                and SEVERITY_RANK[h.severity] >= SEVERITY_RANK[self.severity]
                and not (self.unless & h.tags) and (h.is_signature or not self.signatures_only))


def tag(*names: str, phase: tuple[int, ...] = (), severity: str = "low") -> Sel:
    return Sel(tags=frozenset(names), phases=phase, severity=severity)


def phase(*numbers: int, severity: str = "low", unless: tuple[str, ...] = (), signatures_only: bool = False) -> Sel:
    return Sel(phases=numbers, severity=severity, unless=frozenset(unless), signatures_only=signatures_only)


# Conditions over one file's hits: callables (hits, file) -> bool, built from these.
Cond = Callable[[list[RawHit], FileInfo], bool]


@dataclass(frozen=True)
class Has:
    sel: Sel
    distinct: int = 1  # at least this many different rules among the selected hits

    def __call__(self, hits: list[RawHit], info: FileInfo) -> bool:
        if self.distinct == 1:
            return any(self.sel(h) for h in hits)
        return len({h.rule_id for h in hits if self.sel(h)}) >= self.distinct


@dataclass(frozen=True)
class AllOf:
    conds: tuple

    def __call__(self, hits, info) -> bool:
        return all(c(hits, info) for c in self.conds)


@dataclass(frozen=True)
class AnyOf:
    conds: tuple

    def __call__(self, hits, info) -> bool:
        return any(c(hits, info) for c in self.conds)


def all_of(*conds) -> AllOf:
    return AllOf(conds)


def any_of(*conds) -> AnyOf:
    return AnyOf(conds)


@dataclass(frozen=True)
class FileIs:
    """A condition on the file itself (see the predicates below)."""

    test: Callable[[FileInfo], bool]

    def __call__(self, hits, info) -> bool:
        return self.test(info)


def _shipped(info: FileInfo) -> bool:
    """Full-weight code: not minified, vendored, native source or otherwise discounted."""
    return info.mult >= 1.0


def _packed(info: FileInfo) -> bool:
    """A packed module: a big file on a handful of lines (a packer's blob), one statement, not a library."""
    return (info.lang == "python" and info.size >= W.HOOKED_IMPORT_MAX_BYTES
            and info.data.count(b"\n") <= W.PACKED_MAX_LINES)


def _hooked(info: FileInfo) -> bool:
    """Runs without being called: install-time code, or a small (or packed) top-level __init__/__main__."""
    return info.install_time or (info.reason == "import-time code"
                                 and (info.size < W.HOOKED_IMPORT_MAX_BYTES or _packed(info)))


def _hooked_not_installer(info: FileInfo) -> bool:
    return _hooked(info) and not info.installer


def _import_time(info: FileInfo) -> bool:
    """A distribution's top-level __init__/__main__ (files.py), small or packed."""
    return info.reason == "import-time code" and (info.size < W.HOOKED_IMPORT_MAX_BYTES or _packed(info))


def _setup_py(info: FileInfo) -> bool:
    return info.base == "setup.py"


def _small_not_setup(info: FileInfo) -> bool:
    return info.size <= W.REMOTE_CODE_MAX_BYTES and info.base != "setup.py" and not info.is_minified_bundle


def _beacon_sized(info: FileInfo) -> bool:
    return not info.is_minified_bundle and info.size <= W.BEACON_MAX_BYTES


_HOST_ID = re2.compile(r"getpass\.getuser\(\)|socket\.gethostname\(\)|socket\.getfqdn\b|platform\.node\(\)|os\.getlogin\(\)"
                       r"|os\.getcwd\b|os\.userInfo\(\)|os\.hostname\(\)|os\.uname\(\)|process\.cwd\(\)"
                       r"|expanduser\(\s*['\"]~['\"]\s*\)|os\.homedir\(\)|uuid\.getnode\(\)|\.getsockname\(\)\[0\]"
                       r"|platform\.platform\(\)|api\.ipify\.org|ipinfo\.io|ifconfig\.me|ip-api\.com|icanhazip\.com")


@dataclass(frozen=True)
class HostIds:
    """The file names between least and most different host identifiers (user, host name, paths, IP)."""

    least: int
    most: int = 1 << 30

    def __call__(self, hits, info) -> bool:
        found = {m.group(0) for m in _HOST_ID.finditer(info.data[:MAX_SCAN_BYTES])}
        return self.least <= len(found) <= self.most


SHIPPED, HOOKED, SETUP_PY = FileIs(_shipped), FileIs(_hooked), FileIs(_setup_py)
HOOKED_NOT_INSTALLER, BEACON_SIZED = FileIs(_hooked_not_installer), FileIs(_beacon_sized)
SMALL_NOT_SETUP = FileIs(_small_not_setup)


@dataclass(frozen=True)
class Combo:
    id: str
    title: str
    phase: int
    severity: str
    points: float  # times the file's multiplier and size damping
    when: Cond
    anchor: Sel  # the finding points at the first (lowest line) hit this selects
    boost_when: Cond | None = None  # then points * STRONG_COMBO_BOOST
    # A multi-step behaviour no library needs (staged payload, reverse shell, clipper...): it keeps its
    # weight in a vendored file the package does not import (a vendored folder is no hiding place).
    strong: bool = False


def _phase_pair(strong: int, weak: int) -> tuple[Cond, Cond]:
    """strong is medium or worse (host identity, a library's own token or copying the environment for a
    child process do not count alone); weak is any finding, and
    needs to be medium or worse itself outside full-weight code. Boosted when strong is high+."""
    serious = {"severity": "medium", "unless": ("host-id", "secret-name", "env-read")}
    when = all_of(Has(phase(strong, **serious)), any_of(Has(phase(weak, **serious)), all_of(Has(phase(weak)), SHIPPED)))
    return when, Has(phase(strong, severity="high"))


_CRED_NET, _CRED_NET_BOOST = _phase_pair(4, 3)
# A tool reads its own credential file and talks to its own service with a plain HTTP client (a
# publishing tool and ~/.pypirc, an SSH client and ~/.ssh, a cloud SDK and its config): credentials
# and the network combine only when the network side is itself suspicious (a webhook, a paste or
# tunnel host, a raw IP, a bot channel, a DNS beacon).
# A plain request counts when it goes to an address written in the code (`requests.post("https://...")`):
# a tool sends to the server its configuration names.
_SENDS_TO_LITERAL = re2.compile(r"(?:\.post|\.put|urlopen|\.request|fetch)\(\s*(?:[A-Z]+['\"],\s*)?['\"`]https?://")


# ...or to a module-level name the file sets to such an address, written whole, glued from pieces or
# decoded (`URL = base64.b64decode("...")`, then `requests.post(URL, data=key)`): a stealer's way of
# keeping the address out of the call. A tool's configured base URL plus a path (`API + "/v1/keys"`,
# `self.base_url + ...`) is not this: the call sends to the bare name.
_SENDS_TO_NAME = re2.compile(rb"(?:\.post|\.put|urlopen|\.request|\.connect|\.sendto)\(\s*\(?\s*([A-Za-z_]\w*)\s*[,)\[.]")
_NAME_SET_TO_ADDRESS = r"(?m)^{name}\s*=\s*[^\n]*(?:['\"]https?:|['\"]https?['\"]|b64decode|fromhex|unhexlify|decode\(['\"]hex)"


def _sends_to_literal(info: FileInfo) -> bool:
    text = info.data[:MAX_SCAN_BYTES]
    if _SENDS_TO_LITERAL.search(text) is not None:
        return True
    names = {m.group(1) for m in _SENDS_TO_NAME.finditer(text)} - {b"self", b"cls", b"url", b"request"}
    return any(re2.search(_NAME_SET_TO_ADDRESS.format(name=name.decode()).encode(), text) for name in sorted(names)[:20])


_SERIOUS = ("host-id", "secret-name", "env-read")
_CRED_READ = phase(4, severity="medium", unless=_SERIOUS)


_TOP_DEF = re2.compile(rb"^(?:async\s+)?(?:def\s+|function\s*\*?\s*)(\w+)")
_NOT_STATEMENT = (b"", b" ", b"\t", b"#", b"@", b"}", b")", b"]", b"/", b"*")


_PATH_CONSTANT = re2.compile(rb"^(?:(?:const|let|var)\s+)?([A-Za-z_]\w*)\s*=")
_JS_BLOCK = re2.compile(rb"^(?:if|for|while|try)\b|^;?\(\s*(?:async\s*)?(?:function\b|\()")
_READS = re2.compile(rb"\bopen\(|\.read\w*\(|listdir\(|\.glob\(|copy\w*\(|readFileSync\(")


def _top_level(line: bytes) -> bool:
    return line[:1] not in _NOT_STATEMENT and _TOP_DEF.match(line) is None and not line.startswith(b"class ")


def _runs_at_import(lines: list[bytes], index: int, python: bool) -> bool:
    """Line index is a module statement (or in a module-level block), or sits in a top-level function
    the module itself calls.
    A module constant naming the path (`PYPIRC = os.path.expanduser('~/.pypirc')`) is read at import
    only when another module statement uses it."""
    line = lines[index]
    if _top_level(line):
        constant = _PATH_CONSTANT.match(line)
        if constant is None or _READS.search(line) is not None:
            return True
        used = re2.compile(rb"\b" + constant.group(1) + rb"\b")
        return any(_top_level(ln) and used.search(ln) is not None for i, ln in enumerate(lines) if i != index)
    if line[:1] not in (b" ", b"\t"):
        return False
    for back in range(index - 1, -1, -1):
        head = lines[back]
        if head[:1] in _NOT_STATEMENT:
            continue
        found = _TOP_DEF.match(head)
        if found is None:  # a module-level if/for/try/with block (or a statement's continuation) runs on import
            if python:
                return not head.startswith(b"class ") and b"__name__" not in head
            # JavaScript: a block or an immediately invoked function, not an exported callback
            return _JS_BLOCK.match(head) is not None
        name = found.group(1)
        return any((name + b"(" in ln or b"target=" + name in ln) and _top_level(ln) for ln in lines)
    return False


@dataclass(frozen=True)
class TopLevelRead:
    """A credential read that runs when a Python module is imported (or a JavaScript file required): on an unindented line, or in a
    top-level function the module calls itself. A client reads its store when its user asks for it
    (inside a method or a function something else calls)."""

    def __call__(self, hits, info) -> bool:
        if info.lang not in ("python", "javascript"):
            return False
        reads = [h.line for h in hits if _CRED_READ(h) and h.line]
        if not reads:
            return False
        lines = info.data[:MAX_SCAN_BYTES].split(b"\n")
        python = info.lang == "python"
        return any(line <= len(lines) and _runs_at_import(lines, line - 1, python) for line in reads)


TOP_LEVEL_READ = TopLevelRead()
# Code that runs without being called (setup.py, a small top-level __init__) has no configured
# service to talk to: a credential read there and any send in the same file combine.
_CRED_NET = all_of(Has(_CRED_READ),
                   any_of(Has(phase(3, severity="medium", unless=_SERIOUS)),
                          all_of(Has(tag("send", "socket-connect")), SHIPPED,
                                 any_of(HOOKED_NOT_INSTALLER, TOP_LEVEL_READ, FileIs(_sends_to_literal)))))
# Theft at import: the read is a module statement (or sits in install/import-time code) and the same
# file sends or connects out.
_IMPORT_THEFT = all_of(Has(_CRED_READ), Has(tag("send", "socket-connect")), SHIPPED,
                       any_of(HOOKED_NOT_INSTALLER, TOP_LEVEL_READ))
_DECODE_EXEC, _DECODE_EXEC_BOOST = _phase_pair(5, 2)
_NET_EXEC, _NET_EXEC_BOOST = _phase_pair(3, 2)

COMBOS: tuple[Combo, ...] = (
    Combo("eng_combo_endpoint_send", "sends data to an exfiltration-style endpoint", 3, "high", W.COMBO_ENDPOINT_SEND,
          all_of(Has(phase(3, severity="high")), Has(phase(3), distinct=2)), phase(3, severity="high")),
    Combo("eng_combo_endpoint_secrets", "reads environment or secrets in a file that talks to an exfiltration-style endpoint",
          4, "high", W.COMBO_ENDPOINT_SECRETS,
          all_of(Has(tag("exfil-endpoint", phase=(3,), severity="high")), Has(phase(4))),
          tag("exfil-endpoint", phase=(3,), severity="high")),
    Combo("eng_combo_reverse_shell", "connects a socket and runs a shell or received commands (reverse shell)",
          3, "critical", W.COMBO_REVERSE_SHELL,
          all_of(Has(tag("socket-connect")), any_of(Has(tag("shell")), all_of(Has(tag("socket-recv")), Has(tag("exec"))))),
          tag("socket-connect"), strong=True),
    Combo("eng_combo_download_run", "downloads data and runs a file it names", 3, "high", W.COMBO_DOWNLOAD_RUN,
          all_of(Has(tag("run-dropped")), Has(tag("fetch"))), tag("fetch"), strong=True),
    # Two host identifiers and an upload, or three and any request (a GET with query parameters sends too).
    Combo("eng_combo_host_beacon", "collects host identity (user, host name, paths) and sends data", 4, "high",
          W.COMBO_HOST_BEACON_TWO, all_of(Has(tag("send")), BEACON_SIZED, HostIds(2, 2)), tag("send", "fetch")),
    Combo("eng_combo_host_beacon", "collects host identity (user, host name, paths) and sends data", 4, "high",
          W.COMBO_HOST_BEACON_MANY, all_of(Has(tag("send", "fetch")), BEACON_SIZED, HostIds(3)), tag("send", "fetch")),
    Combo("eng_combo_c2_exec", "messaging-bot channel combined with command execution", 2, "high", W.COMBO_C2_EXEC,
          all_of(Has(tag("bot-channel")), Has(tag("exec"))), tag("bot-channel"), strong=True),
    Combo("eng_combo_layered_obfuscation", "several independent obfuscation techniques in one file", 5, "high",
          W.COMBO_LAYERED_OBFUSCATION,
          all_of(Has(phase(5, severity="medium", signatures_only=True), distinct=2),
                 Has(phase(5, severity="high", signatures_only=True)), SHIPPED),
          phase(5, severity="medium", signatures_only=True)),
    Combo("eng_combo_cred_network", "reads credentials and sends data over the network", 3, "high",
          W.COMBO_CRED_NETWORK, _CRED_NET, phase(4, 3), _CRED_NET_BOOST),
    Combo("eng_combo_import_time_theft", "reads credentials when imported or installed and sends data out", 4, "high",
          W.COMBO_IMPORT_TIME_THEFT, _IMPORT_THEFT, _CRED_READ),
    # A top-level __init__ that fetches and evaluates code (the address in a constant, the reply in a
    # variable, a digest check in between or not): a configuration loader does not run at import.
    Combo("eng_combo_import_remote_code", "fetches and evaluates code when the package is imported", 2, "high",
          W.COMBO_IMPORT_REMOTE_CODE, all_of(FileIs(_import_time), Has(tag("fetch")), Has(tag("eval")), SHIPPED),
          tag("eval")),
    Combo("eng_combo_decode_exec", "decodes data and executes it", 5, "high",
          W.COMBO_DECODE_EXEC, _DECODE_EXEC, phase(5, 2), _DECODE_EXEC_BOOST),
    Combo("eng_combo_download_exec", "network access combined with code execution", 3, "high",
          W.COMBO_DOWNLOAD_EXEC, _NET_EXEC, phase(3, 2), _NET_EXEC_BOOST),
    # Install- and import-time code combines at any severity: a setup.py or __init__.py that both
    # reaches the network and runs commands (or reads secrets) is rarely innocent.
    Combo("eng_combo_hook_network_exec", "install/import-time code with network access and command execution", 3, "medium",
          W.COMBO_HOOK, all_of(HOOKED_NOT_INSTALLER, Has(phase(3)), Has(phase(2))), phase(3, 2)),
    Combo("eng_combo_hook_network_secrets", "install/import-time code with network access and environment/secret reads", 4,
          "medium", W.COMBO_HOOK, all_of(HOOKED_NOT_INSTALLER, Has(phase(3)), Has(phase(4))), phase(3, 4)),
    Combo("eng_combo_hook_decode_exec", "install/import-time code that decodes and executes", 5, "medium",
          W.COMBO_HOOK, all_of(HOOKED_NOT_INSTALLER, Has(phase(5)), Has(phase(2))), phase(5, 2)),
    Combo("eng_combo_hook_hidden_exec", "install/import-time code starting a hidden or detached process", 2, "high",
          W.COMBO_HOOK_HIDDEN_EXEC, all_of(HOOKED, Has(tag("hidden-process")), Has(tag("exec"))), tag("hidden-process")),
    # Staged payloads: each step is weak alone (a request, a base64 call, an exec).
    Combo("eng_combo_staged_payload", "fetches data, decodes it and runs it as code (staged payload)", 2, "high",
          W.COMBO_STAGED_PAYLOAD, all_of(Has(tag("fetch")), Has(tag("decode")), Has(tag("eval")), SHIPPED), tag("fetch"), strong=True),
    # Remote code: a small shipped module that fetches and compiles code in a way no configuration
    # loader does (a module compiled from a string, code built by computed names), not a plain exec()
    # that also reads version files. setup.py is left to the hook rows.
    Combo("eng_combo_remote_code", "downloads code and evaluates it in a small module", 2, "high", W.COMBO_REMOTE_CODE,
          all_of(Has(tag("fetch")), Has(tag("eval", severity="medium")), SHIPPED, SMALL_NOT_SETUP),
          tag("eval", severity="medium")),
    # Obfuscated or decoded code that is evaluated: decoding loops, computed builtins, exec aliases,
    # split tokens, exotic decoder chains, decryption feeding eval or module._compile.
    Combo("eng_combo_hidden_code_run", "obfuscated or decoded code run as code", 5, "high", W.COMBO_HIDDEN_CODE_RUN,
          all_of(Has(Sel(tags=frozenset({"obfuscation", "decode"}), severity="medium")), Has(tag("eval")), SHIPPED,
                 BEACON_SIZED),
          Sel(tags=frozenset({"obfuscation", "decode"}), severity="medium"), strong=True),
    # Packed or obfuscated code that runs without being called (pyarmor-style packers in __init__).
    Combo("eng_combo_hook_obfuscated", "install/import-time code that is packed or obfuscated", 5, "high",
          W.COMBO_HOOK_OBFUSCATED, all_of(HOOKED_NOT_INSTALLER, Has(tag("obfuscation", severity="medium"))),
          tag("obfuscation", severity="medium")),
    Combo("eng_combo_browser_tamper", "rewrites a browser's shortcuts, preferences or extension folders", 2, "high",
          W.COMBO_BROWSER_TAMPER,
          all_of(Has(tag("browser-tamper")), any_of(HOOKED, Has(tag("browser-tamper"), distinct=2),
                                                   Has(tag("exec", "fetch", "send", "persist", "hidden-process",
                                                           "browser-store", "secret-read")))),
          tag("browser-tamper")),
    # Stealers drop what they collect on a bare-IP server: a file upload and a literal public IP URL.
    Combo("eng_combo_upload_raw_ip", "uploads files to a server named by a literal IP address", 3, "high",
          W.COMBO_UPLOAD_RAW_IP, all_of(Has(tag("upload")), Has(tag("raw-ip")), SHIPPED), tag("raw-ip"), strong=True),
    # Backdoors and proxyware: code that installs itself to run again (autorun key, launch agent,
    # user service) and, in the same file, connects out or sends data.
    Combo("eng_combo_persist_network", "installs itself to run again and connects to a server", 2, "high",
          W.COMBO_PERSIST_NETWORK,
          all_of(Has(tag("persist")), Has(tag("socket-connect", "fetch", "send")), SHIPPED, BEACON_SIZED),
          tag("persist"), strong=True),
    Combo("eng_combo_clipper", "replaces network or wallet functions and matches cryptocurrency addresses (clipper)", 2,
          "high", W.COMBO_CLIPPER, all_of(Has(tag("net-hook")), Has(tag("wallet"))), tag("net-hook"), strong=True),
    Combo("eng_combo_clipboard_clipper", "watches the clipboard and matches cryptocurrency addresses (clipper)", 4,
          "high", W.COMBO_CLIPPER, all_of(Has(tag("clipboard")), Has(tag("wallet")), SHIPPED), tag("clipboard"), strong=True),
    Combo("eng_combo_install_hook_behaviour", "custom install command in a file that also runs, fetches, reads or decodes",
          1, "high", W.COMBO_INSTALL_HOOK_BEHAVIOUR,
          all_of(HOOKED, SETUP_PY, Has(phase(1, severity="medium")), Has(Sel(phases=(2, 3, 4, 5), unless=frozenset({"env-read"})))),
          phase(1, severity="medium")),
)


def _walk(node) -> Iterator[object]:
    yield node
    for child in getattr(node, "conds", ()):
        yield from _walk(child)
    if isinstance(node, Has):
        yield node.sel


def combo_tags(combos: tuple[Combo, ...] = COMBOS) -> set[str]:
    """Every tag a combination needs (a tag no active signature carries makes its rows dead)."""
    found: set[str] = set()
    for combo in combos:
        for node in (*_walk(combo.when), combo.anchor, *(_walk(combo.boost_when) if combo.boost_when else ())):
            if isinstance(node, Sel):
                found |= node.tags | node.unless
    return found


def _combinable(h: RawHit) -> bool:
    """Co-occurrence means something in shipped code, not in tests, docs or prose."""
    return (not h.rule_id.startswith("eng_combo") and bool(h.file.role) and not h.inert
            and h.file.reason not in QUIET_REASONS)


def combine(hits: list[RawHit]) -> list[RawHit]:
    """The combination findings of every file's hits."""
    by_file: dict[str, list[RawHit]] = defaultdict(list)
    for h in hits:
        if _combinable(h):
            by_file[h.file.path].append(h)
    out: list[RawHit] = []
    for group in by_file.values():
        info = group[0].file
        damp = 1.0 if _packed(info) else W.size_damping(info.size)
        # A vendored file nothing of the package imports is judged as shipped code for the strong rows
        # only, at VENDORED_STRONG_COMBO_MULT; its other rows keep the vendored weight.
        vendored = info.reason == "vendored"
        shipped_view = replace(info, mult=1.0, reason="") if vendored else info
        for combo in COMBOS:
            strong_here = vendored and combo.strong and combo.when(group, shipped_view)
            if not strong_here and not combo.when(group, info):
                continue
            first = min((h for h in group if combo.anchor(h)), key=lambda h: h.line or 1 << 30)
            pts = combo.points
            if combo.boost_when is not None and combo.boost_when(group, info):
                pts *= W.STRONG_COMBO_BOOST
            mult = W.VENDORED_STRONG_COMBO_MULT if strong_here else info.mult
            out.append(RawHit(combo.id, combo.phase, combo.severity, info, first.line, first.excerpt,
                              pts * mult * damp, combo.title, uncapped=strong_here))
    return out
