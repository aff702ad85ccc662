"""Issue 11, points 6 and 7, against `scripts/serve`: parallel writers without spurious 503s (SQLite),
and chunked request bodies refused clearly (runserver cannot read them)."""
import sqlite3
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.intel.factories import scan_body
from tests.platform.embedded import EmbeddedServer

PASSWORD = "a-long-and-unusual-passphrase-1"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = EmbeddedServer(tmp_path_factory.mktemp("embedded-writers")).start()
    yield running
    running.stop()


def token_for(server, email):
    assert requests.post(f"{server.url}/v1/auth/register", json={"email": email, "password": PASSWORD},
                         timeout=30).status_code == 201
    login = requests.post(f"{server.url}/v1/auth/login", json={"email": email, "password": PASSWORD}, timeout=30)
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


def report_body(n):
    return {"source_type": "npm", "source_ref": f"parallel-pkg-{n}@1.0.{n}", "category": "backdoor",
            "severity": "high", "description": f"parallel report {n}"}


def test_parallel_reports_and_scans_are_stored_without_503(server):
    reporter, scanner = token_for(server, "reporter@example.com"), token_for(server, "scanner@example.com")

    def send(job):
        kind, n = job
        if kind == "report":
            return requests.post(f"{server.url}/v1/report", json=report_body(n), headers=reporter, timeout=60)
        return requests.post(f"{server.url}/v1/scan", json=scan_body(), headers=scanner, timeout=60)

    # Two waves of 16 writers (the black-box case: 16 parallel reports from one user), each wave at
    # once; runserver's listen backlog is 10, so far more simultaneous connects would test that instead.
    jobs = [("report", n) for n in range(8)] + [("scan", n) for n in range(8)]
    jobs += [("report", n) for n in range(8, 16)] + [("scan", n) for n in range(8, 16)]
    answers = []
    for wave in (jobs[:16], jobs[16:]):
        with ThreadPoolExecutor(max_workers=len(wave)) as pool:
            answers += list(pool.map(send, wave))

    reports = [r.status_code for (kind, _), r in zip(jobs, answers) if kind == "report"]
    scans = [r.status_code for (kind, _), r in zip(jobs, answers) if kind == "scan"]
    assert sorted(reports) == [201] * 10 + [429] * 6, [r.text[:200] for r in answers if r.status_code >= 500]
    assert scans == [201] * 16, [r.text[:200] for r in answers if r.status_code >= 500]
    assert "database is locked" not in server.log()

    with sqlite3.connect(server.workdir / "db.sqlite3") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("SELECT COUNT(*) FROM intel_report").fetchone()[0] == 10
        assert db.execute("SELECT COUNT(*) FROM scans_scan").fetchone()[0] == 16


def test_a_chunked_body_is_refused_with_411_in_the_envelope(server):
    headers = token_for(server, "chunked@example.com")

    def chunks(body: bytes):
        for start in range(0, len(body), 1000):
            yield body[start:start + 1000]

    import json
    body = json.dumps(scan_body()).encode()
    response = requests.post(f"{server.url}/v1/scan", data=chunks(body), timeout=30,
                             headers={**headers, "Content-Type": "application/json"})
    assert response.request.headers.get("Transfer-Encoding") == "chunked"
    assert response.status_code == 411, response.text[:300]
    assert response.json() == {"detail": response.json()["detail"], "code": "LENGTH_REQUIRED", "status": 411}
    assert "Content-Length" in response.json()["detail"]
    big = b'{"x": "' + b"a" * (2600 * 1024) + b'"}'
    assert requests.post(f"{server.url}/v1/scan", data=chunks(big), timeout=30,
                         headers={**headers, "Content-Type": "application/json"}).status_code == 411
    # The same body with a Content-Length is stored, and the server still answers afterwards.
    assert requests.post(f"{server.url}/v1/scan", data=body, timeout=30,
                         headers={**headers, "Content-Type": "application/json"}).status_code == 201
