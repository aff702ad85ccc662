"""What a newcomer meets in the first hour: register, a clear 401, verify's page and badge snippet,
local submissions that do not reveal the user's paths, one quarantine entry per tree, prune."""

import json
import os
import time

import pytest

from accounts.models import User
from scans.models import Scan
from tests.cli.conftest import quarantine_ids, write_tree
from tests.conftest import PASSWORD, make_user
from tests.fakes.servers import FakeNpm, make_targz

pytestmark = pytest.mark.django_db(transaction=True)


# ----------------------------------------------------------------------------------- register

def test_register_creates_the_account_and_logs_in(sigil):
    proc = sigil("register", "--email", "newcomer@example.com", "--password-stdin", input=PASSWORD + "\n")

    assert proc.returncode == 0, proc.stderr
    assert f"Registered newcomer@example.com on {sigil.api_url} (free tier)." in proc.stdout
    assert f"Logged in to {sigil.api_url} as newcomer@example.com" in proc.stdout
    user = User.objects.get(email="newcomer@example.com")
    assert user.check_password(PASSWORD) and user.tier == "free"
    assert json.loads((sigil.home / "credentials.json").read_text())["api_url"] == sigil.api_url
    assert sigil("whoami").stdout.startswith("newcomer@example.com (free tier)")


def test_register_shows_why_the_server_refused(sigil, alice):
    taken = sigil("register", "--email", "alice@example.com", "--password-stdin", input=PASSWORD + "\n")
    weak = sigil("register", "--email", "weak@example.com", "--password-stdin", input="password\n")

    assert taken.returncode == 3 and "An account with this email already exists." in taken.stderr
    assert "HTTP 409" in taken.stderr
    assert weak.returncode == 3 and "too common" in weak.stderr
    assert not User.objects.filter(email="weak@example.com").exists()
    assert not (sigil.home / "credentials.json").exists()


# ---------------------------------------------------------------------------------------- 401

def test_a_refused_token_tells_the_user_to_log_in_again(sigil, alice):
    sigil.login("alice@example.com")
    creds_path = sigil.home / "credentials.json"
    creds = json.loads(creds_path.read_text())
    creds["access_token"] = creds["access_token"][:-4] + ("AAAA" if not creds["access_token"].endswith("AAAA") else "BBBB")
    creds_path.write_text(json.dumps(creds))

    proc = sigil("whoami")

    assert proc.returncode == 3
    assert "HTTP 401" in proc.stderr
    assert "run `sigil login`" in proc.stderr


def test_a_wrong_password_at_login_gets_no_login_hint(sigil, alice):
    proc = sigil("login", "--email", "alice@example.com", "--password-stdin", input="wrong-password\n")

    assert proc.returncode == 3 and "Invalid email or password." in proc.stderr
    assert "run `sigil login`" not in proc.stderr


# ------------------------------------------------------------------------------------- verify

def test_verify_prints_the_public_page_and_a_markdown_badge(sigil, alice, settings):
    clean = make_targz({"package.json": '{"name": "leftpad-ok", "version": "1.0.0"}',
                        "index.js": "module.exports = (s, n) => String(s).padStart(n);\n"}, root="package")
    with FakeNpm({"leftpad-ok": {"versions": {"1.0.0": clean}, "latest": "1.0.0"}}) as registry:
        settings.NPM_REGISTRY_URL = registry.url
        settings.SIGIL_OUTBOUND_ALLOWLIST = [registry.hostport]
        sigil.login("alice@example.com")
        proc = sigil("verify", "--npm", "leftpad-ok@1.0.0")

    assert proc.returncode == 0, proc.stderr
    vid = proc.stdout.split(":", 1)[0].strip()
    page = f"{settings.SIGIL_PUBLIC_URL}/verifications/{vid}"
    badge = f"{settings.SIGIL_PUBLIC_URL}/badge/{vid}.svg"
    assert f"  page  {page}" in proc.stdout
    assert f"  markdown [![sigil]({badge})]({page})" in proc.stdout


# ------------------------------------------------------------------------------ local --submit

def test_a_local_submission_sends_the_directory_name_never_the_absolute_path(sigil, alice, evil_package):
    sigil.login("alice@example.com")

    proc, body = sigil.json("scan", evil_package, "--json", "--submit")

    assert body["source_ref"] == "evil-pkg"
    scan = Scan.objects.get(user=alice, quarantine_id=body["quarantine_id"])
    assert scan.source_ref == "evil-pkg"
    stored = json.dumps([scan.source_ref, scan.phases, scan.file_stats])
    assert str(evil_package.parent) not in stored
    # The user still sees where it came from, locally.
    assert str(evil_package) in sigil("list").stdout


# ------------------------------------------------------------------------------- quarantine

def test_scanning_the_same_tree_twice_reuses_its_quarantine_entry(offline_sigil, clean_project):
    _, first = offline_sigil.json("scan", clean_project, "--json")
    again = offline_sigil("scan", clean_project)

    assert again.returncode == 0, again.stderr
    assert quarantine_ids(offline_sigil.home) == [first["quarantine_id"]]
    assert f"quarantine entry {first['quarantine_id']} reused" in again.stdout
    meta = json.loads((offline_sigil.home / "quarantine" / first["quarantine_id"] / "meta.json").read_text())
    assert meta["rescanned_at"] and meta["source_hash"] == first["source_hash"]

    (clean_project / "tidy" / "extra.py").write_text("X = 1\n")  # changed code: a new entry
    _, changed = offline_sigil.json("scan", clean_project, "--json")
    assert changed["quarantine_id"] != first["quarantine_id"]
    assert len(quarantine_ids(offline_sigil.home)) == 2


def test_quarantine_prune_deletes_entries_not_scanned_for_a_while(offline_sigil, clean_project, evil_package):
    _, old = offline_sigil.json("scan", evil_package, "--json")
    _, recent = offline_sigil.json("scan", clean_project, "--json")
    old_dir = offline_sigil.home / "quarantine" / old["quarantine_id"]
    forty_days_ago = time.time() - 40 * 86400
    os.utime(old_dir / "meta.json", (forty_days_ago, forty_days_ago))
    leftover = offline_sigil.home / "quarantine" / "20200101_000000_interrupted"
    (leftover / "content").mkdir(parents=True)
    os.utime(leftover, (forty_days_ago, forty_days_ago))

    dry = offline_sigil("quarantine", "prune", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert f"Would delete {old['quarantine_id']}" in dry.stdout and "Would delete 2 " in dry.stdout
    assert len(quarantine_ids(offline_sigil.home)) == 3

    pruned = offline_sigil("quarantine", "prune")
    assert pruned.returncode == 0, pruned.stderr
    assert "Deleted 2 quarantined item(s): entries not scanned for 30 days." in pruned.stdout
    assert quarantine_ids(offline_sigil.home) == [recent["quarantine_id"]]

    assert "Deleted 0 " in offline_sigil("quarantine", "prune", "--older-than", "1").stdout
    everything = offline_sigil("quarantine", "prune", "--all")
    assert "Deleted 1 quarantined item(s): every entry." in everything.stdout
    assert quarantine_ids(offline_sigil.home) == []
    assert offline_sigil("quarantine", "list").stdout.strip() == "Quarantine is empty."
