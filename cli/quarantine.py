"""The quarantine: $SIGIL_HOME/quarantine/<id>/ holds the fetched code (content/) and meta.json."""

from __future__ import annotations

import os
import re
import shutil
import stat
import sys
import time
from pathlib import Path

from cli.config import CliError, quarantine_root, read_json, write_private_json

META = "meta.json"
CONTENT = "content"
_ID = re.compile(r"^[0-9]{8}_[0-9]{6}_[a-z0-9_]{1,60}$")


def slug(name: str) -> str:
    base = name.rstrip("/").rsplit("/", 1)[-1] if "://" in name or name.endswith(".git") else name
    base = re.sub(r"\.git$", "", base)
    s = re.sub(r"[^a-z0-9]+", "_", base.lower()).strip("_")
    return s[:40].strip("_") or "scan"


def new_entry(name: str) -> tuple[str, Path]:
    """Create an empty quarantine directory with a fresh id like 20260215_143000_example_repo."""
    root = quarantine_root()
    stem = time.strftime("%Y%m%d_%H%M%S", time.gmtime()) + "_" + slug(name)
    for n in range(1, 1000):
        qid = stem if n == 1 else f"{stem}_{n}"
        path = root / qid
        try:
            path.mkdir(mode=0o700)
        except FileExistsError:
            continue
        (path / CONTENT).mkdir(mode=0o700)
        return qid, path
    raise CliError("could not allocate a quarantine id")


def entry_path(qid: str) -> Path:
    """The directory of an existing entry; the id is checked so it cannot name a path outside."""
    if not _ID.fullmatch(qid):
        raise CliError(f"not a quarantine id: {qid!r}")
    path = quarantine_root() / qid
    if not (path / META).is_file():
        raise CliError(f"no quarantined item {qid}")
    return path


def save_meta(path: Path, meta: dict) -> None:
    write_private_json(path / META, meta)


def load_meta(path: Path) -> dict:
    return read_json(path / META) or {}


def entries() -> list[dict]:
    out = []
    for child in sorted(quarantine_root().iterdir()):
        if _ID.fullmatch(child.name) and (child / META).is_file():
            meta = load_meta(child)
            meta["id"] = child.name
            out.append(meta)
    return out


def find_same(meta: dict) -> tuple[str, Path] | None:
    """An older entry holding exactly what `meta` describes (same source, same content hash)."""
    keys = ("source_type", "source_ref", "origin", "source_hash")
    for other in entries():
        if other["id"] != meta["id"] and all(other.get(k) == meta.get(k) for k in keys):
            return other["id"], quarantine_root() / other["id"]
    return None


def prune(*, older_than_seconds: float, dry_run: bool = False) -> list[str]:
    """Delete entries last scanned more than older_than_seconds ago (0: all), and leftovers of
    interrupted scans (no meta.json) as old. Returns the ids, oldest first."""
    cutoff = time.time() - older_than_seconds
    aged = []
    for child in quarantine_root().iterdir():
        if not _ID.fullmatch(child.name) or child.is_symlink() or not child.is_dir():
            continue
        meta = child / META
        stamp = (meta if meta.is_file() else child).stat().st_mtime
        if older_than_seconds == 0 or stamp < cutoff:
            aged.append((stamp, child))
    aged.sort()
    if not dry_run:
        for _, child in aged:
            discard(child)
    return [child.name for _, child in aged]


def discard(path: Path) -> None:
    """Delete a quarantine entry; read-only files and directories (git packs) are made writable first."""
    def retry(func, p, _exc):
        os.chmod(p, stat.S_IRWXU)
        func(p)

    if sys.version_info >= (3, 12):
        shutil.rmtree(path, onexc=retry)
    else:
        shutil.rmtree(path, onerror=retry)


def copy_tree(src: Path, dest: Path, *, exclude: Path) -> list[str]:
    """Copy a directory without following symlinks; FIFOs, devices and sockets are skipped (listed).

    `exclude` (SIGIL_HOME) is never copied: scanning ~ must not copy the quarantine into itself.
    """
    skipped = []
    excluded = os.path.realpath(exclude)
    for dirpath, dirnames, filenames in os.walk(src, followlinks=False):
        rel = Path(dirpath).relative_to(src)
        target_dir = dest / rel
        target_dir.mkdir(mode=0o700, exist_ok=True)
        for name in list(dirnames):
            s = Path(dirpath) / name
            if s.is_symlink():
                os.symlink(os.readlink(s), target_dir / name)
                dirnames.remove(name)
            elif os.path.realpath(s) == excluded:
                skipped.append(str(rel / name))
                dirnames.remove(name)
        for name in filenames:
            s = Path(dirpath) / name
            mode = s.lstat().st_mode
            if stat.S_ISLNK(mode):
                os.symlink(os.readlink(s), target_dir / name)
            elif stat.S_ISREG(mode):
                shutil.copyfile(s, target_dir / name, follow_symlinks=False)
                os.chmod(target_dir / name, stat.S_IMODE(mode) & 0o700 | 0o600)
            else:
                skipped.append(str(rel / name))
    return skipped


def approve(qid: str, dest: str) -> Path:
    """Move the quarantined code to dest (which must not exist yet) and drop the entry."""
    path = entry_path(qid)
    meta = load_meta(path)
    target = Path(dest).expanduser().absolute()
    if target.exists() or target.is_symlink():
        raise CliError(f"{target} already exists; give a new path")
    if not target.parent.is_dir():
        raise CliError(f"{target.parent} is not a directory")
    content = path / CONTENT
    item = meta.get("content")
    # meta["content"] names the one thing under content/: the archive file, or tree/ or repo/.
    if not isinstance(item, str) or not item or "/" in item or item in (".", ".."):
        raise CliError(f"quarantine metadata of {qid} is damaged")
    src = content / item
    if not src.exists():
        raise CliError(f"quarantined content of {qid} is missing")
    shutil.move(str(src), str(target))
    discard(path)
    return target
