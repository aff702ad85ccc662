"""`sigil list`, `sigil approve`, `sigil reject` on real quarantine entries."""

import os
import stat

from tests.cli.conftest import quarantine_ids, write_tree


def _scan_id(sigil, path):
    proc, body = sigil.json("scan", path, "--json")
    return body["quarantine_id"]


def test_quarantine_ids_read_like_date_time_and_name(offline_sigil, clean_project):
    qid = _scan_id(offline_sigil, clean_project)

    date, time_, name = qid.split("_", 2)
    assert len(date) == 8 and date.isdigit()
    assert len(time_) == 6 and time_.isdigit()
    assert name == "tidy"


def test_the_state_directory_and_quarantine_are_private(offline_sigil, clean_project):
    _scan_id(offline_sigil, clean_project)

    assert stat.S_IMODE(os.stat(offline_sigil.home).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(offline_sigil.home / "quarantine").st_mode) == 0o700


def test_list_shows_every_quarantined_item_with_its_verdict(offline_sigil, clean_project, evil_package):
    clean_id = _scan_id(offline_sigil, clean_project)
    evil_id = _scan_id(offline_sigil, evil_package)

    proc = offline_sigil("list")

    assert proc.returncode == 0
    lines = proc.stdout.splitlines()
    assert any(clean_id in line and "clean" in line for line in lines)
    assert any(evil_id in line and "critical" in line for line in lines)


def test_approve_moves_the_code_to_the_given_path_and_drops_the_entry(offline_sigil, clean_project, tmp_path):
    qid = _scan_id(offline_sigil, clean_project)
    dest = tmp_path / "approved"

    proc = offline_sigil("approve", qid, dest)

    assert proc.returncode == 0, proc.stderr
    assert (dest / "tidy" / "__init__.py").read_text() == "def add(a, b):\n    return a + b\n"
    assert quarantine_ids(offline_sigil.home) == []
    assert "Quarantine is empty" in offline_sigil("list").stdout


def test_approve_refuses_a_high_or_critical_item_without_force(offline_sigil, evil_package, tmp_path):
    qid = _scan_id(offline_sigil, evil_package)

    refused = offline_sigil("approve", qid, tmp_path / "out")
    forced = offline_sigil("approve", qid, tmp_path / "out", "--force")

    assert refused.returncode == 3 and "--force" in refused.stderr
    assert forced.returncode == 0
    assert (tmp_path / "out" / "package.json").is_file()


def test_approve_never_overwrites_an_existing_path(offline_sigil, clean_project, tmp_path):
    qid = _scan_id(offline_sigil, clean_project)
    existing = tmp_path / "exists"
    existing.mkdir()

    proc = offline_sigil("approve", qid, existing)

    assert proc.returncode == 3
    assert "already exists" in proc.stderr
    assert quarantine_ids(offline_sigil.home) == [qid]


def test_reject_deletes_the_quarantined_code(offline_sigil, evil_package):
    qid = _scan_id(offline_sigil, evil_package)

    proc = offline_sigil("reject", qid)

    assert proc.returncode == 0
    assert quarantine_ids(offline_sigil.home) == []
    assert evil_package.is_dir()  # the original is the user's; only the quarantined copy goes


def test_ids_that_are_paths_are_refused(offline_sigil, clean_project, tmp_path):
    _scan_id(offline_sigil, clean_project)

    for bad in ("../../etc", "/tmp", "20260215_143000_x/../..", "nope"):
        proc = offline_sigil("reject", bad)
        assert proc.returncode == 3
    assert len(quarantine_ids(offline_sigil.home)) == 1


def test_symlinks_are_quarantined_as_links_not_followed(offline_sigil, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("do not copy me")
    project = write_tree(tmp_path / "linky", {"index.js": "module.exports = 1;\n"})
    os.symlink(secret, project / "innocent.txt")

    qid = _scan_id(offline_sigil, project)

    copied = offline_sigil.home / "quarantine" / qid / "content" / "tree" / "innocent.txt"
    assert copied.is_symlink()
    assert os.readlink(copied) == str(secret)


def test_scanning_a_directory_that_holds_sigil_home_does_not_copy_the_quarantine(tmp_path):
    from tests.cli.conftest import Sigil, closed_port_url

    user_home = write_tree(tmp_path / "user", {"project/index.js": "module.exports = 1;\n"})
    sigil = Sigil(user_home / ".sigil", closed_port_url())
    first_id = _scan_id(sigil, user_home / "project")

    proc, body = sigil.json("scan", user_home, "--json")

    assert proc.returncode == 0, proc.stderr
    tree = sigil.home / "quarantine" / body["quarantine_id"] / "content" / "tree"
    assert (tree / "project" / "index.js").is_file()
    assert not (tree / ".sigil").exists()
    assert body["file_stats"]["total_files"] == 1
    assert sorted(quarantine_ids(sigil.home)) == sorted([first_id, body["quarantine_id"]])


def test_scanning_inside_sigil_home_is_refused(offline_sigil, clean_project):
    qid = _scan_id(offline_sigil, clean_project)

    proc = offline_sigil("scan", offline_sigil.home / "quarantine" / qid)

    assert proc.returncode == 3
    assert "inside SIGIL_HOME" in proc.stderr


def test_approving_an_archive_moves_the_file_as_downloaded(offline_sigil, tmp_path):
    from tests.fakes.servers import make_targz

    archive = tmp_path / "tidy-1.0.0.tgz"
    archive.write_bytes(make_targz({"package.json": '{"name": "tidy"}'}, root="package"))
    qid = _scan_id(offline_sigil, archive)

    proc = offline_sigil("approve", qid, tmp_path / "kept.tgz")

    assert proc.returncode == 0, proc.stderr
    assert "archive (not extracted)" in proc.stdout
    assert (tmp_path / "kept.tgz").read_bytes() == archive.read_bytes()


def test_list_json_gives_the_stored_metadata(offline_sigil, evil_package):
    qid = _scan_id(offline_sigil, evil_package)

    proc, items = offline_sigil.json("list", "--json")

    assert proc.returncode == 0
    assert [i["id"] for i in items] == [qid]
    assert items[0]["source_type"] == "local"
    assert items[0]["verdict"] in ("high", "critical")
    assert any("package.json:5" in e for e in items[0]["evidence"])
