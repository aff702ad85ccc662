"""Phases, severities and verdict bands (docs/design.md, Phases, scores, verdicts)."""
from __future__ import annotations

PHASE_NAMES = {
    1: "install_hooks",
    2: "code_patterns",
    3: "network_exfil",
    4: "credentials",
    5: "obfuscation",
    6: "provenance",
}

# Severities from least to most severe; the rank is the position from 1.
SEVERITIES = ("low", "medium", "high", "critical")
SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES, start=1)}

VERDICTS = ("clean", "low", "medium", "high", "critical")
# Verdicts that block an install (CLI exit 2) and verdicts that still earn a badge.
BLOCKING_VERDICTS = ("high", "critical")
PASSING_VERDICTS = ("clean", "low")


def verdict_for_score(score: int) -> str:
    """Map a score to its verdict: 0 clean, 1-9 low, 10-24 medium, 25-49 high, >=50 critical."""
    if score <= 0:
        return "clean"
    if score < 10:
        return "low"
    if score < 25:
        return "medium"
    if score < 50:
        return "high"
    return "critical"
