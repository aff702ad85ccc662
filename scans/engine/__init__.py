"""Sigil's scanner: pure Python, no Django. Reads packages and trees, never runs them."""

from .archive import (
    MAX_MEMBER_SIZE,
    MAX_MEMBERS,
    MAX_RATIO,
    MAX_TOTAL_SIZE,
    ArchiveLimits,
)
from .errors import ArchiveError, ArchiveLimitExceeded, EngineError, InvalidPattern
from .hashing import tree_hash
from .result import PHASE_NAMES, Finding, PhaseResult, ScanResult, verdict_for_score
from .rules import CompiledRules, Rule, compile_rules, load_rules, validate_pattern
from .scanner import scan_archive, scan_directory
from .files import MAX_SCAN_BYTES
from .tags import TAGS
from .typosquat import typosquat_target

# Release comparison (email.parser and friends) loads on first use: `sigil scan` never needs it.
_RELEASE_DIFF = ("Release", "manifest_of_archive", "manifest_of_directory", "release_diff")


def __getattr__(name: str):
    if name in _RELEASE_DIFF:
        import importlib

        module = importlib.import_module(".release_diff", __name__)
        for attr in _RELEASE_DIFF:  # importing the module bound `release_diff` to it: rebind the function
            globals()[attr] = getattr(module, attr)
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ArchiveError",
    "ArchiveLimitExceeded",
    "ArchiveLimits",
    "CompiledRules",
    "EngineError",
    "Finding",
    "InvalidPattern",
    "MAX_MEMBERS",
    "MAX_MEMBER_SIZE",
    "MAX_RATIO",
    "MAX_SCAN_BYTES",
    "MAX_TOTAL_SIZE",
    "PHASE_NAMES",
    "PhaseResult",
    "Release",
    "Rule",
    "ScanResult",
    "TAGS",
    "compile_rules",
    "load_rules",
    "manifest_of_archive",
    "manifest_of_directory",
    "release_diff",
    "scan_archive",
    "scan_directory",
    "tree_hash",
    "typosquat_target",
    "validate_pattern",
    "verdict_for_score",
]
