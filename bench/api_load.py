"""API load benchmark: the production stack (scripts/prod) on loopback, driven by wrk.

    python bench/api_load.py                      # defaults below; needs wrk, PostgreSQL, Redis
    python bench/api_load.py --duration 20 --connections 32

Starts gunicorn + Celery worker + beat with scripts/prod against a dedicated PostgreSQL database
(sigil_bench) and Redis db 14, seeds 1,000,000 threats (bench/seed_threats.py) and bench users,
then runs each endpoint for --duration seconds and prints requests/s, p50 and p99 latency, and
each as a ratio to GET /v1/ping (authentication + rate limiting only) measured in the same run.
Every request rotates through the bench users' tokens so tier limits (team: 600/min) never
answer 429. After the POST /v1/scan load it counts stored Scan rows against the 201s.
"""
import argparse
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGETS = {"threat lookup": (0.7, 20.0), "scan ingest": (0.4, None)}  # (min throughput ratio, max p99 ms)

LUA = r"""
local tokens, paths = {}, {}
for line in io.lines("@TOKENS@") do tokens[#tokens + 1] = line end
for line in io.lines("@PATHS@") do paths[#paths + 1] = line end
local method, body_template, run = "@METHOD@", [==[@BODY@]==], "@RUN@"
local threads = {}
counter, id, s2xx, s201, s429, s4xx, s5xx, sother = 0, 0, 0, 0, 0, 0, 0, 0
created = nil

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  if method == "POST" then
    -- Every scan_id answered with 201, one per line, so the bench can find each stored row.
    created = io.open("@CREATED@" .. id, "w")
    created:setvbuf("line")
  end
end

function request()
  counter = counter + 1
  local n = counter * 7 + id * 104729
  local headers = {["Authorization"] = "Bearer " .. tokens[(n % #tokens) + 1]}
  local body = nil
  if method == "POST" then
    headers["Content-Type"] = "application/json"
    body = string.gsub(body_template, "@QID@", run .. "-" .. id .. "-" .. counter)
  end
  return wrk.format(method, paths[(n % #paths) + 1], headers, body)
end

function response(status, headers, body)
  if status == 201 then
    s201 = s201 + 1
    if created then created:write((string.match(body, '"scan_id":"(scn_[a-z0-9]+)"') or "missing"), "\n") end
  end
  if status >= 200 and status < 300 then s2xx = s2xx + 1
  elseif status == 429 then s429 = s429 + 1
  elseif status >= 500 then s5xx = s5xx + 1
  elseif status >= 400 then s4xx = s4xx + 1
  else sother = sother + 1 end
end

function done(summary, latency, requests)
  local c = {s2xx = 0, s201 = 0, s429 = 0, s4xx = 0, s5xx = 0, sother = 0}
  for _, t in ipairs(threads) do
    for k, _ in pairs(c) do c[k] = c[k] + t:get(k) end
  end
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "mean_us": %.1f, ' ..
    '"socket_errors": %d, "s2xx": %d, "s201": %d, "s429": %d, "s4xx": %d, "s5xx": %d, "sother": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.mean,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    c.s2xx, c.s201, c.s429, c.s4xx, c.s5xx, c.sother))
end
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ensure_database(database_url: str):
    import psycopg
    from urllib.parse import urlsplit

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    if "bench" not in name:
        raise SystemExit("api_load: the database name must contain 'bench' (it gets a million rows)")
    with psycopg.connect(database_url.replace(parts.path, "/postgres"), autocommit=True) as admin:
        if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            admin.execute(f'CREATE DATABASE "{name}"')


def prod(command: str, env: dict, *, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([str(ROOT / "scripts" / "prod"), command], cwd=ROOT, env=env, check=check,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def bench_users(count: int) -> list[str]:
    """Team-tier users (high limits), created in bulk without password hashing; their tokens."""
    from accounts.models import User
    from sigil.api.authentication import issue_access_token

    emails = [f"bench-{i:05d}@bench.invalid" for i in range(count)]
    known = set(User.objects.filter(email__in=emails).values_list("email", flat=True))
    new = []
    for email in emails:
        if email not in known:
            user = User(email=email, name="bench", tier="team")
            user.set_unusable_password()
            new.append(user)
    User.objects.bulk_create(new, batch_size=1000)
    return [issue_access_token(u) for u in User.objects.filter(email__in=emails).order_by("email")]


def threat_paths(threat_count: int, count: int = 20000) -> list[str]:
    """Four in five look up a seeded threat, one in five an unknown hash."""
    import random

    from bench.seed_threats import threat_hash

    rng = random.Random(7)
    paths = []
    for i in range(count):
        if i % 5 == 4:
            paths.append("/v1/threat/sha256:" + secrets.token_hex(32))
        else:
            paths.append("/v1/threat/" + threat_hash(rng.randrange(threat_count)))
    return paths


def scan_body(source_hash: str) -> str:
    phases = [{"phase": 1, "name": "install_hooks", "score": 0, "findings": []},
              {"phase": 2, "name": "code_patterns", "score": 10, "findings": ["eval() in src/utils.py:42"]},
              {"phase": 3, "name": "network_exfil", "score": 3, "findings": ["requests.post in src/api.py:18"]},
              {"phase": 4, "name": "credentials", "score": 2, "findings": ["os.environ in src/config.py:5"]},
              {"phase": 5, "name": "obfuscation", "score": 0, "findings": []},
              {"phase": 6, "name": "provenance", "score": 0, "findings": []}]
    return json.dumps({
        "quarantine_id": "@QID@", "source_type": "npm", "source_ref": "aws-helper-utils",
        "source_hash": source_hash, "score": 15, "verdict": "medium", "phases": phases,
        "file_stats": {"total_files": 24, "python": 12, "javascript": 8, "other": 4, "total_size_bytes": 145920},
        "cli_version": "0.1.0",
    })


def run_wrk(args, workdir: Path, url: str, name: str, paths: list[str], tokens_file: Path, *,
            method: str = "GET", body: str = "", run: str = "", duration: int | None = None) -> dict:
    slug = re.sub(r"[^a-z0-9]+", "_", name.lower())
    paths_file = workdir / f"{slug}.paths"
    paths_file.write_text("\n".join(paths) + "\n")
    script = workdir / f"{slug}.lua"
    script.write_text(LUA.replace("@TOKENS@", str(tokens_file)).replace("@PATHS@", str(paths_file))
                      .replace("@METHOD@", method).replace("@CREATED@", str(workdir / f"{slug}.created.")).replace("@BODY@", body).replace("@RUN@", run))
    command = ["wrk", "-t", str(args.threads), "-c", str(args.connections), "-d", f"{duration or args.duration}s",
               "--timeout", "10s", "-s", str(script), url]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("WRKJSON "))
    result = json.loads(line.removeprefix("WRKJSON "))
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["name"] = name
    return result


def stack_env(args, *, port: int, state: Path, **extra: str) -> dict:
    """The environment of a production stack (scripts/prod) on the bench database and Redis."""
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url, "REDIS_URL": args.redis_url, "CELERY_BROKER_URL": args.redis_url,
        "SECRET_KEY": os.environ.get("SECRET_KEY") or "bench-" + "k" * 50,
        "PORT": str(port), "SIGIL_PROD_DIR": str(state), "DJANGO_SETTINGS_MODULE": "sigil.settings",
        "SIGIL_VENV": os.environ.get("SIGIL_VENV") or (sys.prefix if sys.prefix != sys.base_prefix else ""),
        "LOG_LEVEL": "WARNING", **extra,
    }
    if not env["SIGIL_VENV"]:
        env.pop("SIGIL_VENV")
    return env


def release_and_setup(env: dict, database_url: str, label: str) -> None:
    """Run the release (migrations, signature pack) on the bench database and set Django up in this
    process with the stack's settings, so the bench can seed rows."""
    os.environ.update({k: v for k, v in env.items() if k != "PORT"})
    ensure_database(database_url)
    print(f"{label}: release (migrations, signature pack) on {database_url}", flush=True)
    prod("release", env)
    import django

    django.setup()


