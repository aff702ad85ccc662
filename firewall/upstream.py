"""Upstream registry metadata through the guarded client, cached in the shared cache.

An entry is fresh for SIGIL_FIREWALL_METADATA_TTL seconds; after that it is revalidated with
If-None-Match / If-Modified-Since, and a 304 keeps the cached body. Failures become the errors
below, which the proxy answers as envelopes (404, 502, 503), never a traceback.
"""
from __future__ import annotations

import hashlib
import json
import time

from django.conf import settings
from django.core.cache import cache

from marketplace import guarded_http
from marketplace.guarded_http import OutboundError, OutboundTransient

METADATA_MAX_BYTES = 20 * 1024 * 1024
KEEP_SECONDS = 7 * 24 * 3600  # how long a validator is kept for revalidation


class UpstreamError(Exception):
    status = 502


class UpstreamNotFound(UpstreamError):
    status = 404


class UpstreamUnavailable(UpstreamError):
    status = 503


def _key(url: str, accept: str) -> str:
    return "firewall:meta:" + hashlib.sha256(f"{accept}\n{url}".encode()).hexdigest()


def fetch_json(url: str, *, accept: str, what: str) -> dict:
    """The upstream JSON document at url (cached, revalidated)."""
    key = _key(url, accept)
    cached = cache.get(key)
    now = time.time()
    if cached is not None and now - cached["checked"] < settings.SIGIL_FIREWALL_METADATA_TTL:
        return cached["doc"]
    headers = {"Accept": accept}
    if cached is not None:
        if cached.get("etag"):
            headers["If-None-Match"] = cached["etag"]
        if cached.get("last_modified"):
            headers["If-Modified-Since"] = cached["last_modified"]
    try:
        response = guarded_http.get(url, headers=headers, max_bytes=METADATA_MAX_BYTES, timeout=(5.0, 15.0),
                                    total_seconds=30.0)
    except OutboundTransient as exc:
        raise UpstreamUnavailable(f"The upstream registry is unreachable ({what}): {exc}") from None
    except OutboundError as exc:
        raise UpstreamError(f"The upstream registry's answer was refused ({what}): {exc}") from None
    if response.status == 304 and cached is not None:
        cached["checked"] = now
        cache.set(key, cached, KEEP_SECONDS)
        return cached["doc"]
    if response.status in (404, 410):
        raise UpstreamNotFound(f"{what} does not exist upstream.")
    if response.status == 429 or response.status >= 500:
        raise UpstreamUnavailable(f"The upstream registry answered {response.status} ({what}).")
    if response.status != 200:
        raise UpstreamError(f"The upstream registry answered {response.status} ({what}).")
    try:
        doc = json.loads(response.body)
    except ValueError:
        raise UpstreamError(f"The upstream registry sent invalid JSON ({what}).") from None
    if not isinstance(doc, dict):
        raise UpstreamError(f"The upstream registry sent an unexpected document ({what}).")
    cache.set(key, {"doc": doc, "etag": response.headers.get("etag", ""),
                    "last_modified": response.headers.get("last-modified", ""), "checked": now}, KEEP_SECONDS)
    return doc


def fetch_file(url: str, *, what: str) -> bytes:
    """A distribution file or tarball, size-capped like a verification's download."""
    try:
        response = guarded_http.get(url, max_bytes=settings.SIGIL_VERIFY_MAX_ARTIFACT_BYTES)
    except OutboundTransient as exc:
        raise UpstreamUnavailable(f"The upstream file host is unreachable ({what}): {exc}") from None
    except OutboundError as exc:
        raise UpstreamError(f"The download of {what} was refused: {exc}") from None
    if response.status in (404, 410):
        raise UpstreamNotFound(f"{what} does not exist upstream.")
    if response.status == 429 or response.status >= 500:
        raise UpstreamUnavailable(f"The upstream file host answered {response.status} ({what}).")
    if response.status != 200:
        raise UpstreamError(f"The upstream file host answered {response.status} ({what}).")
    return response.body
