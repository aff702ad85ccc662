"""Scan results and their POST /v1/scan body."""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.scoring import PHASE_NAMES, verdict_for_score  # noqa: F401 - the engine's public names
MAX_FINDINGS_PER_PHASE = 50
MAX_FINDING_CHARS = 300


@dataclass
class Finding:
    rule_id: str
    phase: int
    file: str
    line: int
    excerpt: str
    points: int
    message: str  # the human title (a signature's description, or the engine check's sentence)

    @property
    def title(self) -> str:
        return self.message

    def summary(self) -> str:
        """"title [rule id] in file:line": the one line every surface shows for this finding."""
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{self.message} [{self.rule_id}] in {where}"[:MAX_FINDING_CHARS]


@dataclass
class PhaseResult:
    phase: int
    name: str
    score: int
    findings: list[str] = field(default_factory=list)


@dataclass
class ScanResult:
    phases: list[PhaseResult]
    score: int
    verdict: str
    source_hash: str
    file_stats: dict
    findings: list[Finding]
    file_hashes: dict[str, str]
    # What the package declares it depends on (engine/dependencies.py); the server matches these
    # against threat intelligence.
    dependencies: list = field(default_factory=list)

    def to_scan_body(self, *, quarantine_id: str, source_type: str, source_ref: str, cli_version: str | None = None) -> dict:
        """Return the POST /v1/scan request body for this result."""
        body = {
            "quarantine_id": quarantine_id,
            "source_type": source_type,
            "source_ref": source_ref,
            "source_hash": self.source_hash,
            "score": self.score,
            "verdict": self.verdict,
            "phases": [
                {"phase": p.phase, "name": p.name, "score": p.score, "findings": list(p.findings)}
                for p in self.phases
            ],
            "file_stats": dict(self.file_stats),
        }
        if self.dependencies:
            body["dependencies"] = [d.to_dict() for d in self.dependencies]
        if cli_version is not None:
            body["cli_version"] = cli_version
        return body

    def phase(self, number: int) -> PhaseResult:
        return self.phases[number - 1]

    def rule_ids(self) -> set[str]:
        return {f.rule_id for f in self.findings}
