"""Registry installers: install scripts that only download a platform binary from a known host."""

from __future__ import annotations

from collections import defaultdict

import re2

from ..files import MAX_SCAN_BYTES
from ..hits import RawHit

_REGISTRY_HOST = re2.compile(r"registry\.npmjs\.org|registry\.yarnpkg\.com|npm\.pkg\.github\.com|files\.pythonhosted\.org"
                             r"|github\.com/[\w.-]+/[\w.-]+/releases|objects\.githubusercontent\.com|nodejs\.org/dist"
                             r"|registry\.npmmirror\.com|storage\.googleapis\.com/chrome-for-testing")


def mark_installers(hits: list[RawHit]) -> None:
    """Flag install scripts that fetch from a package registry or release host and do nothing stronger.

    esbuild, sharp or puppeteer download their platform binary at install: capabilities only (HTTP,
    child_process, a few env reads), no secrets, beacons, decoding or odd endpoints. Those weigh as
    ordinary code, not as install-time code.
    """
    by_file: dict[str, list[RawHit]] = defaultdict(list)
    for h in hits:
        if h.file.install_time and h.file.lang in ("javascript", "python", "shell"):
            by_file[h.file.path].append(h)
    for group in by_file.values():
        info = group[0].file
        if any(h.severity != "low" and h.phase not in (1, 6) for h in group):
            continue
        if _REGISTRY_HOST.search(info.data[:MAX_SCAN_BYTES]) is not None:
            info.installer = True
