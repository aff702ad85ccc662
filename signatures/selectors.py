"""Reads of signatures: the engine's active rules, the cache fingerprint, the sync feed."""
import json
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from django.db.models import Count, Max, QuerySet

from domain.patterns import compile_pattern
from domain.providers import Provided
from signatures.constants import Severity, SignatureStatus
from signatures.models import Signature
from sigil.timefmt import isoformat_z

# intel (above signatures) provides it: the community report with this public id, or None (intel/apps.py).
report_by_public_id = Provided("a community report by public id (intel)")


def signature_to_dict(signature: Signature) -> dict:
    """The API / engine shape of one signature (Rule.from_dict reads it)."""
    return {
        "id": signature.public_id,
        "phase": signature.phase,
        "name": signature.name,
        "description": signature.description,
        "pattern": signature.pattern,
        "severity": signature.severity_name,
        "weight": signature.weight,
        "ecosystem": signature.ecosystem,
        "file_globs": list(signature.file_globs or []),
        "tags": list(signature.tags or []),
        "status": signature.status,
        "withdrawn_at": isoformat_z(signature.withdrawn_at),
        "created_at": isoformat_z(signature.created_at),
        "updated_at": isoformat_z(signature.updated_at),
    }


def signature_active_list() -> QuerySet[Signature]:
    return Signature.objects.filter(status=SignatureStatus.ACTIVE).order_by("number")


def signature_active_rules() -> list:
    """The active signatures as engine Rules, in id order (feed them to compile_rules)."""
    from scans.engine import Rule

    return [Rule.from_dict(signature_to_dict(s)) for s in signature_active_list()]


def combination_tags_uncarried() -> set[str]:
    """Tags a combination needs that no active signature carries (those combinations cannot fire)."""
    from scans.engine.combos import combo_tags

    carried: set[str] = set()
    for tags in signature_active_list().values_list("tags", flat=True):
        carried.update(tags or ())
    return combo_tags() - carried


def signatures_fingerprint() -> str:
    """A value that changes whenever any signature is created, changed, withdrawn or deleted."""
    stats = Signature.objects.aggregate(count=Count("id"), last=Max("change_seq"))
    return f"sigs-v1:{stats['count']}:{stats['last'] or 0}"


@dataclass(frozen=True)
class SyncPage:
    signatures: list[Signature]
    has_more: bool
    last_seq: int  # where the next page starts: the feed position this page covers up to
    head: int  # the highest change_seq in the feed when the page was read


def signature_sync_page(
    *,
    after_seq: int = 0,
    since: datetime | None = None,
    phase: int | None = None,
    min_severity: Severity | None = None,
    include_withdrawn: bool = True,
    limit: int = 500,
) -> SyncPage:
    """One page of the change feed: signatures changed after after_seq (and since), in change order.

    Writers commit in change_seq order (signatures.services._bump_feed_counter), so any snapshot
    holds a prefix of the feed. The head read first is such a prefix; the page is then cut from
    (after_seq, head], which a later snapshot also holds in full. A short page therefore covers
    the feed up to head, a full page up to its last row: the next page starts there, exactly.
    """
    head = Signature.objects.aggregate(head=Max("change_seq"))["head"] or 0
    queryset = Signature.objects.filter(change_seq__gt=after_seq, change_seq__lte=head)
    if since is not None:
        queryset = queryset.filter(updated_at__gt=since)
    if not include_withdrawn:
        queryset = queryset.filter(status=SignatureStatus.ACTIVE)
    if phase is not None:
        queryset = queryset.filter(phase=phase)
    if min_severity is not None:
        queryset = queryset.filter(severity__gte=min_severity)
    rows = list(queryset.order_by("change_seq")[: limit + 1])
    has_more = len(rows) > limit
    rows = rows[:limit]
    last_seq = rows[-1].change_seq if has_more else max(head, after_seq)
    return SyncPage(signatures=rows, has_more=has_more, last_seq=last_seq, head=head)


MAX_SHOWN_LINES = 200
BUILTIN_PACK = Path(__file__).resolve().parent / "data" / "builtin_pack.json"


def matching_lines(pattern: str, text: str, *, limit: int = MAX_SHOWN_LINES) -> tuple[list[tuple[int, str]], bool]:
    """(line number, line) for every line where a match starts, as the engine matches; truncated flag."""
    regex = compile_pattern(pattern)
    lines = text.splitlines()
    starts, offset = [], 0
    for line in text.splitlines(keepends=True):
        starts.append(offset)
        offset += len(line)
    found: list[int] = []
    index = 0
    for match in regex.finditer(text):
        while index + 1 < len(starts) and starts[index + 1] <= match.start():
            index += 1
        if not found or found[-1] != index:
            found.append(index)
            if len(found) > limit:
                break
    truncated = len(found) > limit
    return [(i + 1, lines[i] if i < len(lines) else "") for i in found[:limit]], truncated


@lru_cache(maxsize=1)
def benign_snippets() -> tuple[tuple[str, str], ...]:
    """(signature id, line) for every benign example of the built-in pack: the engine's self-test
    lines no signature may match (tests/scans/engine/test_builtin_pack.py holds the pack to them)."""
    try:
        entries = json.loads(BUILTIN_PACK.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ()
    return tuple((entry.get("id", "?"), line) for entry in entries if isinstance(entry, dict)
                 for line in (entry.get("examples") or {}).get("benign", []) if isinstance(line, str))


@dataclass
class PatternTrial:
    evidence_matches: list[tuple[int, str]]  # (evidence item number, 1-based; the item)
    evidence_total: int
    benign_matches: list[tuple[str, str]]  # (built-in signature id, benign line)

    @property
    def matches_evidence(self) -> bool:
        return bool(self.evidence_matches)


def pattern_trial(*, pattern: str, evidence: list[str]) -> PatternTrial:
    """Run a (valid) pattern over a report's evidence and the benign self-test lines, as the engine matches."""
    regex = compile_pattern(pattern)
    items = [str(item) for item in evidence or []]
    return PatternTrial(
        evidence_matches=[(number, item) for number, item in enumerate(items, start=1) if regex.search(item)],
        evidence_total=len(items),
        benign_matches=[(sig, line) for sig, line in benign_snippets() if regex.search(line)],
    )
