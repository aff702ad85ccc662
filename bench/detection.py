"""Measure detection quality: recall on real malware, false positives on popular packages, speed.

Not a test. Reads the malicious archives in place from ../shared/corpus (never extracted,
installed or executed), downloads the benign packages of the benign lists into a cache outside the
repo (~/.cache/sigil-bench, or $SIGIL_BENCH_CACHE), verifies their digests, and scans every
archive in memory with the engine.

Benign lists (ecosystem, name, version; an empty version means the latest release):
  dev    ../shared/corpus/benign-dev.tsv, ../shared/corpus/benign-dev-2.tsv (tune on these)
  check  bench/extra-benign*.tsv (never tune on these: they show whether a change generalises)
For PyPI the sdist is scanned, else a pure-Python wheel; a package with neither, or whose only
files are over 60 MB, is skipped and listed (as is an npm tarball over 60 MB). Resolutions are
cached in the cache's resolved.json so later runs need no network.

    .venv/bin/python bench/detection.py                  # everything, with the CLI timing
    .venv/bin/python bench/detection.py --per-signature  # plus how often each rule fires
    .venv/bin/python bench/detection.py --download-only
    .venv/bin/python bench/detection.py --save /tmp/after.json --compare /tmp/before.json
    .venv/bin/python bench/detection.py --benign bench/extra-benign.tsv --cli 0

Figures:
  recall            share of the malicious packages at high or above (medium or above too)
  FP rate           share of the benign packages at high or above / medium or above, overall,
                    per ecosystem and per list
  cannot scan       archives the engine refused (limits) or could not read: counted apart,
                    never folded into a rate
  engine time       in-process scan time per package (rules compiled once), median and p95
  CLI wall time     `sigil scan ARCHIVE --offline --json` in a fresh process, median, beside the
                    bare interpreter start-up (`python -c pass`) measured in the same run
  synthetic         recall on the synthetic technique cases (tests/scans/engine/techniques.py:
                    PyPI, and npm incidents apart), and their benign neighbours kept below high;
                    printed by every run, alone with --synthetic
"""

from __future__ import annotations

import argparse
import base64
import collections
import concurrent.futures
import csv
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

# ../shared/corpus beside the checkout (a worktree sits one level deeper: look further up too).
CORPUS = Path(os.environ.get("SIGIL_BENCH_CORPUS") or next(
    (p / "shared" / "corpus" for p in REPO_ROOT.parents if (p / "shared" / "corpus").is_dir()),
    REPO_ROOT.parent / "shared" / "corpus"))
MALICIOUS_DIR = CORPUS / "malicious" / "pypi"
DEV_LISTS = [CORPUS / "benign-dev.tsv", CORPUS / "benign-dev-2.tsv"]
CHECK_LISTS = sorted((REPO_ROOT / "bench").glob("extra-benign*.tsv"))
CACHE = Path(os.environ.get("SIGIL_BENCH_CACHE", Path.home() / ".cache" / "sigil-bench"))
PYPI = os.environ.get("SIGIL_BENCH_PYPI", "https://pypi.org")
NPM = os.environ.get("SIGIL_BENCH_NPM", "https://registry.npmjs.org")
UA = {"User-Agent": "sigil-bench/0.2"}
MAX_FILE = 60 * 1024 * 1024
HIGH = {"high", "critical"}
MEDIUM_UP = HIGH | {"medium"}


class Skip(Exception):
    """A package the bench leaves out on purpose (no scannable file, too big)."""


# ------------------------------------------------------------------------------ downloads


def _get(url: str, accept: str | None = None, max_bytes: int | None = None) -> bytes:
    headers = dict(UA)
    if accept:
        headers["Accept"] = accept
    req = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(req, timeout=120) as resp:
        if max_bytes is not None:
            length = resp.headers.get("Content-Length")
            if length and int(length) > max_bytes:
                raise Skip(f"file over {max_bytes // (1024 * 1024)} MB ({int(length) // (1024 * 1024)} MB)")
            data = resp.read(max_bytes + 1)
            if len(data) > max_bytes:
                raise Skip(f"file over {max_bytes // (1024 * 1024)} MB")
            return data
        return resp.read()


def _norm(name: str) -> str:
    return "".join("-" if c in "._" else c for c in name.lower())


