"""Terminal output: sanitising hostile text, colour, progress, the scan report and SARIF."""

from __future__ import annotations

import os
import re
import sys
import threading
import time
from urllib.parse import quote

from cli import __version__
from domain.scoring import BLOCKING_VERDICTS

# Everything printed from a package or a server (file names, excerpts, messages) is hostile:
# control characters could rewrite the terminal, so they are shown escaped.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def clean(value: object, limit: int = 500) -> str:
    text = "" if value is None else str(value)
    text = _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text.replace("\n", " ").replace("\t", " "))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def use_colour(stream=None) -> bool:
    stream = stream or sys.stdout
    return "NO_COLOR" not in os.environ and hasattr(stream, "isatty") and stream.isatty()


class Style:
    CODES = {"bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33", "blue": "34",
             "magenta": "35", "cyan": "36", "bred": "1;31"}

    def __init__(self, enabled: bool):
        self.enabled = enabled

    def __call__(self, text: str, *styles: str) -> str:
        if not self.enabled or not styles:
            return text
        codes = ";".join(self.CODES[s] for s in styles)
        return f"\x1b[{codes}m{text}\x1b[0m"


VERDICT_STYLE = {"clean": ("green",), "low": ("green",), "medium": ("yellow", "bold"),
                 "high": ("red", "bold"), "critical": ("bred",)}


def _human_bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


class Progress:
    """A download progress bar on stderr, drawn only when stderr is a terminal."""

    def __init__(self, label: str, total: int | None):
        self.label = clean(label, 40)
        self.total = total
        self.enabled = sys.stderr.isatty()
        self._last = 0.0

    def __enter__(self):
        return self

    def update(self, done: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < 0.1 and done != self.total:
            return
        self._last = now
        if self.total:
            frac = min(done / self.total, 1.0)
            bar = "#" * int(frac * 30)
            line = f"\r{self.label} [{bar:<30}] {frac * 100:5.1f}% {_human_bytes(done)}"
        else:
            line = f"\r{self.label} {_human_bytes(done)}"
        sys.stderr.write(line)
        sys.stderr.flush()

    def __exit__(self, *exc):
        if self.enabled:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
        return False


class Spinner:
    """An elapsed-time indicator on stderr for long steps (scanning, cloning), terminal only."""

    def __init__(self, label: str):
        self.label = label
        self.enabled = sys.stderr.isatty()
        self._stop = threading.Event()
        self._thread = None

    def _run(self):
        start = time.monotonic()
        frames = "|/-\\"
        i = 0
        while not self._stop.wait(0.15):
            sys.stderr.write(f"\r{frames[i % 4]} {self.label} {time.monotonic() - start:5.1f}s")
            sys.stderr.flush()
            i += 1

    def __enter__(self):
        if self.enabled:
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc):
        if self._thread:
            self._stop.set()
            self._thread.join()
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
        return False


