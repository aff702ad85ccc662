"""Read package archives in memory, under caps, without extracting or following links."""

from __future__ import annotations

import io
import stat
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .errors import ArchiveError, ArchiveLimitExceeded

MAX_TOTAL_SIZE = 200 * 1024 * 1024
MAX_MEMBERS = 20_000
MAX_MEMBER_SIZE = 50 * 1024 * 1024
MAX_RATIO = 100
# Below this many uncompressed bytes a high ratio is harmless (a small file of zeros), so the
# ratio caps only apply above it.
RATIO_MIN_SIZE = 1024 * 1024
_READ_AHEAD = 128 * 1024


@dataclass(frozen=True)
class ArchiveLimits:
    max_total_size: int = MAX_TOTAL_SIZE
    max_members: int = MAX_MEMBERS
    max_member_size: int = MAX_MEMBER_SIZE
    max_ratio: float = MAX_RATIO
    ratio_min_size: int = RATIO_MIN_SIZE


@dataclass
class Entry:
    """One archive member or directory file: a regular file with data, or a refused special entry."""

    path: str
    kind: str  # "file" | "symlink" | "hardlink" | "device" | "fifo" | "unsafe_path" | "other"
    data: bytes = b""
    target: str = ""

    @property
    def size(self) -> int:
        return len(self.data)


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


def read_archive(data: bytes, filename: str, limits: ArchiveLimits) -> list[Entry]:
    """Return the archive's entries; raise ArchiveLimitExceeded or ArchiveError."""
    fmt = detect_format(data, filename)
    if fmt == "zip":
        return _read_zip(data, limits)
    return _read_tar(data, limits)


def _read_zip(data: bytes, limits: ArchiveLimits) -> list[Entry]:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise ArchiveError(f"corrupt zip archive: {exc}") from None
    if len(infos) > limits.max_members:
        raise ArchiveLimitExceeded(f"{len(infos)} members (limit {limits.max_members})")
    declared = sum(i.file_size for i in infos)
    if declared > limits.max_total_size:
        raise ArchiveLimitExceeded(f"{declared} bytes uncompressed (limit {limits.max_total_size})")
    _check_ratio(declared, len(data), limits, "archive")
    entries: list[Entry] = []
    total = 0
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
            with zf.open(info) as fh:
                content = fh.read(limits.max_member_size + 1)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
            raise ArchiveError(f"corrupt zip member {path}: {exc}") from None
        if len(content) > limits.max_member_size:
            raise ArchiveLimitExceeded(f"{path}: over {limits.max_member_size} bytes")
        _check_ratio(len(content), info.compress_size, limits, path)
        total += len(content)
        if total > limits.max_total_size:
            raise ArchiveLimitExceeded(f"over {limits.max_total_size} bytes uncompressed")
        entries.append(Entry(path, "file", content))
    return entries


def _read_tar(data: bytes, limits: ArchiveLimits) -> list[Entry]:
    raw = io.BytesIO(data)
    try:
        tf = tarfile.open(fileobj=raw, mode="r:*")
    except (tarfile.TarError, OSError, EOFError, ValueError) as exc:
        raise ArchiveError(f"corrupt or unsupported archive: {exc}") from None
    entries: list[Entry] = []
    total = 0
    count = 0
    try:
        while True:
            try:
                member = tf.next()
            except (tarfile.TarError, OSError, EOFError, ValueError) as exc:
                raise ArchiveError(f"corrupt tar archive: {exc}") from None
            if member is None:
                break
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
            total += member.size
            if total > limits.max_total_size:
                raise ArchiveLimitExceeded(f"over {limits.max_total_size} bytes uncompressed")
            before = raw.tell()
            try:
                fh = tf.extractfile(member)
                content = fh.read(member.size) if fh else b""
            except (tarfile.TarError, OSError, EOFError, ValueError) as exc:
                raise ArchiveError(f"corrupt tar member {path}: {exc}") from None
            # Compressed bytes consumed while reading this member. The decompressor reads ahead,
            # so allow one read-ahead buffer of slack rather than trip on a well-compressed file.
            _check_ratio(len(content), raw.tell() - before + _READ_AHEAD, limits, path)
            entries.append(Entry(path, "file", content))
            _check_ratio(total, raw.tell(), limits, "archive")
    finally:
        tf.close()
    _check_ratio(total, len(data), limits, "archive")
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
