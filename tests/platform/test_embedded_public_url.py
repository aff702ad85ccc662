"""The embedded server's public URL follows the address it was started on (links, the token issuer),
unless SIGIL_PUBLIC_URL is set; a CLI token issued under the old URL is refused with a message that
says why and to log in again. Real `scripts/serve` processes, the real CLI."""
import base64
import json
import subprocess
import sys

from tests.cli.conftest import Sigil
from tests.platform.embedded import ROOT, EmbeddedServer

PASSWORD = "first-hour-pass-2026"
HASH = "sha256:" + "ab" * 32


def _issuer(token: str) -> str:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["iss"]


def _make_threat(server: EmbeddedServer) -> str:
    code = ("from tests.intel.factories import make_threat; "
            f"print(make_threat(severity='critical', content_hash='{HASH}').reference)")
    proc = subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env=server.env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip().splitlines()[-1]


def test_links_and_tokens_follow_the_port_the_server_was_started_on(tmp_path):
    server = EmbeddedServer(tmp_path).start()
    try:
        assert f"Public URL (links, token issuer): {server.url}" in server.log()
        sigil = Sigil(tmp_path / "home", server.url)
        registered = sigil("register", "--email", "dev@example.com", "--password-stdin", input=PASSWORD + "\n")
        assert registered.returncode == 0, registered.stderr
        token = json.loads((sigil.home / "credentials.json").read_text())["access_token"]
        assert _issuer(token) == server.url

        reference = _make_threat(server)
        lookup = sigil("lookup", HASH)
        assert lookup.returncode == 2, lookup.stderr
        assert f"reference          {server.url}/threats/{reference}" in lookup.stdout
    finally:
        server.stop()


def test_setting_sigil_public_url_later_tells_cli_users_to_log_in_again(tmp_path):
    before = EmbeddedServer(tmp_path).start()
    sigil = Sigil(tmp_path / "home", before.url)
    try:
        assert sigil("register", "--email", "dev@example.com", "--password-stdin",
                     input=PASSWORD + "\n").returncode == 0
    finally:
        before.stop()

    public = "http://sigil.example.test"
    after = EmbeddedServer(tmp_path, port=before.port, env={"SIGIL_PUBLIC_URL": public}).start()
    try:
        assert "Public URL (links, token issuer)" not in after.log()
        refused = sigil("whoami")
        assert refused.returncode == 3
        assert f"This token was issued by {before.url}, but this server's public URL is now {public}" in refused.stderr
        assert "Log in again (sigil login)" in refused.stderr and "run `sigil login`" in refused.stderr

        assert sigil.login("dev@example.com", PASSWORD).returncode == 0
        assert sigil("whoami").stdout.startswith("dev@example.com (free tier)")
        token = json.loads((sigil.home / "credentials.json").read_text())["access_token"]
        assert _issuer(token) == public
    finally:
        after.stop()