def _latest_pypi(doc: dict) -> str:
    """The highest final release that has at least one file not yanked."""
    from packaging.version import InvalidVersion, Version

    live: set[str] = set()
    for f in doc.get("files", []):
        if not f.get("yanked"):
            live.add(f["filename"])
    best = None
    for v in doc.get("versions", []):
        try:
            parsed = Version(v)
        except InvalidVersion:
            continue
        if parsed.is_prerelease or parsed.is_devrelease:
            continue
        if not any(_file_is_version(fn, doc.get("name", ""), v) for fn in live):
            continue
        if best is None or parsed > best[0]:
            best = (parsed, v)
    if best is None:
        raise Skip("no final release with files")
    return best[1]


def _file_is_version(filename: str, name: str, version: str) -> bool:
    from packaging.utils import canonicalize_name, parse_sdist_filename, parse_wheel_filename
    from packaging.version import Version

    try:
        if filename.endswith(".whl"):
            fname, fver = parse_wheel_filename(filename)[:2]
        else:
            fname, fver = parse_sdist_filename(filename)
        return canonicalize_name(fname) == canonicalize_name(name) and fver == Version(version)
    except ValueError:  # an old or odd file name (.tar.bz2, legacy versions): compare the spelling
        prefix = _norm(name).replace("-", "_")
        base = filename.lower().replace("-", "_")
        ver = version.lower().replace("-", "_")
        return base.startswith(f"{prefix}_{ver}") and base[len(prefix) + 1 + len(ver):][:1] in ("", ".", "_")


def _pure_wheel(filename: str) -> bool:
    parts = filename[:-4].split("-")
    return len(parts) >= 5 and parts[-2] == "none" and parts[-1] == "any"


def resolve_pypi(name: str, version: str) -> dict:
    """Choose the file to scan: the sdist, else a pure-Python wheel, each at most 60 MB."""
    doc = json.loads(_get(f"{PYPI}/simple/{_norm(name)}/", "application/vnd.pypi.simple.v1+json"))
    doc.setdefault("name", name)
    version = version or _latest_pypi(doc)
    candidates = [f for f in doc.get("files", []) if _file_is_version(f["filename"], name, version) and not f.get("yanked")]
    if not candidates:
        raise Skip(f"no file for {name}=={version}")
    sdists = sorted((f for f in candidates if f["filename"].endswith((".tar.gz", ".zip", ".tgz", ".tar.bz2"))),
                    key=lambda f: not f["filename"].endswith(".tar.gz"))
    wheels = sorted((f for f in candidates if f["filename"].endswith(".whl") and _pure_wheel(f["filename"])),
                    key=lambda f: f["filename"])
    usable = sdists + wheels
    if not usable:
        raise Skip("neither an sdist nor a pure-Python wheel")
    small = [f for f in usable if (f.get("size") or 0) <= MAX_FILE]
    if not small:
        raise Skip(f"file over 60 MB ({usable[0].get('size', 0) // (1024 * 1024)} MB)")
    chosen = small[0]
    return {"version": version, "file": f"pypi/{chosen['filename']}", "url": chosen["url"],
            "sha256": chosen.get("hashes", {}).get("sha256", "")}


def resolve_npm(name: str, version: str) -> dict:
    doc = json.loads(_get(f"{NPM}/{urllib.parse.quote(name, safe='@')}/{version or 'latest'}"))
    version = doc.get("version") or version
    dist = doc["dist"]
    safe = name.replace("/", "__")
    return {"version": version, "file": f"npm/{safe}-{version}.tgz", "url": dist["tarball"],
            "integrity": dist.get("integrity", ""), "shasum": dist.get("shasum", "")}


def _verify(data: bytes, res: dict, label: str) -> None:
    if res.get("sha256"):
        if hashlib.sha256(data).hexdigest() != res["sha256"]:
            raise RuntimeError(f"sha256 mismatch for {label}")
    elif res.get("integrity", "").startswith("sha512-"):
        got = base64.b64encode(hashlib.sha512(data).digest()).decode()
        if got != res["integrity"][len("sha512-"):]:
            raise RuntimeError(f"integrity mismatch for {label}")
    elif res.get("shasum") and hashlib.sha1(data).hexdigest() != res["shasum"]:
        raise RuntimeError(f"shasum mismatch for {label}")


@dataclass
class Package:
    kind: str  # "malicious" | "dev" | "check"
    source: str  # the list it came from
    eco: str
    label: str
    path: Path | None = None
    skip: str = ""