def render_report(result, *, quarantine_id: str, source_type: str, source_ref: str, rules_note: str,
                  quarantine_path: str, notes: list[str], colour: bool) -> str:
    s = Style(colour)
    out = []
    out.append(s("sigil scan", "bold") + f"  {source_type} {clean(source_ref, 200)}")
    out.append(f"quarantine id  {quarantine_id}")
    out.append(f"signatures     {rules_note}")
    for note in notes:
        out.append(f"fetched        {clean(note, 200)}")
    fs = result.file_stats or {}
    out.append(f"files          {fs.get('total_files', 0)} ({fs.get('python', 0)} python, "
               f"{fs.get('javascript', 0)} javascript, {fs.get('other', 0)} other), "
               f"{_human_bytes(int(fs.get('total_size_bytes', 0) or 0))}")
    out.append(f"source hash    {result.source_hash}")
    out.append("")
    by_phase: dict[int, list] = {}
    for f in result.findings:
        by_phase.setdefault(f.phase, []).append(f)
    for phase in result.phases:
        mark = s("ok", "green") if phase.score == 0 else s(f"+{phase.score}", "yellow" if phase.score < 10 else "red", "bold")
        out.append(f"Phase {phase.phase}  {phase.name:<14} {mark}")
        findings = sorted(by_phase.get(phase.phase, []), key=lambda f: (-f.points, f.file, f.line))
        for f in findings:
            where = f"{clean(f.file, 200)}:{f.line}" if f.line else clean(f.file, 200)
            # The finding's title, with its rule id beside it (the same line --json and SARIF carry).
            out.append(f"    {s('!', 'red' if f.points >= 10 else 'yellow')} {s(where, 'cyan')}  "
                       f"{clean(f.title, 200)}  [{clean(f.rule_id, 60)}, +{f.points}]")
            if f.excerpt:
                out.append("        " + s(clean(f.excerpt, 160), "dim"))
        if not findings and phase.findings:  # phase strings without structured findings
            for text in phase.findings:
                out.append(f"    ! {clean(text, 300)}")
    out.append("")
    verdict = result.verdict
    out.append(f"Score {result.score}   Verdict " + s(verdict.upper(), *VERDICT_STYLE.get(verdict, ())))
    out.append("")
    out.append(f"Quarantined in {quarantine_path}")
    if verdict in BLOCKING_VERDICTS:
        out.append(s(f"Do not install. Remove it with: sigil reject {quarantine_id}", "red"))
    else:
        out.append(f"Keep it: sigil approve {quarantine_id} DEST    Discard it: sigil reject {quarantine_id}")
    return "\n".join(out)


SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def sarif_level(points: int, severity: str | None = None) -> str:
    if severity in ("high", "critical"):
        return "error"
    if severity == "medium":
        return "warning"
    if severity == "low":
        return "note"
    return "error" if points >= 10 else "warning" if points >= 3 else "note"


def to_sarif(result, *, rules_by_id: dict, source_ref: str, uri_prefix: str = "") -> dict:
    """SARIF 2.1.0 for code-scanning tools, one result per structured finding."""
    rule_ids = sorted({f.rule_id for f in result.findings})
    rules = []
    for rid in rule_ids:
        rule = rules_by_id.get(rid)
        phase_name = next((f"phase {f.phase}" for f in result.findings if f.rule_id == rid), "")
        desc = rule.title if rule else next(f.title for f in result.findings if f.rule_id == rid)
        entry = {
            "id": rid,
            "name": rule.name if rule else rid,
            "shortDescription": {"text": desc},
            "properties": {"phase": phase_name},
        }
        if rule:
            entry["properties"]["severity"] = rule.severity
            entry["defaultConfiguration"] = {"level": sarif_level(rule.weight, rule.severity)}
        rules.append(entry)
    index = {rid: i for i, rid in enumerate(rule_ids)}
    results = []
    for f in result.findings:
        rule = rules_by_id.get(f.rule_id)
        location = {"physicalLocation": {"artifactLocation": {"uri": uri_prefix + quote(f.file, safe="/")}}}
        location["physicalLocation"]["region"] = {"startLine": max(int(f.line or 1), 1)}
        if f.excerpt:
            location["physicalLocation"]["region"]["snippet"] = {"text": f.excerpt}
        results.append({
            "ruleId": f.rule_id,
            "ruleIndex": index[f.rule_id],
            "level": sarif_level(f.points, rule.severity if rule else None),
            "message": {"text": f"{f.title} [{f.rule_id}]"},
            "locations": [location],
            "properties": {"phase": f.phase, "points": f.points},
        })
    return {
        "version": "2.1.0",
        "$schema": SARIF_SCHEMA,
        "runs": [{
            "tool": {"driver": {"name": "sigil", "version": __version__,
                                "informationUri": "https://sigilsec.ai", "rules": rules}},
            "results": results,
            "properties": {"score": result.score, "verdict": result.verdict,
                           "sourceHash": result.source_hash, "sourceRef": source_ref},
        }],
    }
