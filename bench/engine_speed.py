"""Measure engine throughput (MB/s) against `grep -E -f patterns -r` over the same tree.

Not a test. The tree is either one you name (--tree, e.g. a site-packages directory) or the benign
package cache of bench/detection.py (~/.cache/sigil-bench), read with the engine's own archive
reader and written as plain files into a temporary directory. Benign packages only: nothing is
installed or run.

    /tmp/probe/bin/python bench/engine_speed.py [--tree DIR] [--max-mb 400] [--repeat 1]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from scans.engine import compile_rules, load_rules, scan_directory  # noqa: E402
from domain.pack import BUILTIN_PACK_PATH  # noqa: E402
from scans.engine.archive import ArchiveLimits, read_archive  # noqa: E402

CACHE = Path(os.environ.get("SIGIL_BENCH_CACHE", Path.home() / ".cache" / "sigil-bench"))

_OUT_ESC = {"s": "[[:space:]]", "S": "[^[:space:]]", "d": "[0-9]", "D": "[^0-9]", "w": "[[:alnum:]_]", "W": "[^[:alnum:]_]"}
_IN_ESC = {"s": "[:space:]", "d": "0-9", "w": "[:alnum:]_"}


def re2_to_ere(pattern: str) -> str | None:
    """Translate an RE2 pattern to GNU grep -E syntax; None when it cannot be done faithfully."""
    if "(?i" in pattern or "\\x{" in pattern or re.search(r"[*+?}]\?", pattern) or "\\p" in pattern:
        return None
    out: list[str] = []
    i, in_class = 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            n = pattern[i + 1]
            if in_class:
                if n in _IN_ESC:
                    out.append(_IN_ESC[n])
                elif n in "SDW]-^":
                    return None
                elif n == "\\":
                    out.append("\\\\")
                else:
                    out.append(n)
            else:
                if n in _OUT_ESC:
                    out.append(_OUT_ESC[n])
                elif n in "bB":
                    out.append("\\" + n)
                elif n.isalnum():
                    return None  # \x41, \n, \A ... have no ERE twin
                elif n in "'\"`/@#%&=:,;<>!~ -":
                    out.append(n)
                else:
                    out.append("\\" + n)
            i += 2
            continue
        if in_class:
            if c == "]" and out and not out[-1].endswith("["):
                in_class = False
            out.append(c)
        elif c == "[":
            in_class = True
            out.append(c)
            if pattern[i + 1 : i + 2] == "^":
                out.append("^")
                i += 1
        elif c == "(" and pattern[i + 1 : i + 3] == "?:":
            out.append("(")
            i += 3
            continue
        elif c == "(" and pattern[i + 1 : i + 2] == "?":
            return None
        else:
            out.append(c)
        i += 1
    return "".join(out)


def build_tree_from_cache(dest: Path, max_bytes: int) -> int:
    total = 0
    archives = sorted(p for p in CACHE.rglob("*") if p.is_file())
    for arch in archives:
        try:
            entries = read_archive(arch.read_bytes(), arch.name, ArchiveLimits())
        except Exception as exc:  # skip the odd unreadable archive, say so
            print(f"skip {arch.name}: {exc}", file=sys.stderr)
            continue
        root = dest / arch.name.replace("/", "_")
        for e in entries:
            if e.kind != "file":
                continue
            target = root / e.path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(e.data)
            total += len(e.data)
        if total >= max_bytes:
            break
    return total


def tree_size(path: Path) -> tuple[int, int]:
    files = size = 0
    for dirpath, _dirs, names in os.walk(path):
        for n in names:
            p = os.path.join(dirpath, n)
            if os.path.isfile(p) and not os.path.islink(p):
                files += 1
                size += os.path.getsize(p)
    return files, size


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tree", help="directory to scan (default: benign cache unpacked into a temp dir)")
    ap.add_argument("--max-mb", type=int, default=400, help="cap on the unpacked benign cache")
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()

    tmp = None
    if args.tree:
        tree = Path(args.tree)
    else:
        tmp = Path(tempfile.mkdtemp(prefix="sigil-speed-"))
        tree = tmp / "tree"
        tree.mkdir()
        build_tree_from_cache(tree, args.max_mb * 1024 * 1024)
    try:
        files, size = tree_size(tree)
        mb = size / 1e6
        rules = load_rules(BUILTIN_PACK_PATH)
        compiled = compile_rules(rules)
        print(f"tree: {tree}  files: {files}  size: {mb:.1f} MB  rules: {len(rules)}")

        best = float("inf")
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            result = scan_directory(tree, compiled)
            best = min(best, time.perf_counter() - t0)
        print(f"engine: {best:.2f} s  {mb / best:.1f} MB/s  (score {result.score}, {len(result.findings)} findings;"
              " includes sha256 of every file, archive-free directory walk, decoding and scoring)")

        translated = [(r.id, re2_to_ere(r.pattern)) for r in rules]
        ok = [p for _, p in translated if p]
        skipped = [rid for rid, p in translated if not p]
        pat_file = (tmp or Path(tempfile.mkdtemp(prefix="sigil-speed-"))) / "patterns.txt"
        pat_file.write_text("\n".join(ok) + "\n")
        cmd = ["grep", "-E", "-c", "-f", str(pat_file), "-r", str(tree)]
        env = dict(os.environ, LC_ALL="C")
        gbest = float("inf")
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
            gbest = min(gbest, time.perf_counter() - t0)
        if proc.returncode not in (0, 1):
            print(f"grep failed: {proc.stderr.decode()[:500]}")
        print(f"grep -E -c -f patterns.txt -r: {gbest:.2f} s  {mb / gbest:.1f} MB/s  "
              f"({len(ok)} patterns translated, {len(skipped)} skipped as untranslatable: {', '.join(skipped)})")
        print(f"engine / grep throughput ratio: {(mb / best) / (mb / gbest):.2f}")
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
