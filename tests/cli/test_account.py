"""`sigil login` / `logout` / `whoami` against a live server."""

import json
import os
import stat

import pytest

from tests.conftest import PASSWORD
from tests.fakes.servers import FakeWeb

pytestmark = pytest.mark.django_db(transaction=True)


def test_login_stores_the_token_readable_by_the_owner_only(sigil, alice):
    proc = sigil("login", "--email", "alice@example.com", "--password-stdin", input=PASSWORD + "\n")

    assert proc.returncode == 0, proc.stderr
    assert "alice@example.com" in proc.stdout and "pro tier" in proc.stdout
    creds = sigil.home / "credentials.json"
    assert stat.S_IMODE(os.stat(creds).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(sigil.home).st_mode) == 0o700
    stored = json.loads(creds.read_text())
    assert stored["api_url"] == sigil.api_url
    assert stored["access_token"].count(".") == 2
    assert PASSWORD not in creds.read_text()


def test_login_accepts_password_for_scripts(sigil, alice):
    proc = sigil("login", "--email", "alice@example.com", "--password", PASSWORD)

    assert proc.returncode == 0, proc.stderr
    assert sigil("whoami").stdout.startswith("alice@example.com (pro tier)")


def test_a_wrong_password_shows_the_servers_detail_and_exits_3(sigil, alice):
    proc = sigil("login", "--email", "alice@example.com", "--password-stdin", input="wrong-password\n")

    assert proc.returncode == 3
    assert "Invalid email or password." in proc.stderr
    assert "HTTP 401 UNAUTHORIZED" in proc.stderr
    assert not (sigil.home / "credentials.json").exists()


def test_logout_forgets_the_token(sigil, alice):
    sigil.login("alice@example.com")

    proc = sigil("logout")
    after = sigil("whoami")

    assert proc.returncode == 0 and "Logged out." in proc.stdout
    assert not (sigil.home / "credentials.json").exists()
    assert after.returncode == 3 and "not logged in" in after.stderr


def test_the_token_is_never_sent_to_a_different_server(sigil, alice):
    sigil.login("alice@example.com")
    with FakeWeb({}) as other:
        proc = sigil("lookup", "sha256:" + "a" * 64, env={"SIGIL_API_URL": other.url})

    assert proc.returncode == 3
    assert "not logged in" in proc.stderr
    assert all("authorization" not in r["headers"] for r in other.requests)