class Resolutions:
    """resolved.json in the cache: (ecosystem, name, version) -> chosen file or skip reason."""

    def __init__(self) -> None:
        self.path = CACHE / "resolved.json"
        self.lock = threading.Lock()
        try:
            self.data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            self.data = {}

    def save(self) -> None:
        CACHE.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(f".{os.getpid()}.tmp")  # parallel runs must not share it
        tmp.write_text(json.dumps(self.data, indent=1, sort_keys=True))
        tmp.replace(self.path)

    def fetch(self, eco: str, name: str, version: str) -> tuple[str, Path | None, str]:
        """(label, path, skip reason) for one row, downloading when not cached."""
        key = f"{eco}\t{name}\t{version}"
        with self.lock:
            res = self.data.get(key)
        if res is None:
            try:
                res = resolve_pypi(name, version) if eco == "pypi" else resolve_npm(name, version)
            except Skip as exc:
                res = {"skip": str(exc), "version": version}
            with self.lock:
                self.data[key] = res
        label = f"{name}=={res.get('version') or version}" if eco == "pypi" else f"{name}@{res.get('version') or version}"
        if res.get("skip"):
            return label, None, res["skip"]
        dest = CACHE / res["file"]
        if not dest.exists():
            try:
                data = _get(res["url"], max_bytes=MAX_FILE)
            except Skip as exc:
                with self.lock:
                    self.data[key] = {"skip": str(exc), "version": res.get("version", version)}
                return label, None, str(exc)
            _verify(data, res, label)
            dest.parent.mkdir(parents=True, exist_ok=True)
            tmp = dest.with_suffix(dest.suffix + ".part")
            tmp.write_bytes(data)
            tmp.replace(dest)
        return label, dest, ""


def read_list(tsv: Path) -> list[tuple[str, str, str]]:
    with open(tsv, newline="") as fh:
        return [(r["ecosystem"], r["name"], (r.get("version") or "").strip()) for r in csv.DictReader(fh, delimiter="\t")]


def benign_packages(lists: list[tuple[str, Path]], workers: int) -> list[Package]:
    resolutions = Resolutions()
    out: list[Package] = []
    jobs = [(kind, tsv, row) for kind, tsv in lists for row in read_list(tsv)]
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        futs = {pool.submit(resolutions.fetch, *row): (kind, tsv, row) for kind, tsv, row in jobs}
        for fut in concurrent.futures.as_completed(futs):
            kind, tsv, (eco, name, version) = futs[fut]
            try:
                label, path, skip = fut.result()
            except Exception as exc:  # report and go on: one missing package must not stop the run
                label, path, skip = f"{name} {version}".strip(), None, f"download failed: {exc}"
            out.append(Package(kind, tsv.name, eco, label, path, skip))
    resolutions.save()
    return sorted(out, key=lambda p: (p.kind, p.source, p.label))


def malicious_packages() -> list[Package]:
    with open(MALICIOUS_DIR / "MANIFEST.tsv", newline="") as fh:
        return [Package("malicious", "malicious/pypi", "pypi", r["name"], MALICIOUS_DIR / r["file"])
                for r in csv.DictReader(fh, delimiter="\t")]


# ------------------------------------------------------------------------------ scanning


@dataclass
class Outcome:
    pkg: Package
    verdict: str = ""  # "" when refused or failed
    score: int = 0
    ms: float = 0.0
    refused: str = ""  # the engine's reason for "cannot scan"
    crashed: str = ""  # an exception the engine should never raise
    rules: dict[str, int] = field(default_factory=dict)  # rule id -> points summed
    names: dict[str, str] = field(default_factory=dict)  # rule id -> its title
    top: str = ""


def scan_one(compiled, pkg: Package) -> Outcome:
    from scans.engine import EngineError, scan_archive

    name = pkg.label.split("==")[0] if pkg.eco == "pypi" else pkg.label.rsplit("@", 1)[0] or pkg.label
    out = Outcome(pkg)
    t0 = time.perf_counter()
    try:
        res = scan_archive(pkg.path, compiled, filename=pkg.path.name, ecosystem=pkg.eco, package_name=name)
    except EngineError as exc:
        out.refused = f"{type(exc).__name__}: {exc}"
        res = None
    except Exception as exc:  # noqa: BLE001 - an engine bug; counted and shown, the run goes on
        out.crashed = f"{type(exc).__name__}: {exc}"
        res = None
    out.ms = (time.perf_counter() - t0) * 1000
    if res is not None:
        out.verdict, out.score = res.verdict, res.score
        for f in res.findings:
            out.rules[f.rule_id] = out.rules.get(f.rule_id, 0) + f.points
            out.names.setdefault(f.rule_id, f.message)
        fs = sorted(res.findings, key=lambda f: -f.points)[:5]
        out.top = "; ".join(f"{f.rule_id}:{f.message}@{f.file}:{f.line}(+{f.points})" for f in fs)
    return out


