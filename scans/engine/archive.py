"""Read package archives in memory, under caps, without extracting or following links.

Members are streamed: each one is hashed whole, but only what the scanner can use is kept (the
first HEAD_BYTES of a text file, the first SNIFF_BYTES of a binary one, enough for its magic
number). Big legitimate packages (cloud SDKs, configuration-management tools, code generators
with tens of thousands of files) are read this way in bounded memory. Only real bombs are
refused: a compression ratio over MAX_RATIO, absurd sizes (MAX_TOTAL_SIZE read through, more
than MAX_KEPT_BYTES of text to scan, MAX_MEMBERS entries). Archives inside the archive are never
opened, so nesting cannot multiply anything.
"""

from __future__ import annotations

import hashlib
import io
import stat
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .errors import ArchiveError, ArchiveLimitExceeded

MiB = 1024 * 1024
# Uncompressed bytes read through (hashed, mostly discarded): bounds the time of one scan.
MAX_TOTAL_SIZE = 1024 * MiB
MAX_MEMBERS = 200_000
MAX_MEMBER_SIZE = 512 * MiB
# Bytes kept in memory for the scanner across the archive: bounds its memory and matching time.
MAX_KEPT_BYTES = 256 * MiB
MAX_RATIO = 100
# Below this many uncompressed bytes a high ratio is harmless (a small file of zeros), so the
# ratio caps only apply above it.
RATIO_MIN_SIZE = 1 * MiB
# The scanner matches at most this much of one file (scanner.MAX_SCAN_BYTES).
HEAD_BYTES = 2 * MiB
# A member with a NUL byte in its first SNIFF_BYTES is binary: the scanner only looks at its
# magic number and whether it is text, so this much is kept.
SNIFF_BYTES = 8192
_CHUNK = 256 * 1024
_READ_AHEAD = 128 * 1024


@dataclass(frozen=True)
class ArchiveLimits:
    max_total_size: int = MAX_TOTAL_SIZE
    max_members: int = MAX_MEMBERS
    max_member_size: int = MAX_MEMBER_SIZE
    max_ratio: float = MAX_RATIO
    ratio_min_size: int = RATIO_MIN_SIZE
    max_kept_bytes: int = MAX_KEPT_BYTES
    head_bytes: int = HEAD_BYTES


@dataclass
class Entry:
    """One archive member or directory file: a regular file with data, or a refused special entry.

    `data` holds what is kept of a regular file (all of it up to the head limit when it is text,
    its first SNIFF_BYTES when it is binary); `size` and `sha256` describe the whole member.
    """

    path: str
    kind: str  # "file" | "symlink" | "hardlink" | "device" | "fifo" | "unsafe_path" | "other"
    data: bytes = b""
    target: str = ""
    size: int = -1
    sha256: str = ""

    def __post_init__(self) -> None:
        if self.size < 0:
            self.size = len(self.data)
        if self.kind == "file" and not self.sha256:
            self.sha256 = hashlib.sha256(self.data).hexdigest()


def safe_member_path(name: str) -> str | None:
    """Normalise an archive member name; None when it is absolute or escapes the root."""
    raw = name.replace("\\", "/")
    if raw.startswith("/") or (len(raw) > 1 and raw[1] == ":") or "\x00" in raw:
        return None
    parts = [p for p in raw.split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts):
        return None
    return "/".join(parts)


def detect_format(data: bytes, filename: str) -> str:
    """Tell the archive format from its magic bytes (file names lie: wheels renamed .tar.gz exist)."""
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return "zip"
    if data[:2] == b"\x1f\x8b" or data[:3] == b"BZh" or data[:6] == b"\xfd7zXZ\x00":
        return "tar"
    if len(data) > 262 and data[257:262] == b"ustar":
        return "tar"
    low = filename.lower()
    if low.endswith((".whl", ".zip", ".egg", ".jar")):
        return "zip"
    return "tar"


