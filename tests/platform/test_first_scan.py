"""The README's *First scan* block, run as written against `scripts/serve`: the commands are read
from README.md, passwords are typed at the prompts on a pseudo-terminal. Only the addresses differ:
the server runs on a free port (SIGIL_API_URL) and npm is a local fake (SIGIL_NPM_REGISTRY_URL)."""
import fcntl
import os
import pty
import re
import select
import shlex
import subprocess
import termios
import time

import pytest
import requests

from tests.fakes.servers import FakeNpm, make_targz
from tests.platform.embedded import ROOT, EmbeddedServer

PASSWORD = "first-hour-pass-2026"
LEFT_PAD = make_targz({"package.json": '{"name": "left-pad", "version": "1.3.0"}',
                       "index.js": "module.exports = (s, n) => String(s).padStart(n);\n"}, root="package")


def readme_first_scan_commands() -> list[list[str]]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## First scan", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    lines = [line.split("  #", 1)[0].strip() for line in block.splitlines()]
    return [shlex.split(line) for line in lines if line and not line.startswith("#")]


def run_on_terminal(argv: list[str], env: dict, *, answers: list[tuple[str, str]], timeout: float = 180):
    """Run argv with a pseudo-terminal as its controlling terminal (getpass reads /dev/tty), typing
    each answer when its prompt appears. Returns (exit code, everything it printed)."""
    master, slave = pty.openpty()

    def take_terminal():
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdin=slave, stdout=slave, stderr=slave,
                            start_new_session=True, preexec_fn=take_terminal)
    os.close(slave)
    output, seen, pending = "", 0, list(answers)
    deadline = time.monotonic() + timeout
    try:
        while True:
            if time.monotonic() > deadline:
                proc.kill()
                raise AssertionError(f"{argv} did not finish:\n{output}")
            ready, _, _ = select.select([master], [], [], 0.2)
            chunk = ""
            if ready:
                try:
                    chunk = os.read(master, 4096).decode(errors="replace")
                except OSError:  # EIO: the child has closed the terminal
                    chunk = ""
                if not chunk:
                    break
                output += chunk
            if pending:
                at = output.find(pending[0][0], seen)
                if at >= 0:
                    seen = at + len(pending[0][0])
                    os.write(master, (pending.pop(0)[1] + "\n").encode())
            if not ready and proc.poll() is not None:
                break
        return proc.wait(timeout=10), output
    finally:
        os.close(master)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = EmbeddedServer(tmp_path_factory.mktemp("first-scan")).start()
    yield running
    running.stop()


def test_the_readme_first_scan_works_as_written(server, tmp_path):
    commands = readme_first_scan_commands()
    assert [c[:3] for c in commands] == [["scripts/serve"], [".venv/bin/sigil", "register", "--email"],
                                         [".venv/bin/sigil", "scan", "--npm"],
                                         [".venv/bin/python", "manage.py", "createsuperuser"]]
    register, scan, superuser = commands[1:]
    email, admin_email = register[register.index("--email") + 1], superuser[superuser.index("--email") + 1]

    with FakeNpm({"left-pad": {"versions": {"1.3.0": LEFT_PAD}, "latest": "1.3.0"}}) as npm:
        env = {**server.env, "SIGIL_API_URL": server.url, "SIGIL_HOME": str(tmp_path / "home"),
               "SIGIL_NPM_REGISTRY_URL": npm.url}
        code, out = run_on_terminal(register, env, answers=[("Password: ", PASSWORD), ("Password (again): ", PASSWORD)])
        assert code == 0, out
        assert f"Registered {email}" in out and f"Logged in to {server.url} as {email}" in out

        code, out = run_on_terminal(scan, env, answers=[])
        assert code == 0, out
        assert "clean" in out.lower() and "Submitted as scn_" in out

    code, out = run_on_terminal(superuser, env, answers=[("Password: ", PASSWORD), ("Password (again): ", PASSWORD)])
    assert code == 0, out
    assert "Superuser created successfully." in out

    admin = requests.Session()
    login_page = admin.get(server.url + "/admin/login/", timeout=10)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page.text).group(1)
    signed_in = admin.post(server.url + "/admin/login/?next=/admin/", timeout=10,
                           data={"csrfmiddlewaretoken": csrf, "username": admin_email, "password": PASSWORD},
                           headers={"Referer": server.url + "/admin/login/"})
    assert signed_in.status_code == 200 and "Site administration" in signed_in.text
    scans = admin.get(server.url + "/admin/scans/scan/", timeout=10)
    assert scans.status_code == 200 and "left-pad" in scans.text