def _rate(rows: list[Outcome], verdicts: set[str]) -> str:
    scanned = [o for o in rows if o.verdict]
    if not scanned:
        return "   -  "
    n = sum(1 for o in scanned if o.verdict in verdicts)
    return f"{n / len(scanned) * 100:5.2f}% ({n})"


def _table_line(title: str, rows: list[Outcome]) -> str:
    scanned = sum(1 for o in rows if o.verdict)
    refused = sum(1 for o in rows if o.refused or o.crashed)
    return f"  {title:<28} {scanned:>5} {refused:>7}   {_rate(rows, HIGH):>13}   {_rate(rows, MEDIUM_UP):>13}"


def report(outcomes: list[Outcome], skipped: list[Package], args) -> None:
    mal = [o for o in outcomes if o.pkg.kind == "malicious"]
    benign = [o for o in outcomes if o.pkg.kind != "malicious"]
    print(f"\nmalicious packages: {len(mal)}   benign packages scanned or refused: {len(benign)}"
          f"   skipped: {len(skipped)}")
    scanned_mal = [o for o in mal if o.verdict]
    if mal:
        hi = sum(1 for o in scanned_mal if o.verdict in HIGH)
        med = sum(1 for o in scanned_mal if o.verdict in MEDIUM_UP)
        print(f"recall (high+):   {hi / len(mal):.3f}  ({hi}/{len(mal)})")
        print(f"recall (medium+): {med / len(mal):.3f}  ({med}/{len(mal)})")
        print(f"malicious cannot scan: {sum(1 for o in mal if o.refused or o.crashed)}")
    print(f"\n  {'benign set':<28} {'scanned':>5} {'cannot':>7}   {'FP high+':>13}   {'FP medium+':>13}")
    for kind, title in (("dev", "dev lists"), ("check", "check lists (bench/extra)")):
        rows = [o for o in benign if o.pkg.kind == kind]
        if rows:
            print(_table_line(title, rows))
            for src in sorted({o.pkg.source for o in rows}):
                print(_table_line("  " + src, [o for o in rows if o.pkg.source == src]))
    print(_table_line("ALL benign", benign))
    for eco in ("pypi", "npm"):
        print(_table_line(f"  {eco}", [o for o in benign if o.pkg.eco == eco]))

    times = sorted(o.ms for o in outcomes if o.verdict)
    if times:
        p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
        print(f"\nengine time per package: median {statistics.median(times):.1f} ms, p95 {p95:.1f} ms, "
              f"max {times[-1]:.0f} ms ({len(times)} packages)")

    refused = [o for o in outcomes if o.refused or o.crashed]
    if refused:
        print(f"\ncannot scan ({len(refused)}):")
        for o in refused:
            print(f"  [{o.pkg.kind}] {o.pkg.label}: {'ENGINE CRASH ' + o.crashed if o.crashed else o.refused}")
    if skipped:
        print(f"\nskipped, not scanned ({len(skipped)}):")
        for p in skipped:
            print(f"  [{p.source}] {p.eco} {p.label}: {p.skip}")

    misses = sorted((o for o in mal if o.verdict not in HIGH), key=lambda o: o.score)
    print(f"\nmalicious below high ({len(misses)}):")
    for o in misses[: args.show]:
        print(f"  {o.pkg.label}: {o.verdict or 'cannot scan'} {o.score}  {o.top or o.refused or o.crashed}")
    fps = sorted((o for o in benign if o.verdict in MEDIUM_UP), key=lambda o: -o.score)
    print(f"\nbenign at medium or above ({len(fps)}):")
    for o in fps[: args.show]:
        print(f"  [{o.pkg.kind}] {o.pkg.eco} {o.pkg.label}: {o.verdict} {o.score}  {o.top}")

    if args.per_signature:
        per_signature(outcomes)


