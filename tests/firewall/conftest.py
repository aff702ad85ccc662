import base64
import os
import subprocess
import sys

import pytest

from firewall.services import install_token_create
from tests.fakes.servers import FakePyPI, make_wheel


@pytest.fixture
def alice_token(alice):
    return install_token_create(user=alice, name="laptop")[1]


def basic(token: str) -> str:
    return "Basic " + base64.b64encode(f"__token__:{token}".encode()).decode()


def project(versions: dict[str, bytes], **extra) -> dict:
    """A FakePyPI project from {version: wheel bytes} (one wheel per version)."""
    name = extra.pop("name")
    files = {v: {f"{name.replace('-', '_')}-{v}-py3-none-any.whl": data} for v, data in versions.items()}
    return {"versions": files, "latest": list(versions)[-1], "owners": ["dev"], **extra}


def wheel_name(name: str, version: str) -> str:
    return f"{name.replace('-', '_')}-{version}-py3-none-any.whl"


@pytest.fixture
def index(settings, allow):
    """A fake PyPI with a small dependency tree:
    app 1.0 -> helper; helper 1.0 / 2.0; lonely 1.0; uses-evil 1.0 -> evil-dep; evil-dep 1.0."""
    projects = {
        "app": project({"1.0": make_wheel("app", "1.0", requires=["helper"])}, name="app"),
        "helper": project({"1.0": make_wheel("helper", "1.0"), "2.0": make_wheel("helper", "2.0")}, name="helper"),
        "lonely": project({"1.0": make_wheel("lonely", "1.0")}, name="lonely"),
        "uses-evil": project({"1.0": make_wheel("uses-evil", "1.0", requires=["evil-dep"])}, name="uses-evil"),
        "evil-dep": project({"1.0": make_wheel("evil-dep", "1.0")}, name="evil-dep"),
    }
    with FakePyPI(projects) as server:
        allow(server)
        settings.PYPI_URL = server.url
        yield server


def run_pip(live_url: str, token: str | None, *args: str, tmp_path) -> subprocess.CompletedProcess:
    """The test venv's pip, configured for this run only: no user or global config, no cache, no retries."""
    scheme, _, rest = live_url.partition("://")
    auth = f"__token__:{token}@" if token else ""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env.update({"PIP_CONFIG_FILE": os.devnull, "HOME": str(tmp_path), "PIP_NO_INPUT": "1",
                "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    command = [sys.executable, "-m", "pip", *args, "--index-url", f"{scheme}://{auth}{rest}/simple/",
               "--no-cache-dir", "--retries", "0", "--timeout", "30"]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=180)
