"""Batch lookup benchmark: POST /v1/lookup with 1,000 items against 1,000,000 threats, and single
GET /v1/threat/{hash} in the same run, on the production stack (scripts/prod) driven by wrk.

    python bench/lookup_load.py --database-url postgres://postgres@127.0.0.1:5432/sigil_bench_lookup

Seeds 1,000,000 threats (bench/seed_threats.py) of which --packages have a package each (an exact
version, every other one an OSV range too). Every batch holds 1,000 items: 400 ecosystem/name/version
items of seeded packages (a third on the listed version, a third inside the range, a third clean),
300 purls of unknown packages, 200 hashes of seeded threats and 100 unknown hashes. Prints the batch's
p50/p99 latency and items per second against single-hash lookups (requests per second).
Targets: batch p99 < 150 ms and batch items/s >= 50 x single-lookup requests/s.
"""
import argparse
import json
import os
import random
import secrets
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.api_load import bench_stack, run_wrk, stack_arguments, threat_paths  # noqa: E402

BATCH = 1000
TARGET_P99_MS = 150.0
TARGET_RATIO = 50.0


def lookup_body(threats: int, packages: int, seed: int = 11) -> str:
    from bench.seed_threats import bench_package, threat_hash

    rng = random.Random(seed)
    items = []
    for n in range(400):
        ecosystem, name, version = bench_package(rng.randrange(packages))
        version = [version, "2.5.0", "9.9.9"][n % 3]  # listed, inside the range (every other package), clean
        items.append({"ecosystem": ecosystem, "name": name, "version": version})
    items += [{"purl": f"pkg:npm/unknown-{secrets.token_hex(4)}@1.0.{n}"} for n in range(300)]
    items += [{"hash": threat_hash(rng.randrange(threats))} for _ in range(200)]
    items += [{"hash": "sha256:" + secrets.token_hex(32)} for _ in range(100)]
    rng.shuffle(items)
    assert len(items) == BATCH
    return json.dumps({"packages": items})


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    stack_arguments(parser)
    parser.add_argument("--packages", type=int, default=100_000, help="seeded threats that also name a package")
    parser.add_argument("--batch-connections", type=int, default=2,
                        help="wrk connections for the batch run (latency is measured, not a queue)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("lookup_load: install wrk (apt-get install wrk)")

    with bench_stack(args, packages=args.packages) as (url, workdir, tokens_file, env):
        body = lookup_body(args.threats, args.packages)
        import requests

        token = tokens_file.read_text().split()[0]
        check = requests.post(url + "/v1/lookup", data=body, timeout=30,
                              headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"}).json()
        print(f"lookup_load: one batch answers {check['summary']}", flush=True)
        run_wrk(args, workdir, url, "warm-up", ["/v1/ping"], tokens_file, duration=3)
        single = run_wrk(args, workdir, url, "single GET /v1/threat/{hash}", threat_paths(args.threats), tokens_file)
        batch_args = argparse.Namespace(**{**vars(args), "connections": args.batch_connections,
                                           "threads": min(args.threads, args.batch_connections)})
        batch = run_wrk(batch_args, workdir, url, "POST /v1/lookup x1000", ["/v1/lookup"], tokens_file,
                        method="POST", body=body)

    items_per_second = batch["rps"] * BATCH
    ratio = items_per_second / single["rps"]
    p99 = batch["p99_us"] / 1000
    print(f"\n{args.threats:,} threats ({args.packages:,} with packages), {args.users} users, "
          f"WEB_CONCURRENCY={env.get('WEB_CONCURRENCY', 'default')}, {os.cpu_count()} CPUs, {args.duration}s each")
    print(f"{'run':32} {'conns':>5} {'req/s':>8} {'items/s':>9} {'p50 ms':>7} {'p99 ms':>7}  statuses")
    for result, connections, per_request in ((single, args.connections, 1), (batch, args.batch_connections, BATCH)):
        statuses = f"2xx={result['s2xx']} 429={result['s429']} 4xx={result['s4xx']} 5xx={result['s5xx']}"
        print(f"{result['name']:32} {connections:5} {result['rps']:8.1f} {result['rps'] * per_request:9.0f} "
              f"{result['p50_us'] / 1000:7.1f} {result['p99_us'] / 1000:7.1f}  {statuses}")
    print(f"\nbatch p99 {p99:.1f} ms (target < {TARGET_P99_MS:.0f} ms) {'PASS' if p99 < TARGET_P99_MS else 'FAIL'}")
    print(f"batch items/s / single req/s = {ratio:.1f} (target >= {TARGET_RATIO:.0f}) "
          f"{'PASS' if ratio >= TARGET_RATIO else 'FAIL'}")
    if args.json:
        args.json.write_text(json.dumps({"single": single, "batch": batch, "ratio": ratio}, indent=2))


if __name__ == "__main__":
    main()
