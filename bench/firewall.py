"""Firewall benchmark: the PyPI proxy against the upstream it fronts, measured in the same run.

    python bench/firewall.py [--requests 300] [--database-url postgres://...]

Starts the tests' fake PyPI (tests/fakes/servers.py) on loopback with a 20-package dependency tree
(tree-root requires pkg-01..pkg-19), and Sigil under gunicorn (one sync worker) with PYPI_URL set to
it. Prints:
- p50/p99 of GET /simple/<project>/ (PEP 691 JSON) through the proxy with a warm metadata cache,
  against the same request to the fake upstream directly (target: proxy p50 <= 1.5 x upstream p50),
  and the same server's /healthz as the floor any Django request pays here;
- the time of `pip download tree-root` (20 wheels) through the proxy, warm (every file verified once
  before), against `pip download` straight from the fake upstream (the mean of --pip-runs runs).
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_RATIO = 1.5


def tree():
    from tests.fakes.servers import make_wheel

    deps = [f"pkg-{n:02d}" for n in range(1, 20)]
    projects = {"tree-root": {"versions": {"1.0": {"tree_root-1.0-py3-none-any.whl":
                                                   make_wheel("tree-root", "1.0", requires=deps)}}, "latest": "1.0"}}
    for name in deps:
        projects[name] = {"versions": {v: {f"{name.replace('-', '_')}-{v}-py3-none-any.whl": make_wheel(name, v)}
                                       for v in ("1.0", "1.1", "2.0")}, "latest": "2.0"}
    return projects


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def timed_gets(session, url, headers, n):
    """n sequential GETs on one kept-alive connection per server. The fake upstream sets TCP_NODELAY
    (tests/fakes/servers.py), so its answers no longer wait out a delayed ACK (~40 ms each before):
    the direct baseline is what a loopback Python server really takes."""
    times = []
    for _ in range(n):
        started = time.perf_counter()
        response = session.get(url, headers=headers, timeout=30)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code, response.text[:300])
    return times


def pip_download(index_url, dest, env):
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "pip", "download", "--no-cache-dir", "--retries", "0", "-q",
                             "--index-url", index_url, "-d", dest, "tree-root"], env=env, capture_output=True,
                            text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"pip download failed:\n{result.stdout}\n{result.stderr}")
    downloaded = len(os.listdir(dest))
    if downloaded != 20:
        raise SystemExit(f"pip download fetched {downloaded} files, not 20")
    return elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--pip-runs", type=int, default=3)
    parser.add_argument("--port", type=int, default=8761)
    parser.add_argument("--database-url", help="PostgreSQL (default: a temporary SQLite file)")
    args = parser.parse_args()

    import requests

    from tests.fakes.servers import FakePyPI

    work = tempfile.mkdtemp(prefix="sigil-bench-firewall-")
    with FakePyPI(tree()) as upstream:
        env = {**os.environ, "PYPI_URL": upstream.url, "SIGIL_OUTBOUND_ALLOWLIST": upstream.hostport,
               "SQLITE_PATH": f"{work}/db.sqlite3", "WEB_CONCURRENCY": "1", "PORT": str(args.port),
               "HOST": "127.0.0.1", "SIGIL_PUBLIC_URL": f"http://127.0.0.1:{args.port}", "DEBUG": "0",
               "SECRET_KEY": "bench-only-secret-key-" + "x" * 40, "GUNICORN_LOG_LEVEL": "warning"}
        for key in ("REDIS_URL", "CELERY_BROKER_URL", "DATABASE_URL"):
            env.pop(key, None)
        if args.database_url:
            env["DATABASE_URL"] = args.database_url
        manage = [sys.executable, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "-v", "0"], env=env, check=True, cwd=ROOT)
        token = subprocess.run([*manage, "shell", "-c", (
            "from accounts.models import User; from firewall.services import install_token_create; "
            "u = User.objects.filter(email='bench@example.com').first() or "
            "User.objects.create_user('bench@example.com', 'bench-password-123'); "
            # Team tier: the run sends a few hundred proxy requests a minute (free allows 300).
            "u.tier = 'team'; u.save(update_fields=['tier']); "
            "print(install_token_create(user=u, name='bench')[1])")],
            env=env, check=True, cwd=ROOT, capture_output=True, text=True).stdout.strip().splitlines()[-1]
        server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"),
                                   "sigil.wsgi"], env=env, cwd=ROOT)
        try:
            proxy = f"http://127.0.0.1:{args.port}"
            session = requests.Session()
            for _ in range(100):
                try:
                    session.get(f"{proxy}/healthz", timeout=1)
                    break
                except requests.RequestException:
                    time.sleep(0.2)
            accept = {"Accept": "application/vnd.pypi.simple.v1+json"}
            auth = {**accept, "Authorization": "Basic " + __import__("base64").b64encode(
                f"__token__:{token}".encode()).decode()}
            timed_gets(session, f"{proxy}/simple/pkg-01/", auth, 5)  # warm the metadata cache
            timed_gets(session, f"{upstream.url}/simple/pkg-01/", accept, 5)
            proxied = timed_gets(session, f"{proxy}/simple/pkg-01/", auth, args.requests)
            direct = timed_gets(session, f"{upstream.url}/simple/pkg-01/", accept, args.requests)
            floor = timed_gets(session, f"{proxy}/healthz", {}, args.requests)
            p50_proxy, p50_direct = statistics.median(proxied), statistics.median(direct)
            print(f"/simple/pkg-01/ warm, {args.requests} sequential requests:")
            print(f"  upstream direct: p50 {p50_direct:.2f} ms, p99 {percentile(direct, 99):.2f} ms")
            print(f"  through proxy:   p50 {p50_proxy:.2f} ms, p99 {percentile(proxied, 99):.2f} ms")
            print(f"  (same server's GET /healthz, one query and one cache read through the same middleware: "
                  f"p50 {statistics.median(floor):.2f} ms, p99 {percentile(floor, 99):.2f} ms)")
            ratio = p50_proxy / p50_direct
            print(f"  ratio p50 {ratio:.2f}x (target <= {TARGET_RATIO}x): {'met' if ratio <= TARGET_RATIO else 'MISSED'}")

            pip_env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
            pip_env.update({"PIP_CONFIG_FILE": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
            proxy_index = f"http://__token__:{token}@127.0.0.1:{args.port}/simple/"
            pip_download(proxy_index, tempfile.mkdtemp(dir=work), pip_env)  # first: every file verified once
            through = [pip_download(proxy_index, tempfile.mkdtemp(dir=work), pip_env) for _ in range(args.pip_runs)]
            straight = [pip_download(f"{upstream.url}/simple/", tempfile.mkdtemp(dir=work), pip_env)
                        for _ in range(args.pip_runs)]
            print(f"pip download of a 20-package tree (mean of {args.pip_runs}, warm):")
            print(f"  direct {statistics.mean(straight):.2f} s, through proxy {statistics.mean(through):.2f} s, "
                  f"ratio {statistics.mean(through) / statistics.mean(straight):.2f}x")
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