@contextmanager
def bench_stack(args, *, packages: int = 0):
    """Release, seed threats (and packages), make bench users, start scripts/prod on a free port;
    yields (url, workdir, tokens_file, env) and stops the stack afterwards."""
    port = free_port()
    state = Path(tempfile.mkdtemp(prefix="sigil-bench-"))
    env = stack_env(args, port=port, state=state)
    if args.web_workers:
        env["WEB_CONCURRENCY"] = str(args.web_workers)
    release_and_setup(env, args.database_url, "bench")
    from bench.seed_threats import seed, seed_packages

    started = time.monotonic()
    added = seed(args.threats)
    print(f"bench: threats: {added} added, {args.threats} present ({time.monotonic() - started:.0f} s)", flush=True)
    if packages:
        added = seed_packages(packages)
        print(f"bench: packages: {added} added, {packages} present ({time.monotonic() - started:.0f} s)", flush=True)
    tokens_file = state / "tokens"
    tokens_file.write_text("\n".join(bench_users(args.users)) + "\n")

    print(f"bench: starting the stack (scripts/prod start) on port {port}", flush=True)
    started_stack = prod("start", env, check=False)
    if started_stack.returncode != 0:
        print(started_stack.stdout, file=sys.stderr)
        raise SystemExit("bench: the stack did not start")
    try:
        yield f"http://127.0.0.1:{port}", state, tokens_file, env
    finally:
        stopped = prod("stop", env, check=False)
        print(stopped.stdout.strip().splitlines()[-1] if stopped.stdout.strip() else "", flush=True)


