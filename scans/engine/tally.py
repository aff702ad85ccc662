"""The tally: raw hits become scored findings (repeats saturate, files rank, low-severity noise is capped)."""

from __future__ import annotations

from collections import defaultdict

from .hits import RawHit
from .result import Finding
from .scoring import (
    FILE_DECAY,
    LOW_SEVERITY_CAP_PER_PHASE,
    LOW_SEVERITY_CAP_TOTAL,
    MAX_RANKED,
    LOW_VALUE_CODE_CAP,
    LOW_VALUE_CODE_REASONS,
    NOT_BEHAVIOUR_CAP,
    NOT_BEHAVIOUR_REASONS,
    PACKAGE_LEVEL_RULES,
)


def _decay(k: int) -> float:
    return FILE_DECAY ** k if k < MAX_RANKED else 0.0


def aggregate(hits: list[RawHit]) -> list[Finding]:
    """Turn raw hits into scored findings: saturate repeats, rank files, cap low-severity noise."""
    # One finding per rule per file; repeats of a rule inside one file add nothing.
    per_rule_file: dict[tuple[str, str], RawHit] = {}
    for h in hits:
        key = (h.rule_id, h.label or h.file.path)
        cur = per_rule_file.get(key)
        if cur is None or h.points > cur.points:
            per_rule_file[key] = h
    scored: list[tuple[RawHit, float]] = []
    by_rule: dict[str, list[RawHit]] = defaultdict(list)
    by_file: dict[str, list[RawHit]] = defaultdict(list)
    for h in per_rule_file.values():
        if h.rule_id in PACKAGE_LEVEL_RULES:
            by_rule[h.rule_id].append(h)
        else:
            by_file[h.file.path].append(h)
    for group in by_rule.values():
        group.sort(key=lambda h: -h.points)
        for k, h in enumerate(group):
            scored.append((h, h.points * _decay(k)))
    # Malware concentrates in a few files; a big library spreads capabilities thinly over many.
    # So files are ranked by their own total and the k-th file counts FILE_DECAY**k of it.
    ranked = sorted(by_file.values(), key=lambda g: -sum(h.points for h in g))
    for k, group in enumerate(ranked):
        for h in group:
            scored.append((h, h.points * _decay(k)))
    low_used: dict[int, float] = defaultdict(float)
    low_total = 0.0
    not_behaviour_used = low_value_used = 0.0
    out: list[Finding] = []
    scored.sort(key=lambda t: -t[1])
    for h, pts in scored:
        if (h.severity == "low" and (not h.file.install_time or h.file.installer) and h.file.reason != "import-time code"
                and h.rule_id not in PACKAGE_LEVEL_RULES):
            # Low-severity capabilities (env reads, HTTP, subprocess) are what every library has.
            room = max(0.0, LOW_SEVERITY_CAP_PER_PHASE - low_used[h.phase])
            pts = min(pts, room)
            low_used[h.phase] += pts
        if h.severity == "low" and h.is_signature:
            pts = min(pts, max(0.0, LOW_SEVERITY_CAP_TOTAL - low_total))
            low_total += pts
        if h.file.reason in NOT_BEHAVIOUR_REASONS and h.rule_id not in PACKAGE_LEVEL_RULES:
            pts = min(pts, max(0.0, NOT_BEHAVIOUR_CAP - not_behaviour_used),
                      max(0.0, LOW_VALUE_CODE_CAP - not_behaviour_used - low_value_used))
            not_behaviour_used += pts
        elif h.file.reason in LOW_VALUE_CODE_REASONS and h.rule_id not in PACKAGE_LEVEL_RULES and not h.uncapped:
            pts = min(pts, max(0.0, LOW_VALUE_CODE_CAP - low_value_used - not_behaviour_used))
            low_value_used += pts
        points = int(round(pts))
        if points == 0 and pts >= 0.25 and h.severity != "low":
            points = 1
        out.append(Finding(h.rule_id, h.phase, h.label or h.file.path, h.line, h.excerpt[:200], points, h.message))
    return out
