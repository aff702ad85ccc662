"""Version order per ecosystem: PEP 440 (`packaging`) for PyPI, SemVer 2.0 (`semver`) for npm.

No hand-written ordering: a version either parses with the ecosystem's library or compares
with nothing (an unparsable version never falls inside a range; it can still match exactly).
"""
from __future__ import annotations

from functools import lru_cache

import semver
from packaging.version import InvalidVersion, Version

from intel.constants import RANGE_START, RangeType


@lru_cache(maxsize=65536)
def parse_version(ecosystem: str, range_type: str, value: str):
    """A comparable version, or None when this ecosystem's library does not accept `value`."""
    if not isinstance(value, str) or not value or len(value) > 128:
        return None
    try:
        if range_type == RangeType.ECOSYSTEM and ecosystem == "pypi":
            return Version(value)
        # npm versions are SemVer 2.0; npm itself strips a leading "v" and "=".
        return semver.Version.parse(value.lstrip("v=") if ecosystem == "npm" else value)
    except (InvalidVersion, ValueError, TypeError):
        return None


def valid_version(ecosystem: str, range_type: str, value: str) -> bool:
    return value == RANGE_START or parse_version(ecosystem, range_type, value) is not None


def same_version(ecosystem: str, left: str, right: str) -> bool:
    """`1.0` and `1.0.0` are the same PyPI release; npm versions compare as SemVer, else as text."""
    if left == right:
        return True
    a, b = parse_version(ecosystem, RangeType.ECOSYSTEM, left), parse_version(ecosystem, RangeType.ECOSYSTEM, right)
    return a is not None and b is not None and a == b


def in_range(ecosystem: str, range_type: str, version: str, *, introduced: str, fixed: str = "",
             last_affected: str = "") -> bool:
    """OSV semantics: introduced <= version < fixed, or introduced <= version <= last_affected."""
    current = parse_version(ecosystem, range_type, version)
    if current is None:
        return False
    if introduced and introduced != RANGE_START:
        start = parse_version(ecosystem, range_type, introduced)
        if start is None or current < start:
            return False
    if fixed:
        end = parse_version(ecosystem, range_type, fixed)
        return end is not None and current < end
    if last_affected:
        end = parse_version(ecosystem, range_type, last_affected)
        return end is not None and current <= end
    return True


def covers_all_versions(*, introduced: str, fixed: str = "", last_affected: str = "") -> bool:
    """`introduced: 0` with no end: every version ever published (typical for malicious packages)."""
    return introduced in ("", RANGE_START) and not fixed and not last_affected
