"""Registry installers: install scripts that only download a platform binary from a known host."""

from __future__ import annotations

from collections import defaultdict

import re2

from .. import scoring as W
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


# A download checked against a pinned digest: build backends and setup.py fetching a source archive or
# a prebuilt library ("sha256 = hashlib.sha256(data).hexdigest(); if sha256 != expected: raise").
_DIGEST = re2.compile(r"hashlib\.(?:sha256|sha384|sha512|blake2b)\(")
_CHECKED = re2.compile(r"(?i)\bexpected\w*|checksum|\.hexdigest\(\)\s*[!=]=|[!=]=\s*[\w.]+\.hexdigest\(\)")


def quiet_verified_downloads(hits: list[RawHit]) -> None:
    """In a file that verifies what it downloads against a digest, the download itself (a request, a
    network import) is a build step: it weighs half and takes part in no combination. A raw-IP, paste,
    webhook or beacon endpoint there still counts in full."""
    by_file: dict[str, list[RawHit]] = defaultdict(list)
    for h in hits:
        if h.phase == 3 and not h.label and (h.severity == "low" or (h.severity == "medium" and not h.tags)):
            by_file[h.file.path].append(h)
    # A file that also evaluates code (exec/eval outside setup.py, or a medium-or-worse evaluation
    # anywhere) is not a build step: a digest check in front of exec(downloaded) proves nothing.
    evaluates = {h.file.path for h in hits if "eval" in h.tags and not h.inert and not h.label
                 and (h.severity != "low" or h.file.base != "setup.py")}
    for path, group in by_file.items():
        data = group[0].file.data[:MAX_SCAN_BYTES]
        if path in evaluates or _DIGEST.search(data) is None or _CHECKED.search(data) is None:
            continue
        for h in group:
            h.points *= W.VERIFIED_DOWNLOAD_MULT
            h.dormant = True
