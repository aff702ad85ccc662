"""The server's public URL (links on threat and verification pages, badges, the JWT issuer).

SIGIL_PUBLIC_URL sets it. Without it, the embedded server (`runserver`, `scripts/serve`) uses the
address it was started on, so links work on any port; see sigil/management/commands/runserver.py.
"""
import jwt
from django.conf import settings

from sigil.env import env_str

WILDCARD_HOSTS = {"", "0", "0.0.0.0", "::"}


def embedded_public_url(host: str, port: str) -> str:
    """http://HOST:PORT for the address runserver binds; wildcard or default hosts read as localhost."""
    if host in WILDCARD_HOSTS:
        host = "localhost"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}"


def follow_server_address(url: str) -> bool:
    """Use `url` as the public URL unless SIGIL_PUBLIC_URL is set (the issuer too, unless JWT_ISSUER
    is). Called once when the embedded server starts, before it serves anything."""
    if env_str("SIGIL_PUBLIC_URL"):
        return False
    settings.SIGIL_PUBLIC_URL = url
    settings.CSRF_TRUSTED_ORIGINS = [url]
    if not env_str("JWT_ISSUER"):
        from rest_framework_simplejwt import state

        settings.SIMPLE_JWT["ISSUER"] = url
        state.token_backend.issuer = url  # simplejwt's one backend, built when it was imported
    return True


def foreign_issuer(raw_token: bytes | str) -> str | None:
    """The issuer of a token this server signed under another public URL, else None.

    Only a token whose signature and audience check out is answered, so the message can never be
    used to probe with forged tokens."""
    jwt_settings = settings.SIMPLE_JWT
    try:
        claims = jwt.decode(raw_token, jwt_settings["SIGNING_KEY"], algorithms=[jwt_settings["ALGORITHM"]],
                            audience=jwt_settings["AUDIENCE"], options={"verify_iss": False, "verify_exp": False})
    except jwt.PyJWTError:
        return None
    issuer = claims.get("iss")
    if isinstance(issuer, str) and issuer != jwt_settings["ISSUER"]:
        return issuer
    return None
