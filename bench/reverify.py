"""Re-verification benchmark: the production stack (scripts/prod: web + Celery worker + beat) on loopback.

    python bench/reverify.py                          # 10,000 verified results, a threat affecting 50
    python bench/reverify.py --redis-url redis://127.0.0.1:6388/13

Stores --verifications unexpired verified npm results (bulk rows, as finished verifications leave
them: artifact hash, file hashes in ArtifactFile, the scan in ArtifactScan) served by a fake npm
registry on loopback, starts the stack against a dedicated database (name must contain "bench"),
then, each timed from the commit that records the change until its pass has finished:

1. baseline: a threat whose hash no stored artifact holds (it affects none): the stack's own latency;
2. a threat whose hash is a file inside --affected artifacts: must revoke exactly those;
3. a signature whose file_globs no stored artifact has: must finish with no download at all;
4. a signature whose file_globs only the affected artifacts have: one download per artifact.

Prints times, the ratio of (2) to the baseline (1), counts and registry downloads.
Targets (issue 18): (2) revokes exactly the affected results within 30 s; (3) downloads nothing.
"""
import argparse
import hashlib
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.api_load import free_port, prod, release_and_setup, stack_env  # noqa: E402

PAYLOAD = "module.exports = () => require('child_process').exec(process.env.X);\n"


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def build_packages(count: int, affected: int) -> dict:
    """{name: (tarball, {path: file bytes})}; the first `affected` also hold lib/payload.js."""
    from tests.fakes.servers import make_targz

    packages = {}
    for i in range(count):
        name = f"bench-rv-{i:05d}"
        files = {"package.json": f'{{"name": "{name}", "version": "1.0.0", "main": "index.js"}}',
                 "index.js": f"module.exports = (a, b) => a + b + {i};\n"}
        if i < affected:
            files["lib/payload.js"] = PAYLOAD
        packages[name] = (make_targz(files, root="package"), {f"package/{p}": c.encode() for p, c in files.items()})
    return packages


def seed(packages: dict) -> dict:
    """Store one verified result per package; returns {name: verification pk}."""
    from django.utils import timezone

    from accounts.models import User
    from marketplace.models import ArtifactFile, ArtifactScan, IntelChange, Verification
    from signatures.selectors import signatures_fingerprint

    Verification.objects.all().delete()
    ArtifactFile.objects.all().delete()
    ArtifactScan.objects.all().delete()
    IntelChange.objects.all().delete()
    owner, _ = User.objects.get_or_create(email="reverify@bench.invalid", defaults={"name": "bench", "tier": "team"})
    fingerprint = signatures_fingerprint()
    now = timezone.now()
    rows, files, scans = [], [], []
    for name, (tarball, contents) in packages.items():
        artifact = sha256(tarball)
        rows.append(Verification(owner=owner, source_type="npm", source_ref=name, requested_version="1.0.0",
                                 source_version="1.0.0", status="verified", score=0, verdict="clean",
                                 details={"phases_clean": [1, 2, 3, 4, 5, 6], "phases_flagged": [],
                                          "publisher_reputation": None, "known_threats": 0},
                                 artifact_hash=artifact, artifact_filename=f"{name}-1.0.0.tgz",
                                 signatures_fingerprint=fingerprint, verified_at=now,
                                 expires_at=now + timedelta(days=30), created_at=now))
        files += [ArtifactFile(artifact_hash=artifact, path=path, sha256=sha256(data)) for path, data in contents.items()]
        scans.append(ArtifactScan(artifact_hash=artifact, fingerprint=fingerprint, score=0, verdict="clean"))
    Verification.objects.bulk_create(rows, batch_size=2000)
    ArtifactFile.objects.bulk_create(files, batch_size=5000)
    ArtifactScan.objects.bulk_create(scans, batch_size=2000)
    return dict(Verification.objects.filter(owner=owner).values_list("source_ref", "pk"))


def wait_finished(kind: str, subject: str, started: float, timeout: float) -> tuple[float | None, object]:
    """Seconds from `started` until the change's pass has finished (None: timed out), and the change."""
    from marketplace.models import IntelChange

    deadline = started + timeout
    while time.monotonic() < deadline:
        change = IntelChange.objects.filter(kind=kind, subject=subject).order_by("-pk").first()
        if change is not None and change.finished_at is not None:
            return time.monotonic() - started, change
        time.sleep(0.05)
    return None, IntelChange.objects.filter(kind=kind, subject=subject).order_by("-pk").first()


