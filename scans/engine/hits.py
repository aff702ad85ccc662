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
    dormant: bool = False  # in setup.py code pip never runs (maintainer commands): scored low, never combined
    routine: bool = False  # an ordinary build customisation (an install-command override alone): not behaviour
    uncapped: bool = False  # a strong combination in vendored code: outside the low-value budget (combos.py)

    @property
    def inert(self) -> bool:
        """Not behaviour: prose, or code that does not run at install."""
        return self.prose or self.dormant

    @property
    def is_signature(self) -> bool:
        """A match of a signature (built-in or analyst's), not one of the engine's own checks."""
        return not self.rule_id.startswith("eng_")
