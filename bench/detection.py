"""Measure detection quality: recall on real malware, false positives on popular packages.

Not a test. Reads the malicious archives in place from ../shared/corpus (never extracted,
installed or executed), downloads the benign packages listed in ../shared/corpus/benign-dev.tsv
into a cache outside the repo (~/.cache/sigil-bench), verifies their digests, and scans every
archive in memory with the engine.

    /tmp/probe/bin/python bench/detection.py [--download-only] [--show N] [--workers N] [--extra-benign bench/extra-benign.tsv]
"""

from __future__ import annotations

import argparse
import base64
import concurrent.futures
import csv
import hashlib
import json
import os
import statistics
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

CORPUS = (REPO_ROOT / ".." / "shared" / "corpus").resolve()
MALICIOUS_DIR = CORPUS / "malicious" / "pypi"
BENIGN_TSV = CORPUS / "benign-dev.tsv"
CACHE = Path(os.environ.get("SIGIL_BENCH_CACHE", Path.home() / ".cache" / "sigil-bench"))
PYPI = os.environ.get("SIGIL_BENCH_PYPI", "https://pypi.org")
NPM = os.environ.get("SIGIL_BENCH_NPM", "https://registry.npmjs.org")
UA = {"User-Agent": "sigil-bench/0.1"}


def _get(url: str, accept: str | None = None) -> bytes:
    headers = dict(UA)
    if accept:
        headers["Accept"] = accept
    req = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(req, timeout=60) as resp:
        return resp.read()


def _norm(name: str) -> str:
    return "".join("-" if c in "._" else c for c in name.lower())


