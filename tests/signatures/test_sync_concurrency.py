"""Delta sync is exact while writers commit concurrently with readers (real threads, real DB)."""
import threading
import time

import pytest
from django.db import OperationalError, close_old_connections, connection

from signatures.models import Signature
from signatures.services import signature_create, signature_update, signature_withdraw
from tests.conftest import Api, make_user

URL = "/v1/signatures"
WRITERS = 4
WRITES_PER_WRITER = 15


def _retrying(write):
    # SQLite allows one writer at a time and may answer "database is locked"; retry like a client.
    for attempt in range(50):
        try:
            return write()
        except OperationalError:
            if connection.vendor != "sqlite" or attempt == 49:
                raise
            time.sleep(0.01)


def _writer(number, expected, errors):
    try:
        for i in range(WRITES_PER_WRITER):
            signature = _retrying(lambda: signature_create(
                phase=(i % 6) + 1, name=f"w{number}_{i}", description="concurrent", pattern=f"w{number}x{i}",
                severity="medium", weight=1, ecosystem="generic",
            ))
            final = {"weight": 1, "status": "active"}
            if i % 3 == 1:
                _retrying(lambda: signature_update(signature=signature, weight=2))
                final["weight"] = 2
            if i % 5 == 2:
                _retrying(lambda: signature_withdraw(signature=signature))
                final["status"] = "withdrawn"
            expected[signature.public_id] = final
            time.sleep(0.002)
    except Exception as exc:  # surfaced by the main thread's assert
        errors.append(exc)
    finally:
        close_old_connections()
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_a_client_following_tokens_sees_every_change_made_during_concurrent_writes():
    # A team account (600 requests a minute), polling like a client rather than in a tight loop: the
    # test is about delta-sync exactness, and the rate limiter's clock stands still during tests.
    reader = make_user("sync-reader@example.com", tier="team")
    client = Api().as_user(reader)
    expected, errors = {}, []
    writers = [threading.Thread(target=_writer, args=(n, expected, errors)) for n in range(WRITERS)]
    local = {}  # the client's replica, kept like the CLI: id -> last version, tombstones removed
    token, pages_during_writes = None, 0

    def sync_once():
        nonlocal token, pages_during_writes
        while True:
            if any(thread.is_alive() for thread in writers):
                pages_during_writes += 1
            params = {"limit": "7", **({"next_sync_token": token} if token else {})}
            response = client.get(URL, params)
            if response.status_code == 503 and connection.vendor == "sqlite":
                time.sleep(0.01)  # SQLite's table lock during a write: retry as a client does on 503
                continue
            assert response.status_code == 200, response.content
            body = response.json()
            for item in body["signatures"]:
                if item["status"] == "withdrawn":
                    local.pop(item["id"], None)  # a tombstone: the client drops it
                else:
                    local[item["id"]] = {"weight": item["weight"], "status": item["status"]}
            token = body["next_sync_token"]
            if not body["has_more"]:
                return

    sync_once()  # first full sync (empty feed) before the writers start; then only deltas
    pages_during_writes = 0
    for thread in writers:
        thread.start()
    while any(thread.is_alive() for thread in writers):
        sync_once()
        time.sleep(0.05)
    for thread in writers:
        thread.join()
    sync_once()  # writes are over: one last catch-up from the token

    assert errors == []
    assert len(expected) == WRITERS * WRITES_PER_WRITER
    assert pages_during_writes > 1  # the reader really ran while writers were writing
    # The replica holds exactly the active signatures, each in its last version.
    assert local == {sid: final for sid, final in expected.items() if final["status"] == "active"}
    assert any(final["status"] == "withdrawn" for final in expected.values())
    stored = {s.public_id: {"weight": s.weight, "status": s.status} for s in Signature.objects.all()}
    assert stored == expected