def per_signature(outcomes: list[Outcome]) -> None:
    """How many packages of each kind every rule fired in (and in how many benign it mattered)."""
    fired: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    names: dict[str, str] = {}
    for o in outcomes:
        for rule in o.rules:
            names.setdefault(rule, o.names.get(rule, ""))
            fired[rule][o.pkg.kind] += 1
            if o.pkg.kind != "malicious" and o.verdict in MEDIUM_UP:
                fired[rule]["benign_flagged"] += 1
    print("\nper signature: packages each rule fired in "
          "(benign = dev + check lists; flagged = of those, at medium or above)")
    print(f"  {'rule':<40} {'benign':>7} {'flagged':>8} {'dev':>6} {'check':>6} {'malicious':>10}  title")
    order = sorted(fired, key=lambda r: (-(fired[r]["dev"] + fired[r]["check"]), -fired[r]["malicious"], r))
    for rule in order:
        c = fired[rule]
        print(f"  {rule:<40} {c['dev'] + c['check']:>7} {c['benign_flagged']:>8} {c['dev']:>6} {c['check']:>6} "
              f"{c['malicious']:>10}  {names[rule][:60]}")


def compare(outcomes: list[Outcome], before_path: Path) -> None:
    before = {(r["kind"], r["label"]): r for r in json.loads(before_path.read_text())}
    rank = {"": -1, "clean": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}
    up, down = [], []
    for o in outcomes:
        b = before.get((o.pkg.kind, o.pkg.label))
        if b is None or rank[b["verdict"]] == rank[o.verdict]:
            continue
        line = f"  [{o.pkg.kind}] {o.pkg.label}: {b['verdict'] or 'cannot scan'} {b['score']} -> " \
               f"{o.verdict or 'cannot scan'} {o.score}"
        (up if rank[o.verdict] > rank[b["verdict"]] else down).append(line)
    print(f"\ncompared with {before_path}: {len(up)} rose, {len(down)} fell")
    for line in up + down:
        print(line)


def save(outcomes: list[Outcome], path: Path) -> None:
    rows = [{"kind": o.pkg.kind, "source": o.pkg.source, "eco": o.pkg.eco, "label": o.pkg.label,
             "verdict": o.verdict, "score": o.score, "ms": round(o.ms, 2), "refused": o.refused or o.crashed,
             "rules": o.rules} for o in outcomes]
    path.write_text(json.dumps(rows, indent=1))


# ------------------------------------------------------------------------------ synthetic techniques


def synthetic(compiled) -> None:
    """Recall on the synthetic technique cases (tests/scans/engine/techniques.py), npm apart from PyPI."""
    from scans.engine import scan_archive
    from tests.scans.engine.conftest import make_tgz
    from tests.scans.engine.techniques import CASES, package

    print("\nsynthetic techniques (tests/scans/engine/techniques.py):")
    for (eco, malicious), table in CASES.items():
        verdicts = {}
        for case, files in table.items():
            files, root = package(eco, files)
            verdicts[case] = scan_archive(make_tgz(files, root=root), compiled, filename="p.tgz",
                                          ecosystem=eco).verdict
        hits = [c for c, v in verdicts.items() if (v in HIGH) == malicious]
        what = "recall (high+)" if malicious else "benign kept below high"
        print(f"  {eco:4} {'malicious' if malicious else 'benign':9} {what}: {len(hits)}/{len(verdicts)}"
              + "".join(f"\n      {c}: {v}" for c, v in verdicts.items() if c not in hits))


# ------------------------------------------------------------------------------ CLI wall time