def stack_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of bench_stack and run_wrk, shared with bench/lookup_load.py."""
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/sigil_bench")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--threats", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--duration", type=int, default=10, help="seconds per endpoint")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--web-workers", type=int, default=None, help="WEB_CONCURRENCY (default: gunicorn.conf.py's)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    stack_arguments(parser)
    parser.add_argument("--only", action="append", default=[], metavar="NAME",
                        help="run only this endpoint besides the baselines (repeatable), e.g. 'scan ingest'")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("api_load: install wrk (apt-get install wrk)")

    with bench_stack(args) as (url, workdir, tokens_file, env):
        import requests

        from bench.seed_threats import threat_hash

        token = tokens_file.read_text().split()[0]
        full = requests.get(url + "/v1/signatures", headers={"Authorization": f"Bearer {token}"}, timeout=10).json()
        delta_path = "/v1/signatures?" + urlencode({"next_sync_token": full["next_sync_token"]})
        run_id = f"bench-{int(time.time())}"
        body = scan_body(threat_hash(12345))

        run_wrk(args, workdir, url, "warm-up", ["/v1/ping", "/v1/auth/me"], tokens_file, duration=3)
        endpoints = {  # name: (paths, run_wrk options)
            "threat lookup": (threat_paths(args.threats), {}),
            "signatures full": (["/v1/signatures"], {}),
            "signatures delta": ([delta_path], {}),
            "auth me": (["/v1/auth/me"], {}),
            "scan ingest": (["/v1/scan"], {"method": "POST", "body": body, "run": run_id}),
        }
        if unknown := set(args.only) - endpoints.keys():
            raise SystemExit(f"api_load: unknown endpoint(s) {sorted(unknown)}; choose from {sorted(endpoints)}")
        results = [run_wrk(args, workdir, url, "baseline GET /v1/ping", ["/v1/ping"], tokens_file)]
        results += [run_wrk(args, workdir, url, name, paths, tokens_file, **options)
                    for name, (paths, options) in endpoints.items() if not args.only or name in args.only]
        results.append(run_wrk(args, workdir, url, "baseline again", ["/v1/ping"], tokens_file))
        from scans.models import Scan

        stored = Scan.objects.filter(quarantine_id__startswith=run_id + "-").count()
        answered = [line for f in workdir.glob("scan_ingest.created.*") for line in f.read_text().split()]
        found = set(Scan.objects.filter(public_id__in=answered).values_list("public_id", flat=True))
        missing = [scan_id for scan_id in answered if scan_id not in found]

    baseline = (results[0]["rps"] + results[-1]["rps"]) / 2
    print(f"\nwrk -t{args.threads} -c{args.connections} -d{args.duration}s, {args.threats:,} threats, "
          f"{args.users} users, WEB_CONCURRENCY={env.get('WEB_CONCURRENCY', 'default')}, {os.cpu_count()} CPUs")
    print(f"{'endpoint':24} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'x base':>7}  statuses")
    verdicts = []
    for r in results:
        ratio = r["rps"] / baseline
        statuses = f"2xx={r['s2xx']} 429={r['s429']} 4xx={r['s4xx']} 5xx={r['s5xx']} sock={r['socket_errors']}"
        print(f"{r['name']:24} {r['rps']:8.0f} {r['p50_us'] / 1000:7.1f} {r['p99_us'] / 1000:7.1f} {ratio:7.2f}  {statuses}")
        r["ratio"] = ratio
        if r["name"] in TARGETS:
            min_ratio, max_p99 = TARGETS[r["name"]]
            ok = ratio >= min_ratio and (max_p99 is None or r["p99_us"] / 1000 < max_p99)
            verdicts.append(f"{r['name']}: ratio {ratio:.2f} (target ≥ {min_ratio})"
                            + (f", p99 {r['p99_us'] / 1000:.1f} ms (target < {max_p99} ms)" if max_p99 else "")
                            + (" PASS" if ok else " FAIL"))
    scan = next((r for r in results if r["name"] == "scan ingest"), None)
    if scan is not None:
        print(f"\nscan ingest: {scan['s201']} answered 201 ({len(answered)} scan_ids recorded), "
              f"{len(answered) - len(missing)} of them found stored, {len(missing)} missing"
              f" -> {'every 201 is a stored row' if not missing and len(answered) == scan['s201'] else 'MISMATCH'};"
              f" {stored} rows in all (the rest were in flight when wrk stopped)")
    print("\n".join(verdicts))
    if args.json:
        args.json.write_text(json.dumps({"results": results, "baseline_rps": baseline, "scan_201": scan and scan["s201"],
                                         "scan_rows": stored, "scan_201_missing": missing}, indent=2))


if __name__ == "__main__":
    main()
