"""Content hashes shared by the CLI and the server."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path
from typing import Iterator


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def walk_tree(root: Path) -> Iterator[tuple[str, str, os.DirEntry]]:
    """(kind, POSIX relative path, entry) below root, never following links, .git/ excluded.

    kind is "file", "symlink", "fifo", "device" or "other"; directories are walked, not yielded.
    """
    stack = [(root, "")]
    while stack:
        directory, prefix = stack.pop()
        with os.scandir(directory) as it:
            for entry in it:
                rel = f"{prefix}{entry.name}"
                if entry.is_symlink():
                    yield "symlink", rel, entry
                elif entry.is_dir(follow_symlinks=False):
                    if rel != ".git":
                        stack.append((Path(entry.path), rel + "/"))
                elif entry.is_file(follow_symlinks=False):
                    yield "file", rel, entry
                else:
                    mode = entry.stat(follow_symlinks=False).st_mode
                    yield ("fifo" if stat.S_ISFIFO(mode) else "device" if (stat.S_ISCHR(mode) or stat.S_ISBLK(mode))
                           else "other"), rel, entry


def _regular_files(root: Path) -> list[tuple[bytes, str, Path]]:
    """(sort key, POSIX relative path, absolute path) of every regular file, .git/ excluded."""
    out = [(rel.encode("utf-8", "surrogateescape"), rel, Path(entry.path))
           for kind, rel, entry in walk_tree(root) if kind == "file"]
    out.sort(key=lambda t: t[0])
    return out


def tree_hash_entries(items: list[tuple[str, str]]) -> str:
    """Tree hash from (POSIX relative path, sha256 hex of content) pairs."""
    h = hashlib.sha256()
    for rel, digest in sorted(items, key=lambda t: t[0].encode("utf-8", "surrogateescape")):
        h.update(rel.encode("utf-8", "surrogateescape") + b"\0" + digest.encode() + b"\n")
    return "sha256:" + h.hexdigest()


def tree_hash(path: str | Path) -> str:
    """Hash a directory: sha256 over path NUL sha256hex(content) LF per regular file, bytewise path order."""
    root = Path(path)
    items = []
    for _key, rel, abspath in _regular_files(root):
        items.append((rel, _file_sha256(abspath)))
    return tree_hash_entries(items)


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
