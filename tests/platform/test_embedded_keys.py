"""Issue 11, point 3: embedded mode signs with random keys made on first start, never a constant."""
import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import jwt
import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
# The key settings.py used to print, which anyone could read in the source.
OLD_CONSTANT = "embedded-insecure-secret-key-change-me-for-production-use-only"
PRINT_KEYS = ("import django, json; django.setup(); from django.conf import settings as s; "
              "print(json.dumps([s.SECRET_KEY, s.JWT_SIGNING_KEY]))")
KEY_VARIABLES = ("SECRET_KEY", "SECRET_KEY_FILE", "JWT_SIGNING_KEY", "JWT_SIGNING_KEY_FILE", "SIGIL_KEYS_FILE",
                 "SIGIL_PUBLIC_URL", "DATABASE_URL")


def embedded_keys(directory: Path, **env):
    clean = {k: v for k, v in os.environ.items() if k not in KEY_VARIABLES}
    result = subprocess.run([sys.executable, "-c", PRINT_KEYS], cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env={**clean, "DJANGO_SETTINGS_MODULE": "sigil.settings",
                                 "SQLITE_PATH": str(directory / "db.sqlite3"), **env})
    return result


def test_first_start_makes_random_keys_in_a_private_file_next_to_the_database(tmp_path):
    first = embedded_keys(tmp_path)
    assert first.returncode == 0, first.stderr
    secret_key, jwt_key = json.loads(first.stdout)
    key_file = tmp_path / "sigil-keys.json"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert json.loads(key_file.read_text()) == {"SECRET_KEY": secret_key, "JWT_SIGNING_KEY": jwt_key}
    assert len(secret_key) >= 50 and len(jwt_key) >= 50 and secret_key != jwt_key
    assert OLD_CONSTANT not in secret_key + jwt_key

    again = embedded_keys(tmp_path)
    assert json.loads(again.stdout) == [secret_key, jwt_key]  # restarts keep tokens and sessions valid
    other = tmp_path / "other"
    other.mkdir()
    assert set(json.loads(embedded_keys(other).stdout)).isdisjoint({secret_key, jwt_key})


def test_a_key_file_others_can_read_is_refused(tmp_path):
    assert embedded_keys(tmp_path).returncode == 0
    (tmp_path / "sigil-keys.json").chmod(0o644)
    result = embedded_keys(tmp_path)
    assert result.returncode != 0
    assert "readable by other users" in result.stderr


def test_keys_from_the_environment_win_and_no_file_is_written(tmp_path):
    result = embedded_keys(tmp_path, SECRET_KEY="s" * 60, JWT_SIGNING_KEY="j" * 60)
    assert json.loads(result.stdout) == ["s" * 60, "j" * 60]
    assert not (tmp_path / "sigil-keys.json").exists()


def test_https_without_secret_key_is_refused(tmp_path):
    result = embedded_keys(tmp_path, SIGIL_PUBLIC_URL="https://sigil.example.com", ALLOWED_HOSTS="sigil.example.com")
    assert result.returncode != 0 and "Set SECRET_KEY in production" in result.stderr


@pytest.mark.parametrize("key", [OLD_CONSTANT, OLD_CONSTANT + ":jwt"])
def test_a_token_signed_with_the_old_printed_key_is_401(api, alice, key):
    now = int(time.time())
    claims = {"token_type": "access", "sub": alice.public_id, "iat": now, "exp": now + 600, "jti": "x" * 32,
              "iss": settings.SIMPLE_JWT["ISSUER"], "aud": settings.SIMPLE_JWT["AUDIENCE"]}
    token = jwt.encode(claims, key, algorithm="HS256")
    response = api.get("/v1/auth/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 401