def record_threat(reporter, analyst, content_hash: str):
    from intel import services

    report = services.report_submit(user=reporter, source_type="url", source_ref="https://bench.invalid/payload.js",
                                    source_hash=content_hash, category="backdoor", severity="critical",
                                    description="bench: a payload file", package=None)
    started = time.monotonic()  # report_review commits on return: the clock starts at the change
    services.report_review(report=report, actor=analyst, action="verify", reason="bench")
    report.refresh_from_db()
    return report.threat, started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/sigil_bench_reverify")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--verifications", type=int, default=10_000)
    parser.add_argument("--affected", type=int, default=50)
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args()

    from tests.fakes.servers import FakeNpm

    print(f"reverify: building {args.verifications:,} packages", flush=True)
    packages = build_packages(args.verifications, args.affected)
    registry = FakeNpm({name: {"versions": {"1.0.0": tarball}, "latest": "1.0.0", "npm_user": "bench",
                               "maintainers": ["bench"]} for name, (tarball, _) in packages.items()})
    registry.__enter__()
    port = free_port()
    state = Path(tempfile.mkdtemp(prefix="sigil-bench-reverify-"))
    env = stack_env(args, port=port, state=state, NPM_REGISTRY_URL=registry.url,
                    SIGIL_OUTBOUND_ALLOWLIST=registry.hostport)
    release_and_setup(env, args.database_url, "reverify")
    from accounts.models import User
    from marketplace.models import Verification
    from signatures.services import signature_create

    started = time.monotonic()
    ids = seed(packages)
    affected = {ids[f"bench-rv-{i:05d}"] for i in range(args.affected)}
    print(f"reverify: stored {len(ids):,} verified results ({time.monotonic() - started:.1f} s)", flush=True)
    # A new reporter per run: reports are limited per hour.
    reporter = User.objects.create(email=f"reporter-{time.time_ns()}@bench.invalid", name="r", tier="team")
    analyst, _ = User.objects.get_or_create(email="analyst@bench.invalid",
                                            defaults={"name": "a", "tier": "team", "is_staff": True})

    print(f"reverify: starting the stack (scripts/prod start: web, worker, beat) on port {port}", flush=True)
    started_stack = prod("start", env, check=False)
    if started_stack.returncode != 0:
        print(started_stack.stdout, file=sys.stderr)
        raise SystemExit("reverify: the stack did not start")
    results = {}
    try:
        run_tag = str(time.time_ns())
        # 1. baseline: a threat no stored artifact holds.
        threat, t0 = record_threat(reporter, analyst, sha256(f"nothing {run_tag}".encode()))
        results["baseline"] = wait_finished("threat", threat.reference, t0, args.timeout)
        # 2. a threat inside `affected` artifacts.
        threat, t0 = record_threat(reporter, analyst, sha256(PAYLOAD.encode()))
        seconds, change = wait_finished("threat", threat.reference, t0, args.timeout)
        revoked = set(Verification.objects.filter(status="revoked").values_list("pk", flat=True))
        results["threat"] = (seconds, change)
        downloads_before = sum(1 for r in registry.requests if r["path"].startswith("/-/"))
        # 3. a signature for files no stored artifact has.
        t0 = time.monotonic()
        signature = signature_create(phase=2, name=f"bench ps1 {run_tag}", description="bench", pattern=r"IEX\s*\(",
                                     severity="critical", weight=60, ecosystem="generic", file_globs=["*.ps1"])
        results["signature none"] = wait_finished("signature", signature.public_id, t0, args.timeout)
        downloads_none = sum(1 for r in registry.requests if r["path"].startswith("/-/")) - downloads_before
        # 4. a signature for a file only the affected artifacts have (now revoked: nothing live to re-scan),
        #    so first reinstate them as verified to measure the downloads it needs.
        Verification.objects.filter(pk__in=affected).update(status="verified", revoked_at=None, revocation={})
        t0 = time.monotonic()
        signature = signature_create(phase=2, name=f"bench payload {run_tag}", description="bench",
                                     pattern=r"zzzz_never_matches", severity="low", weight=1, ecosystem="generic",
                                     file_globs=["payload.js"])
        results["signature some"] = wait_finished("signature", signature.public_id, t0, args.timeout)
        downloads_some = sum(1 for r in registry.requests if r["path"].startswith("/-/")) - downloads_before - downloads_none
    finally:
        stopped = prod("stop", env, check=False)
        print(stopped.stdout.strip().splitlines()[-1] if stopped.stdout.strip() else "", flush=True)
        registry.__exit__(None, None, None)

    def line(name, result, extra=""):
        seconds, change = result
        took = f"{seconds:6.2f} s" if seconds is not None else "TIMEOUT"
        counts = (f"candidates {change.candidates}, revoked {change.revoked}, downloads {change.downloads}, "
                  f"answered from the store {change.answered_from_store}") if change else "no change recorded"
        print(f"{name:34} {took}  {counts}{extra}")

    print(f"\n{args.verifications:,} unexpired verified results, {args.affected} hold the threat's file; "
          f"worker concurrency {os.environ.get('CELERY_CONCURRENCY', 2)}, {os.cpu_count()} CPUs")
    line("baseline: threat affecting none", results["baseline"])
    line("threat affecting the 50", results["threat"])
    line("signature whose files none has", results["signature none"], f", registry downloads {downloads_none}")
    line("signature for the 50's file", results["signature some"], f", registry downloads {downloads_some}")
    base, took = results["baseline"][0], results["threat"][0]
    if base and took:
        print(f"threat pass / baseline pass: {took / base:.2f}")
    exact = revoked == affected
    print(f"revoked exactly the {args.affected}: {'yes' if exact else 'NO'} ({len(revoked)} revoked, "
          f"{len(revoked & affected)} of them affected)")
    ok = exact and took is not None and took < 30 and downloads_none == 0 and results["signature none"][0] is not None
    print(f"targets (exactly {args.affected} within 30 s; no download for the signature affecting none): "
          f"{'PASS' if ok else 'FAIL'}")


if __name__ == "__main__":
    main()
