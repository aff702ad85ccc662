"""Typosquat check: is a package name a near miss of a popular name?"""

from __future__ import annotations

import re

from domain.identifiers import pep503_name

from .popular import NPM_POPULAR, PYPI_POPULAR

_SEP = re.compile(r"[-_.]+")


def normalise(name: str) -> str:
    """PEP 503 style normalisation (lower case, runs of -_. become -); npm scopes kept."""
    return pep503_name(name.strip())


def _squash(name: str) -> str:
    return _SEP.sub("", name)


def damerau(a: str, b: str, limit: int = 3) -> int:
    """Optimal string alignment distance, stopping early above limit."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


_POPULAR = {
    "npm": frozenset(normalise(p) for p in NPM_POPULAR),
    "pypi": frozenset(normalise(p) for p in PYPI_POPULAR),
    "": frozenset(normalise(p) for p in PYPI_POPULAR | NPM_POPULAR),
}
_AFFIXES = ("python-", "py-", "-python", "-py", "py", "python3-", "-dev", "-lib", "-sdk", "-js", "node-", "-node")


def typosquat_target(name: str, ecosystem: str | None) -> str | None:
    """Return the popular name that name imitates, or None."""
    if not name:
        return None
    n = normalise(name)
    if n.startswith("@"):
        # A scope is an owned namespace: "@swc/core" imitates nothing, whatever the bare name resembles.
        return None
    popular = _POPULAR.get(ecosystem or "", _POPULAR[""])
    if n in popular:
        return None
    squashed = _squash(n)
    stripped = re.sub(r"^(\d+-?)|(-?\d+)$", "", n)
    for target in sorted(popular):
        if len(target) < 4:
            continue
        t_squashed = _squash(target)
        if abs(len(t_squashed) - len(squashed)) > 2 and stripped == n and not n.endswith(target) and not n.startswith(target):
            continue
        if squashed == t_squashed:
            return target  # "python_dateutil" vs "python-dateutil" is the same name on PyPI, not on npm
        limit = 1 if len(t_squashed) < 8 else 2
        if damerau(squashed, t_squashed, limit) <= limit:
            return target
        # Decorations: "requests2", "2022-requests", "pyrequests", "requests-python".
        if stripped != n and stripped == target:
            return target
        for affix in _AFFIXES:
            if (affix.endswith("-") or not affix.startswith("-")) and n == affix + target:
                return target if len(target) >= 5 else None
            if affix.startswith("-") and n == target + affix:
                return target if len(target) >= 5 else None
    return None