def _timed(cmd: list[str], env: dict) -> tuple[float, float, subprocess.CompletedProcess]:
    """Wall seconds and CPU seconds (user + system of the child) of one command."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), proc


def cli_timing(packages: list[Package], count: int) -> None:
    """Median time of `sigil scan ARCHIVE --offline --json` over `count` archives of spread sizes.

    Wall time depends on how busy the machine is, so the child's CPU time (user + system) is given
    too, and both beside a bare interpreter start measured in the same run. Bytecode is written and
    warmed first, as an installed CLI has it (PYTHONDONTWRITEBYTECODE is dropped for these runs).
    """
    archives = sorted((p for p in packages if p.path), key=lambda p: p.path.stat().st_size)
    if not archives or count <= 0:
        return
    step = max(1, len(archives) // count)
    chosen = archives[::step][:count]
    sigil = Path(sys.executable).with_name("sigil")
    cmd = [str(sigil)] if sigil.exists() else [sys.executable, "-m", "cli"]
    home = tempfile.mkdtemp(prefix="sigil-bench-home-")
    env = dict(os.environ, SIGIL_HOME=home, SIGIL_API_URL="http://127.0.0.1:9", NO_COLOR="1")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    try:
        _timed(cmd + ["scan", str(chosen[0].path), "--offline", "--json"], env)  # writes and warms bytecode
        floor_wall, floor_cpu, wall, cpu = [], [], [], []
        for p in chosen:
            w, c, _ = _timed([sys.executable, "-c", "pass"], env)
            floor_wall.append(w)
            floor_cpu.append(c)
            w, c, proc = _timed(cmd + ["scan", str(p.path), "--offline", "--json"], env)
            wall.append(w)
            cpu.append(c)
            if proc.returncode not in (0, 1, 2):
                print(f"  sigil scan {p.path.name} exited {proc.returncode}: {proc.stderr.decode()[-300:]}")
    finally:
        shutil.rmtree(home, ignore_errors=True)
    sizes = [p.path.stat().st_size for p in chosen]
    med = statistics.median
    print(f"\nCLI `sigil scan ARCHIVE --offline --json` over {len(wall)} archives ({min(sizes) // 1024}-{max(sizes) // 1024} KiB):"
          f"\n  wall median {med(wall):.3f} s (max {max(wall):.3f}); CPU median {med(cpu):.3f} s (max {max(cpu):.3f})"
          f"\n  bare `python -c pass`: wall median {med(floor_wall):.3f} s, CPU median {med(floor_cpu):.3f} s"
          f"\n  ratio to bare start: wall {med(wall) / med(floor_wall):.1f}x, CPU {med(cpu) / max(med(floor_cpu), 1e-6):.1f}x")


# ------------------------------------------------------------------------------ main


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--download-only", action="store_true")
    ap.add_argument("--workers", type=int, default=8, help="parallel downloads")
    ap.add_argument("--show", type=int, default=40, help="misses / false positives to list")
    ap.add_argument("--benign", type=Path, action="append", metavar="TSV",
                    help="scan only these benign lists (repeatable; default: the dev and check lists)")
    ap.add_argument("--no-malicious", action="store_true", help="skip the malicious corpus")
    ap.add_argument("--per-signature", action="store_true", help="print how many packages each rule fired in")
    ap.add_argument("--cli", type=int, default=20, metavar="N", help="archives to time through the CLI (0: none)")
    ap.add_argument("--cli-only", action="store_true", help="only the CLI timing (uses the cached benign archives)")
    ap.add_argument("--synthetic", action="store_true",
                    help="only the synthetic technique cases (recall npm apart from PyPI); no downloads")
    ap.add_argument("--save", type=Path, metavar="JSON", help="write every package's verdict and rules")
    ap.add_argument("--compare", type=Path, metavar="JSON", help="list verdict changes against a --save file")
    args = ap.parse_args()

    if args.synthetic:
        from domain.pack import BUILTIN_PACK_PATH
        from scans.engine import compile_rules, load_rules

        synthetic(compile_rules(load_rules(BUILTIN_PACK_PATH)))
        return
    if args.benign:
        lists = [("check" if p.resolve().parent == (REPO_ROOT / "bench") else "dev", p) for p in args.benign]
    else:
        lists = [("dev", p) for p in DEV_LISTS] + [("check", p) for p in CHECK_LISTS]
    benign = benign_packages(lists, args.workers)
    skipped = [p for p in benign if not p.path]
    available = [p for p in benign if p.path]
    print(f"benign packages available: {len(available)}, skipped: {len(skipped)} "
          f"({', '.join(f'{k}: {sum(1 for p in available if p.kind == k)}' for k in ('dev', 'check'))})")
    if args.cli_only:
        cli_timing(available, args.cli)
        return
    if args.download_only:
        for p in skipped:
            print(f"  skipped [{p.source}] {p.eco} {p.label}: {p.skip}")
        return

    from domain.pack import BUILTIN_PACK_PATH
    from scans.engine import compile_rules, load_rules

    compiled = compile_rules(load_rules(BUILTIN_PACK_PATH))
    packages = ([] if args.no_malicious else malicious_packages()) + available
    t0 = time.perf_counter()
    outcomes = [scan_one(compiled, p) for p in packages]
    print(f"scanned {len(outcomes)} packages in {time.perf_counter() - t0:.0f} s")
    report(outcomes, skipped, args)
    synthetic(compiled)
    if args.compare:
        compare(outcomes, args.compare)
    if args.save:
        save(outcomes, args.save)
    cli_timing(available, args.cli)


if __name__ == "__main__":
    main()
