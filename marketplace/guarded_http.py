"""The one guarded outbound HTTP client (docs/design.md, Outbound network).

Every server-side fetch goes through here: https only, every resolved address must be global,
the connection goes to the address that was checked (no DNS rebinding), redirects are followed
by hand and re-checked hop by hop, and time and size are capped. A `host:port` listed in
SIGIL_OUTBOUND_ALLOWLIST may use plain http and a non-global address (tests' fake registries).
"""
from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import urllib3
from django.conf import settings

DEFAULT_TIMEOUT = (5.0, 30.0)  # connect, read (per socket operation)
DEFAULT_TOTAL_SECONDS = 120.0
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
MAX_REDIRECTS = 5
USER_AGENT = "sigil-verify/1.0 (+https://sigilsec.ai)"

# Ranges Python's ipaddress may still call global, or that embed another address.
_BLOCKED_NETWORKS = [
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
        "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15",
        "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4", "255.255.255.255/32",
        "::/128", "::1/128", "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8", "100::/64",
        "2001:db8::/32", "2001::/32",  # Teredo tunnels embed an arbitrary IPv4 address.
    )
]
_NAT64 = [ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48")]


class OutboundError(Exception):
    """A fetch that did not succeed."""


class OutboundRefused(OutboundError):
    """The destination is not allowed (scheme, address, redirect)."""


class OutboundTooLarge(OutboundError):
    """The response is over the size cap."""


class OutboundTransient(OutboundError):
    """A network failure or 5xx/429 that may succeed on retry."""


class OutboundNotFound(OutboundError):
    """The server answered 404 or 410: an answer, not a failure."""


@dataclass
class Response:
    status: int
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def json(self):
        import json

        return json.loads(self.body)


def is_public_address(address: str) -> bool:
    """True only for a global unicast address, also looking inside mapped/6to4/NAT64 forms."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return is_public_address(str(ip.ipv4_mapped))
        if ip.sixtofour is not None:
            return is_public_address(str(ip.sixtofour))
        if any(ip in net for net in _NAT64):
            return is_public_address(str(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)))
        if ip in ipaddress.ip_network("::ffff:0:0:0/96") or ip in ipaddress.ip_network("::/96"):
            return False  # IPv4-translated and deprecated IPv4-compatible forms
    if any(ip.version == net.version and ip in net for net in _BLOCKED_NETWORKS):
        return False
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified or ip.is_loopback
                                 or ip.is_link_local or ip.is_private)


def _allowlisted(host: str, port: int) -> bool:
    entries = {e.strip().lower() for e in settings.SIGIL_OUTBOUND_ALLOWLIST if e.strip()}
    return f"{host.lower()}:{port}" in entries


def resolve(host: str, port: int) -> list[str]:
    """All addresses for host (a seam tests may replace to simulate DNS)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({info[4][0] for info in infos})


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    address: str  # the checked IP the connection must go to
    path: str     # path + query

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        name = f"[{self.host}]" if ":" in self.host else self.host
        return name if self.port == default else f"{name}:{self.port}"


def check_url(url: str) -> Target:
    """Validate scheme, host and every resolved address; return where to connect."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise OutboundRefused(f"Malformed URL: {exc}") from None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".").lower()
    if scheme not in ("https", "http") or not host:
        raise OutboundRefused("Only https URLs with a host name are allowed.")
    if parts.username or parts.password:
        raise OutboundRefused("URLs with credentials are not allowed.")
    port = port or (443 if scheme == "https" else 80)
    allowed = _allowlisted(host, port)
    if scheme != "https" and not allowed:
        raise OutboundRefused("Only https URLs are allowed.")
    try:
        addresses = resolve(host, port)
    except (socket.gaierror, UnicodeError, OSError):
        raise OutboundRefused(f"Host {host} does not resolve.") from None
    if not addresses:
        raise OutboundRefused(f"Host {host} does not resolve.")
    if not allowed:
        for address in addresses:
            if not is_public_address(address):
                raise OutboundRefused(f"Host {host} resolves to a non-public address; refused.")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(scheme, host, port, addresses[0], path)


def _pool(target: Target, timeout: urllib3.Timeout):
    if target.scheme == "https":
        return urllib3.HTTPSConnectionPool(
            target.address, target.port, timeout=timeout, retries=False, maxsize=1,
            server_hostname=target.host, assert_hostname=target.host, cert_reqs="CERT_REQUIRED",
        )
    return urllib3.HTTPConnectionPool(target.address, target.port, timeout=timeout, retries=False, maxsize=1)


def request(method: str, url: str, *, headers: dict | None = None, body: bytes | None = None,
            max_bytes: int = DEFAULT_MAX_BYTES, timeout: tuple[float, float] = DEFAULT_TIMEOUT,
            total_seconds: float = DEFAULT_TOTAL_SECONDS, follow_redirects: bool = True) -> Response:
    """Send one request through the guard; redirects (GET only) are re-checked at every hop."""
    deadline = time.monotonic() + total_seconds
    for _hop in range(MAX_REDIRECTS + 1):
        target = check_url(url)
        send_headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity", **(headers or {}),
                        "Host": target.host_header}
        pool = _pool(target, urllib3.Timeout(connect=timeout[0], read=timeout[1]))
        try:
            raw = pool.urlopen(method, target.path, body=body, headers=send_headers, redirect=False,
                               retries=False, preload_content=False, assert_same_host=False)
        except urllib3.exceptions.SSLError as exc:
            raise OutboundError(f"TLS error talking to {target.host}: {exc}") from None
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise OutboundTransient(f"Could not reach {target.host}: {exc.__class__.__name__}") from None
        try:
            resp_headers = {k.lower(): v for k, v in raw.headers.items()}
            if follow_redirects and raw.status in (301, 302, 303, 307, 308) and "location" in resp_headers:
                url = urljoin(url, resp_headers["location"])
                if raw.status == 303 or (raw.status in (301, 302) and method == "POST"):
                    method, body = "GET", None
                continue
            declared = resp_headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise OutboundTooLarge(f"Response from {target.host} is over {max_bytes} bytes.")
            chunks, size = [], 0
            try:
                for chunk in raw.stream(64 * 1024, decode_content=False):
                    size += len(chunk)
                    if size > max_bytes:
                        raise OutboundTooLarge(f"Response from {target.host} is over {max_bytes} bytes.")
                    if time.monotonic() > deadline:
                        raise OutboundTransient(f"Download from {target.host} took too long.")
                    chunks.append(chunk)
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                raise OutboundTransient(f"Connection to {target.host} failed: {exc.__class__.__name__}") from None
            return Response(raw.status, url, resp_headers, b"".join(chunks))
        finally:
            raw.release_conn()
            pool.close()
    raise OutboundRefused(f"More than {MAX_REDIRECTS} redirects.")


def get(url: str, **kwargs) -> Response:
    return request("GET", url, **kwargs)


def get_ok(url: str, *, ok: tuple[int, ...] = (200,), **kwargs) -> Response:
    """get(), with the answer's status read one way for every registry fetch: 404 and 410 raise
    OutboundNotFound, 429 and 5xx OutboundTransient, any other status not in `ok` OutboundError."""
    response = get(url, **kwargs)
    if response.status in ok:
        return response
    if response.status in (404, 410):
        raise OutboundNotFound(f"answered {response.status}.")
    if response.status == 429 or response.status >= 500:
        raise OutboundTransient(f"answered {response.status}.")
    raise OutboundError(f"unexpected HTTP {response.status}.")
