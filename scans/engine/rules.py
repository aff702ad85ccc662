"""Detection rules: the Rule type, reading a pack, and RE2 compilation into one-pass sets.

The engine is given its rules (a list, or the path of a JSON pack); it knows nothing of where
the server or the CLI keep them. The repository's built-in pack's path is domain.pack.BUILTIN_PACK_PATH.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import re2

from domain.patterns import PATTERN_PREFIX as _PREFIX
from domain.patterns import compile_pattern, pattern_options

from .errors import InvalidPattern

# Patterns per RE2 set: a set compiles into one DFA; splitting keeps each DFA inside max_mem.
_SET_CHUNK = 60


@dataclass(frozen=True)
class Rule:
    id: str
    phase: int
    name: str
    description: str
    pattern: str
    severity: str
    weight: int
    ecosystem: str = "generic"
    file_globs: tuple[str, ...] = field(default_factory=tuple)
    tags: frozenset[str] = frozenset()  # capability tags (tags.py); combinations read these

    @property
    def title(self) -> str:
        """The human title a finding of this rule shows everywhere (the rule id goes beside it)."""
        return self.description or self.name

    @classmethod
    def from_dict(cls, d: dict) -> "Rule":
        """Build a rule from the JSON pack or API dict; extra keys are ignored."""
        globs = d.get("file_globs") or ()
        if isinstance(globs, str):
            globs = (globs,)
        tags = d.get("tags") or ()
        if isinstance(tags, str):
            tags = (tags,)
        return cls(
            id=str(d["id"]),
            phase=int(d["phase"]),
            name=str(d.get("name", d["id"])),
            description=str(d.get("description", "")),
            pattern=str(d["pattern"]),
            severity=str(d.get("severity", "medium")),
            weight=int(d.get("weight", 1)),
            ecosystem=str(d.get("ecosystem") or "generic"),
            file_globs=tuple(str(g) for g in globs),
            tags=frozenset(str(t) for t in tags),
        )


def validate_pattern(pattern: str, rule_id: str = "") -> None:
    """Raise InvalidPattern unless pattern compiles with RE2."""
    _compiled(pattern, rule_id)


def _compiled(pattern: str, rule_id: str):
    """The compiled pattern; InvalidPattern naming the rule when RE2 refuses it."""
    if not isinstance(pattern, str) or not pattern:
        raise InvalidPattern(rule_id, "pattern must be a non-empty string")
    try:
        return compile_pattern(pattern)
    except re2.error as exc:
        msg = exc.args[0] if exc.args else str(exc)
        if isinstance(msg, bytes):
            msg = msg.decode("utf-8", "replace")
        raise InvalidPattern(rule_id, f"not a valid RE2 pattern: {msg}") from None


def load_rules(path: str | Path) -> list[Rule]:
    """Read a JSON pack (a list of signature dicts, the shape GET /v1/signatures returns)."""
    with open(path, encoding="utf-8") as fh:
        return [Rule.from_dict(d) for d in json.load(fh)]


class CompiledRules:
    """Rules compiled for scanning: a few RE2 sets for the single pass, one regex per rule to locate."""

    def __init__(self, rules: Iterable[Rule]):
        self.rules: list[Rule] = list(rules)
        self.regexes = []
        self.sets: list[tuple[int, re2.Set]] = []  # (offset of first rule, set)
        for rule in self.rules:
            if rule.phase not in range(1, 7):
                raise InvalidPattern(rule.id, "phase must be 1-6")
            self.regexes.append(_compiled(rule.pattern, rule.id))  # compiled once: CLI start-up pays for it
        for start in range(0, len(self.rules), _SET_CHUNK):
            s = re2.Set.SearchSet(pattern_options())
            for rule in self.rules[start : start + _SET_CHUNK]:
                try:
                    s.Add(_PREFIX + rule.pattern)
                except Exception as exc:  # pragma: no cover - validate_pattern caught it already
                    raise InvalidPattern(rule.id, str(exc)) from None
            s.Compile()
            self.sets.append((start, s))

    def __len__(self) -> int:
        return len(self.rules)

    def match(self, data: bytes) -> list[int]:
        """Indices of the rules whose pattern occurs anywhere in data (one pass per set)."""
        hits: list[int] = []
        for start, s in self.sets:
            found = s.Match(data)
            if found:
                hits.extend(start + i for i in found)
        return hits


def compile_rules(rules: Iterable[Rule] | CompiledRules) -> CompiledRules:
    """Compile rules into RE2 sets; raise InvalidPattern naming the first bad rule."""
    if isinstance(rules, CompiledRules):
        return rules
    return CompiledRules(rules)
