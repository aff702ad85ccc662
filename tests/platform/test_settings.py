import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DATABASE_URL": "postgres://sigil:pw@127.0.0.1:5432/sigil",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/1",
    "SECRET_KEY": "x7Qm2vLp9rT4wZ8yB1nC6dF3gH5jK0sA-ProductionSecretForTheCheck",
    "JWT_SIGNING_KEY": "J8kL2mN4pQ6rS8tU0vW2xY4zA6bC8dE0-AnotherKeyForTokensOnly",
    "SIGIL_PUBLIC_URL": "https://sigil.example.com",
    "ALLOWED_HOSTS": "sigil.example.com",
    "DEBUG": "false",
}


def _manage(*args, env):
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env={**clean, **env},
                          capture_output=True, text=True, timeout=120)


def test_check_deploy_is_clean_with_production_variables():
    result = _manage("check", "--deploy", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_jwt_key_equal_to_secret_key_is_refused():
    result = _manage("check", env={**PRODUCTION_ENV, "JWT_SIGNING_KEY": PRODUCTION_ENV["SECRET_KEY"]})
    assert result.returncode != 0
    assert "JWT_SIGNING_KEY must differ from SECRET_KEY" in result.stderr


@pytest.mark.parametrize("value", ["maybe", "yes please"])
def test_boolean_settings_reject_anything_but_true_or_false(value):
    result = _manage("check", env={"DEBUG": value})
    assert result.returncode != 0
    assert "DEBUG must be true or false" in result.stderr


def test_secrets_can_come_from_files(tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text(PRODUCTION_ENV["SECRET_KEY"] + "\n")
    env = {**PRODUCTION_ENV, "SECRET_KEY_FILE": str(secret_file), "SECRET_KEY": ""}
    result = _manage("check", "--deploy", env=env)
    assert result.returncode == 0, result.stderr
