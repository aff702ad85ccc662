"""A small client for the Sigil API; errors carry the server's `detail`."""

from __future__ import annotations

from functools import cached_property
from urllib.parse import parse_qsl, quote, urlsplit

from cli import __version__
from cli.config import CliError, api_url, token_for

TIMEOUT = (10, 60)


class ApiError(CliError):
    def __init__(self, status: int, detail: str, code: str = ""):
        self.status = status
        self.detail = detail
        self.code = code
        suffix = f"HTTP {status} {code}".rstrip()
        super().__init__(f"{detail} ({suffix})")


class Offline(CliError):
    """The server could not be reached at all."""


class Api:
    def __init__(self, base: str | None = None, token: str | None = None, *, use_stored_token: bool = True):
        self.base = (base or api_url()).rstrip("/")
        self.token = token or (token_for(self.base) if use_stored_token else None)

    @cached_property
    def session(self):
        # requests is imported on the first call: `sigil scan --offline` never pays for it.
        import requests

        session = requests.Session()
        session.headers["User-Agent"] = f"sigil-cli/{__version__}"
        session.trust_env = True
        return session

    def require_login(self) -> None:
        if not self.token:
            raise CliError(f"not logged in to {self.base}: run `sigil login` first")

    def request(self, method: str, path: str, *, json: dict | None = None, params: dict | None = None) -> dict:
        import requests

        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            resp = self.session.request(method, self.base + path, json=json, params=params, headers=headers,
                                        timeout=TIMEOUT, allow_redirects=False)
        except requests.RequestException as exc:
            raise Offline(f"cannot reach {self.base}: {type(exc).__name__}") from None
        try:
            body = resp.json()
        except ValueError:
            body = None
        if resp.status_code >= 400:
            detail = body.get("detail") if isinstance(body, dict) else None
            code = body.get("code") if isinstance(body, dict) else ""
            if isinstance(body, dict) and isinstance(body.get("errors"), dict):
                parts = [f"{k}: {'; '.join(map(str, v)) if isinstance(v, list) else v}" for k, v in body["errors"].items()]
                missing = [part for part in parts if part not in str(detail or "")]
                if missing:
                    detail = f"{detail or 'invalid request'} ({', '.join(missing)})"
            raise ApiError(resp.status_code, str(detail or resp.reason or "request failed"), str(code or ""))
        if resp.status_code >= 300:
            raise ApiError(resp.status_code, f"unexpected redirect to {resp.headers.get('Location', '?')}")
        if not isinstance(body, dict):
            raise ApiError(resp.status_code, "the server answered with something other than a JSON object")
        return body

    # Endpoints, one method each.
    def register(self, email: str, password: str) -> dict:
        return self.request("POST", "/v1/auth/register", json={"email": email, "password": password})

    def login(self, email: str, password: str) -> dict:
        return self.request("POST", "/v1/auth/login", json={"email": email, "password": password})

    def me(self) -> dict:
        return self.request("GET", "/v1/auth/me")

    def submit_scan(self, body: dict) -> dict:
        return self.request("POST", "/v1/scan", json=body)

    def threat(self, hash_: str) -> dict:
        return self.request("GET", "/v1/threat/" + quote(hash_, safe=":"))

    def publisher(self, name: str, ecosystem: str | None = None) -> dict:
        params = {"ecosystem": ecosystem} if ecosystem else None
        return self.request("GET", "/v1/publisher/" + quote(name, safe=""), params=params)

    def report(self, body: dict) -> dict:
        return self.request("POST", "/v1/report", json=body)

    def reports(self, *, status: str | None = None, cursor_url: str | None = None, limit: int = 50) -> dict:
        if cursor_url:  # the server's own `next` link: only its query string is used
            return self.request("GET", "/v1/reports", params=dict(parse_qsl(urlsplit(cursor_url).query)))
        params = {"limit": str(limit), **({"status": status} if status else {})}
        return self.request("GET", "/v1/reports", params=params)

    def report_detail(self, report_id: str) -> dict:
        return self.request("GET", "/v1/reports/" + quote(report_id, safe=""))

    def verify(self, body: dict) -> dict:
        return self.request("POST", "/v1/verify", json=body)

    def signatures(self, next_sync_token: str | None = None) -> dict:
        params = {"next_sync_token": next_sync_token} if next_sync_token else None
        return self.request("GET", "/v1/signatures", params=params)
