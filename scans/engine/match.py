"""The signature pass: one RE2 pass per file, then locate each matching rule, skipping prose."""

from __future__ import annotations

import bisect
import fnmatch
import re

from . import scoring as W
from .files import FileInfo
from .hits import RawHit
from .rules import CompiledRules, Rule

MAX_EXCERPT = 160

_PY_LINE_COMMENT = re.compile(rb"(?m)^[ \t]*#[^\n]*")
_JS_LINE_COMMENT = re.compile(rb"(?m)^[ \t]*(?://|/\*|\*)[^\n]*")
_CONFIG_LINE_COMMENT = re.compile(rb"(?m)^[ \t]*[#;][^\n]*")
# package.json fields that describe the package (its README, keywords, links): prose, not scripts.
_PACKAGE_JSON_PROSE = re.compile(rb'"(?:description|keywords|homepage|bugs|repository|author|contributors|license'
                                 rb'|funding|readme)"\s*:\s*(?:\[[^\]]*\]|\{[^}]*\}|"(?:[^"\\\n]|\\.)*")')
_PY_TRIPLE = re.compile(rb'"""|\'\'\'')
# A triple-quoted string right after one of these continues an expression (exec(, x =, a list): data.
_EXPRESSION_CONTINUES = (b"(", b"=", b",", b"[", b"+", b"{", b"%", b"*")
# How many later matches to try when the first one is in a comment.
MAX_PROSE_SKIPS = 20


def rule_applies(rule: Rule, info: FileInfo) -> bool:
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


def excerpt_at(data: bytes, start: int, end: int) -> tuple[int, str]:
    """(line number, printable excerpt of at most MAX_EXCERPT characters) around data[start:end]."""
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


def line_of(data: bytes, needle: bytes) -> int:
    pos = data.find(needle)
    return data.count(b"\n", 0, pos) + 1 if pos >= 0 else 0


def quiet_spans(info: FileInfo, data: bytes) -> list[tuple[int, int]]:
    """Byte spans of full-line comments and docstrings (Python) or comment lines (JavaScript)."""
    if info.lang == "python":
        spans = [(m.start(), m.end()) for m in _PY_LINE_COMMENT.finditer(data)]
        pos = 0
        while True:
            # Every triple quote opens a string (mid-line ones too: `x = """`), so a closing quote is
            # never mistaken for the opening of a docstring that runs to the end of the file.
            m = _PY_TRIPLE.search(data, pos)
            if m is None:
                break
            line_start = data.rfind(b"\n", 0, m.start()) + 1
            head = data[line_start:m.start()].strip(b" \t")
            if b"#" in head:  # in a comment
                pos = m.end()
                continue
            close = data.find(m.group(0), m.end())
            while close > 0 and data[close - 1:close] == b"\\":  # an escaped \""" inside does not end it
                close = data.find(m.group(0), close + 1)
            end = len(data) if close < 0 else close + 3
            before = data[:line_start].rstrip()[-1:]
            if not head.strip(b"rRuUbB") and before not in _EXPRESSION_CONTINUES:
                spans.append((m.start(), end))  # a string statement at the start of a line: a docstring
            pos = end
        return _merged(spans)
    if info.lang == "javascript":
        return [(m.start(), m.end()) for m in _JS_LINE_COMMENT.finditer(data)]
    if info.base == "package.json":
        return [(m.start(), m.end()) for m in _PACKAGE_JSON_PROSE.finditer(data)]
    if info.lang == "config":  # pyproject.toml, setup.cfg, INI: a comment is prose ("curl ... | sh" to install)
        return [(m.start(), m.end()) for m in _CONFIG_LINE_COMMENT.finditer(data)]
    return []


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, non-overlapping spans ("# code" lines inside a docstring must not hide the docstring)."""
    out: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def _in_spans(spans: list[tuple[int, int]], pos: int) -> bool:
    i = bisect.bisect_right(spans, (pos, 1 << 62)) - 1
    return i >= 0 and spans[i][0] <= pos < spans[i][1]


def match_rules(compiled: CompiledRules, info: FileInfo, data: bytes, *, mult: float, label: str = "",
                line_offset: int = 0) -> list[RawHit]:
    """Hits of every rule that matches data (a file's bytes, or a decoded payload when label is set)."""
    hits: list[RawHit] = []
    spans: list[tuple[int, int]] | None = None
    for idx in compiled.match(data):
        rule = compiled.rules[idx]
        if not rule_applies(rule, info):
            continue
        regex = compiled.regexes[idx]
        m = regex.search(data)
        if m is None:
            continue
        prose = False
        if not label:
            if spans is None:
                spans = quiet_spans(info, data)
            if spans and _in_spans(spans, m.start()):
                prose = True
                for k, other in enumerate(regex.finditer(data, m.end())):
                    if k >= MAX_PROSE_SKIPS:
                        break
                    if not _in_spans(spans, other.start()):
                        m, prose = other, False
                        break
        line, excerpt = excerpt_at(data, m.start(), m.end())
        eff = mult * (W.COMMENT_FACTOR if prose else 1.0)
        if mult < 1.0 and rule.severity in ("high", "critical") and info.reason == "minified":
            eff = 1.0  # minifying does not make a decrypt-and-run loader any safer
        hits.append(RawHit(rule.id, rule.phase, rule.severity, info, line if not label else line_offset, excerpt,
                           rule.weight * eff, rule.title, label, prose, rule.tags))
    return hits
