"""How a detection pattern is compiled, by the engine, the signature checks and the admin tester."""
from __future__ import annotations

import re2

# Patterns are matched against whole files; (?m) makes ^ and $ mean line start and end, so a
# pattern written for one line behaves the same in a set and alone.
PATTERN_PREFIX = "(?m)"
# RE2 memory budget per compiled pattern or set.
PATTERN_MAX_MEM = 64 << 20


def pattern_options() -> re2.Options:
    options = re2.Options()
    options.log_errors = False
    options.max_mem = PATTERN_MAX_MEM
    return options


def compile_pattern(pattern: str):
    """Compile as the engine does, bounded in memory; raises re2.error."""
    return re2.compile(PATTERN_PREFIX + pattern, pattern_options())
