"""The daily scan quota holds when one user's scans arrive at once (real threads, PostgreSQL row locks)."""
import threading

import pytest
from django.db import close_old_connections, connection

from scans.models import DailyScanCount, Scan
from tests.conftest import Api, make_user
from tests.intel.factories import scan_body

PARALLEL = 8

pytestmark = pytest.mark.needs_services  # SQLite runs one writer at a time: nothing to race


@pytest.mark.django_db(transaction=True)
def test_parallel_submissions_never_pass_the_daily_quota():
    user = make_user("free@example.com", tier="free")
    Scan.objects.bulk_create([
        Scan(user=user, quarantine_id=f"today{n}", source_type="local", source_ref=".", score=0, verdict="clean")
        for n in range(47)
    ])
    statuses, start = [], threading.Barrier(PARALLEL)

    def submit():
        try:
            client = Api().as_user(user)
            start.wait()
            statuses.append(client.post_json("/v1/scan", scan_body()).status_code)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(PARALLEL)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Three units were left: the first counter row is created by one of the racers, the others queue.
    assert sorted(statuses) == [201] * 3 + [429] * (PARALLEL - 3)
    assert Scan.objects.filter(user=user).count() == 50
    assert DailyScanCount.objects.get(user=user).used == 50
