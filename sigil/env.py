"""Typed readers for settings that come from the environment."""
import os

from django.core.exceptions import ImproperlyConfigured


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return default if value in (None, "") else value


def env_bool(name: str, default: bool) -> bool:
    value = env_str(name)
    if value is None:
        return default
    if value.lower() in ("true", "1", "yes"):
        return True
    if value.lower() in ("false", "0", "no"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, got {value!r}")


def env_int(name: str, default: int) -> int:
    value = env_str(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from None


def env_list(name: str) -> list[str]:
    value = env_str(name, "")
    return [item.strip() for item in value.split(",") if item.strip()]


def env_secret(name: str, default: str | None = None) -> str | None:
    """Read a secret from NAME, or from the file named by NAME_FILE (Docker/K8s secrets)."""
    path = env_str(f"{name}_FILE")
    if path:
        with open(path, encoding="utf-8") as handle:
            return handle.read().strip()
    return env_str(name, default)


def local_keys(path: str) -> dict[str, str]:
    """SECRET_KEY and JWT_SIGNING_KEY for a server without them in its environment.

    Random keys are made on first start and kept in `path` (mode 0600); later starts, and the
    other processes of the same server, read the same file. Created under a temporary name and
    linked into place, so a process starting at the same moment never reads half a file and the
    first writer wins. A file others may read is refused: its keys must be treated as known.
    """
    import json
    import secrets
    import stat

    def read() -> dict[str, str]:
        mode = os.stat(path).st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise ImproperlyConfigured(f"{path} is readable by other users: delete it (new keys are made on the "
                                       "next start; everyone signs in again) or chmod 600 it")
        with open(path, encoding="utf-8") as handle:
            keys = json.load(handle)
        if not all(isinstance(keys.get(name), str) and len(keys[name]) >= 50
                   for name in ("SECRET_KEY", "JWT_SIGNING_KEY")):
            raise ImproperlyConfigured(f"{path} does not hold SECRET_KEY and JWT_SIGNING_KEY; delete it to make new keys")
        return keys

    if not os.path.exists(path):
        keys = {"SECRET_KEY": secrets.token_urlsafe(48), "JWT_SIGNING_KEY": secrets.token_urlsafe(48)}
        directory = os.path.dirname(os.path.abspath(path))
        os.makedirs(directory, exist_ok=True)
        temporary = os.path.join(directory, f".{os.path.basename(path)}.{os.getpid()}.{secrets.token_hex(4)}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                json.dump(keys, handle)
            try:
                os.link(temporary, path)
            except FileExistsError:
                pass  # another process of this server made them first: use theirs
        finally:
            os.unlink(temporary)
    return read()
