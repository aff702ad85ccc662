"""A raw hit: one rule (signature or engine check) matched somewhere, before scoring."""

from __future__ import annotations

from dataclasses import dataclass, field

from .files import FileInfo


@dataclass
class RawHit:
    rule_id: str
    phase: int
    severity: str
    file: FileInfo
    line: int
    excerpt: str
    points: float
    message: str  # the finding's human title
    label: str = ""  # overrides file.path in the report (decoded payloads)
    prose: bool = False  # only in comments or docstrings: scored low, never combined
    tags: frozenset[str] = field(default_factory=frozenset)  # the rule's capability tags

    @property
    def is_signature(self) -> bool:
        """A match of a signature (built-in or analyst's), not one of the engine's own checks."""
        return not self.rule_id.startswith("eng_")