def _check_ratio(uncompressed: int, compressed: int, limits: ArchiveLimits, what: str) -> None:
    if uncompressed >= limits.ratio_min_size and uncompressed > limits.max_ratio * max(compressed, 1):
        raise ArchiveLimitExceeded(
            f"{what} expands {uncompressed} bytes from {compressed} (over {limits.max_ratio:g}:1)"
        )


class _Budget:
    """Running totals of one archive: bytes read through and bytes kept for the scanner."""

    def __init__(self, limits: ArchiveLimits):
        self.limits = limits
        self.read = 0
        self.kept = 0

    def drain(self, fh, path: str, declared: int, errors: tuple) -> tuple[bytes, int, str]:
        """Read one member to its end in chunks: (kept head, real size, sha256 of the whole)."""
        limits = self.limits
        digest = hashlib.sha256()
        head = bytearray()
        keep = limits.head_bytes
        size = 0
        sniffed = False
        try:
            while True:
                chunk = fh.read(_CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                self.read += len(chunk)
                if size > limits.max_member_size:
                    raise ArchiveLimitExceeded(f"{path}: over {limits.max_member_size} bytes (limit)")
                if self.read > limits.max_total_size:
                    raise ArchiveLimitExceeded(f"over {limits.max_total_size} bytes uncompressed (limit)")
                digest.update(chunk)
                if len(head) < keep:
                    head += chunk[: keep - len(head)]
                if not sniffed and (len(head) >= SNIFF_BYTES or size >= declared):
                    sniffed = True
                    if b"\x00" in head[:SNIFF_BYTES]:
                        keep = SNIFF_BYTES
                        del head[SNIFF_BYTES:]
        except errors as exc:
            raise ArchiveError(f"corrupt archive member {path}: {exc}") from None
        self.kept += len(head)
        if self.kept > limits.max_kept_bytes:
            raise ArchiveLimitExceeded(f"over {limits.max_kept_bytes} bytes of text to scan (limit)")
        return bytes(head), size, digest.hexdigest()


def read_archive(data: bytes, filename: str, limits: ArchiveLimits) -> list[Entry]:
    """Return the archive's entries; raise ArchiveLimitExceeded or ArchiveError."""
    fmt = detect_format(data, filename)
    if fmt == "zip":
        return _read_zip(data, limits)
    return _read_tar(data, limits)


_ZIP_ERRORS = (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError)
_TAR_ERRORS = (tarfile.TarError, OSError, EOFError, ValueError, NotImplementedError)


def _read_zip(data: bytes, limits: ArchiveLimits) -> list[Entry]:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except _ZIP_ERRORS as exc:
        raise ArchiveError(f"corrupt zip archive: {exc}") from None
    if len(infos) > limits.max_members:
        raise ArchiveLimitExceeded(f"{len(infos)} members (limit {limits.max_members})")
    declared = sum(i.file_size for i in infos)
    if declared > limits.max_total_size:
        raise ArchiveLimitExceeded(f"{declared} bytes uncompressed (limit {limits.max_total_size})")
    # Overlapping members (one compressed stream claimed by many entries) show up here.
    _check_ratio(declared, len(data), limits, "archive")
    budget = _Budget(limits)
    entries: list[Entry] = []
    for info in infos:
        if info.is_dir():
            continue
        path = safe_member_path(info.filename)
        if path is None:
            entries.append(Entry(info.filename, "unsafe_path"))
            continue
        mode = (info.external_attr >> 16) & 0xFFFF
        ftype = stat.S_IFMT(mode)
        if ftype == stat.S_IFLNK:
            target = zf.read(info)[:512].decode("utf-8", "replace") if info.file_size < 4096 else ""
            entries.append(Entry(path, "symlink", target=target))
            continue
        if ftype in (stat.S_IFCHR, stat.S_IFBLK):
            entries.append(Entry(path, "device"))
            continue
        if ftype == stat.S_IFIFO:
            entries.append(Entry(path, "fifo"))
            continue
        if info.file_size > limits.max_member_size:
            raise ArchiveLimitExceeded(f"{path}: {info.file_size} bytes (limit {limits.max_member_size})")
        _check_ratio(info.file_size, info.compress_size, limits, path)
        try:
            fh = zf.open(info)
        except _ZIP_ERRORS as exc:
            raise ArchiveError(f"corrupt zip member {path}: {exc}") from None
        with fh:
            head, size, digest = budget.drain(fh, path, info.file_size, _ZIP_ERRORS)
        _check_ratio(size, info.compress_size, limits, path)
        entries.append(Entry(path, "file", head, size=size, sha256=digest))
    return entries


def _read_tar(data: bytes, limits: ArchiveLimits) -> list[Entry]:
    raw = io.BytesIO(data)
    try:
        tf = tarfile.open(fileobj=raw, mode="r:*")
    except _TAR_ERRORS as exc:
        raise ArchiveError(f"corrupt or unsupported archive: {exc}") from None
    budget = _Budget(limits)
    entries: list[Entry] = []
    count = 0
    try:
        while True:
            try:
                member = tf.next()
            except _TAR_ERRORS as exc:
                raise ArchiveError(f"corrupt tar archive: {exc}") from None
            if member is None:
                break
            # tarfile remembers every header it read; entries already hold what we need.
            tf.members.clear()
            count += 1
            if count > limits.max_members:
                raise ArchiveLimitExceeded(f"more than {limits.max_members} members")
            if member.isdir():
                continue
            path = safe_member_path(member.name)
            if path is None:
                entries.append(Entry(member.name, "unsafe_path"))
                continue
            if member.issym():
                entries.append(Entry(path, "symlink", target=member.linkname))
                continue
            if member.islnk():
                entries.append(Entry(path, "hardlink", target=member.linkname))
                continue
            if member.ischr() or member.isblk():
                entries.append(Entry(path, "device"))
                continue
            if member.isfifo():
                entries.append(Entry(path, "fifo"))
                continue
            if not member.isreg():
                entries.append(Entry(path, "other"))
                continue
            if member.size > limits.max_member_size:
                raise ArchiveLimitExceeded(f"{path}: {member.size} bytes (limit {limits.max_member_size})")
            if budget.read + member.size > limits.max_total_size:
                raise ArchiveLimitExceeded(f"over {limits.max_total_size} bytes uncompressed (limit)")
            before = raw.tell()
            try:
                fh = tf.extractfile(member)
            except _TAR_ERRORS as exc:
                raise ArchiveError(f"corrupt tar member {path}: {exc}") from None
            head, size, digest = budget.drain(fh, path, member.size, _TAR_ERRORS) if fh else (b"", 0, "")
            if size != member.size:
                raise ArchiveError(f"corrupt tar member {path}: {size} of {member.size} bytes")
            # Compressed bytes consumed while reading this member. The decompressor reads ahead,
            # so allow one read-ahead buffer of slack rather than trip on a well-compressed file.
            _check_ratio(size, raw.tell() - before + _READ_AHEAD, limits, path)
            entries.append(Entry(path, "file", head, size=size, sha256=digest))
            _check_ratio(budget.read, raw.tell(), limits, "archive")
    finally:
        tf.close()
    _check_ratio(budget.read, len(data), limits, "archive")
    return entries


def load_bytes(data_or_path: bytes | bytearray | memoryview | str | Path) -> bytes:
    if isinstance(data_or_path, (bytes, bytearray, memoryview)):
        return bytes(data_or_path)
    return Path(data_or_path).read_bytes()


def strip_common_root(paths: list[str]) -> str:
    """The single top-level directory every path shares ("pkg-1.0/", "package/"), or ""."""
    first = None
    for p in paths:
        if "/" not in p:
            return ""
        top = p.split("/", 1)[0]
        if first is None:
            first = top
        elif top != first:
            return ""
    return f"{first}/" if first else ""


def relative_role_path(path: str, root: str) -> str:
    return path[len(root):] if root and path.startswith(root) else path


__all__ = [
    "ArchiveLimits",
    "Entry",
    "read_archive",
    "load_bytes",
    "safe_member_path",
    "strip_common_root",
    "relative_role_path",
]