def fetch_pypi(name: str, version: str) -> Path:
    """Download the sdist (else a wheel) of name==version via the Simple API JSON form."""
    doc = json.loads(_get(f"{PYPI}/simple/{_norm(name)}/", "application/vnd.pypi.simple.v1+json"))
    files = doc.get("files", [])
    norm_prefix = _norm(name).replace("-", "_")

    def is_version(fn: str) -> bool:
        base = fn.lower().replace("-", "_")
        return base.startswith(f"{norm_prefix}_{version.lower()}") and (
            base[len(norm_prefix) + 1 + len(version):][:1] in ("", ".", "_")
        )

    candidates = [f for f in files if is_version(f["filename"])]
    sdists = [f for f in candidates if f["filename"].endswith((".tar.gz", ".zip", ".tgz"))]
    wheels = [f for f in candidates if f["filename"].endswith(".whl")]
    wheels.sort(key=lambda f: ("none-any" not in f["filename"], f["filename"]))
    chosen = (sdists or wheels or [None])[0]
    if chosen is None:
        raise RuntimeError(f"no file for {name}=={version}")
    dest = CACHE / "pypi" / chosen["filename"]
    if dest.exists():
        return dest
    data = _get(chosen["url"])
    want = chosen.get("hashes", {}).get("sha256")
    if want and hashlib.sha256(data).hexdigest() != want:
        raise RuntimeError(f"sha256 mismatch for {chosen['filename']}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(data)
    return dest


def fetch_npm(name: str, version: str) -> Path:
    """Download name@version's tarball and verify dist.integrity (sha512)."""
    safe = name.replace("/", "__")
    dest = CACHE / "npm" / f"{safe}-{version}.tgz"
    if dest.exists():
        return dest
    doc = json.loads(_get(f"{NPM}/{urllib.parse.quote(name, safe='@')}/{version}"))
    dist = doc["dist"]
    data = _get(dist["tarball"])
    integrity = dist.get("integrity", "")
    if integrity.startswith("sha512-"):
        got = base64.b64encode(hashlib.sha512(data).digest()).decode()
        if got != integrity[len("sha512-"):]:
            raise RuntimeError(f"integrity mismatch for {name}@{version}")
    elif dist.get("shasum") and hashlib.sha1(data).hexdigest() != dist["shasum"]:
        raise RuntimeError(f"shasum mismatch for {name}@{version}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(data)
    return dest


def benign_list(tsv: Path = BENIGN_TSV) -> list[tuple[str, str, str]]:
    with open(tsv, newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    return [(r["ecosystem"], r["name"], r["version"]) for r in rows]


def download_benign(workers: int, tsv: Path = BENIGN_TSV) -> list[tuple[str, str, Path]]:
    out: list[tuple[str, str, Path]] = []

    def one(row):
        eco, name, version = row
        fn = fetch_pypi if eco == "pypi" else fetch_npm
        return eco, f"{name}=={version}" if eco == "pypi" else f"{name}@{version}", fn(name, version)

    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        futs = {pool.submit(one, row): row for row in benign_list(tsv)}
        for fut in concurrent.futures.as_completed(futs):
            try:
                out.append(fut.result())
            except Exception as exc:  # report and go on: one missing package must not stop the run
                print(f"download failed: {futs[fut]}: {exc}", file=sys.stderr)
    return sorted(out, key=lambda r: r[1])


def malicious_list() -> list[tuple[str, str, Path]]:
    rows = []
    with open(MALICIOUS_DIR / "MANIFEST.tsv", newline="") as fh:
        for r in csv.DictReader(fh, delimiter="\t"):
            rows.append(("pypi", r["name"], MALICIOUS_DIR / r["file"]))
    return rows


def scan_one(compiled, eco: str, label: str, path: Path):
    from scans.engine import scan_archive

    name = label.split("==")[0].split("@")[0] if not label.startswith("@") else "@" + label[1:].split("@")[0]
    t0 = time.perf_counter()
    try:
        res = scan_archive(path, compiled, filename=path.name, ecosystem=eco, package_name=name)
        err = None
    except Exception as exc:  # a refused archive counts as a detection (the product refuses it)
        res, err = None, f"{type(exc).__name__}: {exc}"
    return res, err, (time.perf_counter() - t0) * 1000


def top_findings(res, n: int = 4) -> str:
    if res is None:
        return ""
    fs = sorted(res.findings, key=lambda f: -f.points)[:n]
    return "; ".join(f"{f.rule_id}:{f.message}@{f.file}:{f.line}(+{f.points})" for f in fs)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--download-only", action="store_true")
    ap.add_argument("--workers", type=int, default=16)
    ap.add_argument("--show", type=int, default=40, help="misses / false positives to list")
    ap.add_argument("--extra-benign", type=Path, metavar="TSV",
                    help="also scan these benign packages (ecosystem, name, version) and report them apart: "
                         "a held-out check that tuning did not overfit the dev set")
    args = ap.parse_args()

    benign = download_benign(args.workers)
    extra = download_benign(args.workers, args.extra_benign) if args.extra_benign else []
    print(f"benign packages available: {len(benign)}" + (f" (+{len(extra)} extra)" if extra else ""))
    if args.download_only:
        return
    from scans.engine import compile_rules, load_builtin_rules

    compiled = compile_rules(load_builtin_rules())
    malicious = malicious_list()

    times: list[float] = []
    results = {"malicious": [], "benign": [], "extra": []}
    for kind, items in (("malicious", malicious), ("benign", benign), ("extra", extra)):
        for eco, label, path in items:
            res, err, ms = scan_one(compiled, eco, label, path)
            if kind != "extra":
                times.append(ms)
            verdict = res.verdict if res else "critical"
            score = res.score if res else 999
            results[kind].append((label, verdict, score, res, err))

    def share(rows, verdicts):
        return sum(1 for r in rows if r[1] in verdicts) / max(1, len(rows))

    hi = {"high", "critical"}
    med = hi | {"medium"}
    print(f"malicious: {len(results['malicious'])}  benign: {len(results['benign'])}")
    print(f"recall (high+):            {share(results['malicious'], hi):.3f}")
    print(f"false-positive rate (high+): {share(results['benign'], hi):.3f}")
    print(f"recall (medium+):          {share(results['malicious'], med):.3f}")
    print(f"false-positive rate (medium+): {share(results['benign'], med):.3f}")
    times.sort()
    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
    print(f"scan time per package: median {statistics.median(times):.1f} ms, p95 {p95:.1f} ms")

    misses = [r for r in results["malicious"] if r[1] not in hi]
    print(f"\nmisses ({len(misses)}):")
    for label, verdict, score, res, err in sorted(misses, key=lambda r: r[2])[: args.show]:
        print(f"  {label}: {verdict} {score}  {top_findings(res)}")
    fps = [r for r in results["benign"] if r[1] in med]
    print(f"\nbenign at medium or above ({len(fps)}):")
    for label, verdict, score, res, err in sorted(fps, key=lambda r: -r[2])[: args.show]:
        print(f"  {label}: {verdict} {score}  {err or top_findings(res, 6)}")
    if extra:
        rows = results["extra"]
        print(f"\nextra benign ({len(rows)}): high+ {share(rows, hi):.3f}, medium+ {share(rows, med):.3f}")
        for label, verdict, score, res, err in sorted(rows, key=lambda r: -r[2]):
            print(f"  {label}: {verdict} {score}  {err or top_findings(res, 4)}")


if __name__ == "__main__":
    main()
