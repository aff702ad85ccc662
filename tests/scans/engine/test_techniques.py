"""Issue 12, part 3: staged payloads, obfuscation, theft, browser tampering and npm incidents.

Every malicious technique in techniques.py (small synthetic snippets) must reach high or critical;
the benign idiom written next to each must stay clean or low. Rules are general behaviour: none of
them names a package, file or hash.
"""

import pytest

from scans.engine import scan_archive

from .conftest import make_tgz
from .techniques import CASES, package

BLOCKING = ("high", "critical")


def _scan(rules, ecosystem, files):
    files, root = package(ecosystem, files)
    return scan_archive(make_tgz(files, root=root), rules, filename="p.tgz", ecosystem=ecosystem)


def _cases(malicious):
    return [pytest.param(eco, files, id=f"{eco}-{case}")
            for (eco, bad), table in CASES.items() if bad is malicious for case, files in table.items()]


@pytest.mark.parametrize("ecosystem, files", _cases(True))
def test_the_malicious_technique_reaches_high(rules, ecosystem, files):
    result = _scan(rules, ecosystem, files)
    assert result.verdict in BLOCKING, [f.summary() for f in result.findings]


@pytest.mark.parametrize("ecosystem, files", _cases(False))
def test_the_benign_idiom_beside_it_stays_low(rules, ecosystem, files):
    result = _scan(rules, ecosystem, files)
    assert result.verdict in ("clean", "low"), [f.summary() for f in result.findings]


@pytest.mark.parametrize("case, rule", [
    ("fetch_decode_exec_split", "eng_combo_staged_payload"),
    ("xor_loop_exec", "eng_combo_hidden_code_run"),
    ("getattr_builtins_computed", "py_builtins_computed_name"),
    ("exec_alias", "py_exec_alias"),
    ("split_tokens_exec_b64", "py_split_token_exec"),
    ("pyarmor_packed_init", "eng_combo_hook_obfuscated"),
    ("dns_beacon_dig", "dns_beacon_lookup"),
    ("shortcut_load_extension", "eng_combo_browser_tamper"),
    ("binary_source_xor_loader", "eng_binary_source"),
    ("binary_source_xor_loader", "eng_combo_decode_exec"),
    ("large_packed_init", "eng_combo_hook_obfuscated"),
    ("persist_and_connect", "eng_combo_persist_network"),
    ("confusion_probe_in_test_file", "eng_confusion_probe"),
    ("clipboard_clipper_py", "eng_combo_clipboard_clipper"),
    ("shadows_popular_module", "eng_shadows_popular"),
    ("upload_to_raw_ip", "eng_combo_upload_raw_ip"),
    ("udp_flood", "network_flood_loop"),
    ("mcp_tool_poisoning", "eng_tool_poisoning"),
    ("import_time_background_interpreter", "py_background_interpreter"),
    ("hex_decode_exec", "py_exec_base64"),
    ("builtins_name_concat", "py_builtins_computed_name"),
    ("shellcode_loader", "shellcode_loader"),
    ("browser_password_query", "browser_password_db_query"),
    ("discord_injection", "discord_client_injection"),
    ("compiled_only_sdist", "eng_compiled_only"),
])
def test_the_finding_names_the_technique(rules, case, rule):
    result = _scan(rules, "pypi", CASES[("pypi", True)][case])
    titles = {f.rule_id for f in result.findings} | {f.message for f in result.findings}
    names = {r.name for r in rules.rules if r.id in {f.rule_id for f in result.findings}}
    assert rule in titles | names


def test_the_same_snippet_in_a_test_folder_does_not_block(rules):
    # Location weighting applies to the new combinations too.
    files = {"tests/fixtures/loader.py": CASES[("pypi", True)]["fetch_decode_exec_split"]["pkg/loader.py"]}
    assert _scan(rules, "pypi", files).verdict in ("clean", "low", "medium")
