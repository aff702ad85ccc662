"""Upstream registry metadata through the guarded client, cached in the shared cache.

An entry is fresh for SIGIL_FIREWALL_METADATA_TTL seconds; after that it is revalidated with
If-None-Match / If-Modified-Since, and a 304 keeps the cached body. When the revalidation fails
(upstream down, 5xx, 429, or an answer refused) and the cached copy was confirmed less than
SIGIL_FIREWALL_STALE_IF_ERROR seconds ago, the cached copy is served, marked stale (RFC 5861's
stale-if-error), and for SIGIL_FIREWALL_RETRY_AFTER seconds without asking upstream again; the policy is applied to it as to any copy, against the threats of now. Otherwise
failures become the errors below, which the proxy answers as envelopes (404, 502, 503), never a
traceback. A 404 from upstream is an answer, not a failure: it is never papered over.
"""
from __future__ import annotations

import hashlib
import json
import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from marketplace import guarded_http
from marketplace.guarded_http import OutboundError, OutboundNotFound, OutboundTransient

METADATA_MAX_BYTES = 20 * 1024 * 1024
KEEP_SECONDS = 7 * 24 * 3600  # how long a validator is kept for revalidation (and a stale copy)

logger = logging.getLogger(__name__)


class UpstreamError(Exception):
    status = 502


class UpstreamNotFound(UpstreamError):
    status = 404


class UpstreamUnavailable(UpstreamError):
    status = 503


@dataclass(frozen=True)
class Metadata:
    doc: dict
    stale_seconds: int | None = None  # set when upstream failed: how long ago upstream last confirmed doc


def _key(url: str, accept: str) -> str:
    return "firewall:meta:" + hashlib.sha256(f"{accept}\n{url}".encode()).hexdigest()


def fetch_json(url: str, *, accept: str, what: str) -> Metadata:
    """The upstream JSON document at url (cached, revalidated, stale if upstream fails)."""
    key = _key(url, accept)
    cached = cache.get(key)
    now = time.time()
    if cached is not None and now - cached["checked"] < settings.SIGIL_FIREWALL_METADATA_TTL:
        return Metadata(cached["doc"])
    age = int(now - cached["checked"]) if cached is not None else None
    servable = age is not None and age <= settings.SIGIL_FIREWALL_STALE_IF_ERROR
    if servable and cached.get("failed_until", 0) > now:
        # Upstream failed moments ago: answer from the stale copy at once rather than make every
        # request of an install wait out another connect timeout.
        return Metadata(cached["doc"], stale_seconds=age)
    try:
        return _refresh(url, accept=accept, what=what, key=key, cached=cached, now=now)
    except UpstreamNotFound:
        raise
    except UpstreamError as exc:
        if not servable:
            raise
        logger.warning("serving %s stale (%s s old): %s", what, age, exc)
        cache.set(key, {**cached, "failed_until": now + settings.SIGIL_FIREWALL_RETRY_AFTER}, KEEP_SECONDS)
        return Metadata(cached["doc"], stale_seconds=age)


def _refresh(url: str, *, accept: str, what: str, key: str, cached: dict | None, now: float) -> Metadata:
    headers = {"Accept": accept}
    if cached is not None:
        if cached.get("etag"):
            headers["If-None-Match"] = cached["etag"]
        if cached.get("last_modified"):
            headers["If-Modified-Since"] = cached["last_modified"]
    with _upstream_errors(what, "registry"):
        response = guarded_http.get_ok(url, ok=(200, 304) if cached is not None else (200,), headers=headers,
                                       max_bytes=METADATA_MAX_BYTES, timeout=(5.0, 15.0), total_seconds=30.0)
    if response.status == 304:
        cached["checked"] = now
        cache.set(key, cached, KEEP_SECONDS)
        return Metadata(cached["doc"])
    try:
        doc = json.loads(response.body)
    except ValueError:
        raise UpstreamError(f"The upstream registry sent invalid JSON ({what}).") from None
    if not isinstance(doc, dict):
        raise UpstreamError(f"The upstream registry sent an unexpected document ({what}).")
    cache.set(key, {"doc": doc, "etag": response.headers.get("etag", ""),
                    "last_modified": response.headers.get("last-modified", ""), "checked": now}, KEEP_SECONDS)
    return Metadata(doc)


def fetch_file(url: str, *, what: str) -> bytes:
    """A distribution file or tarball, size-capped like a verification's download."""
    with _upstream_errors(what, "file host"):
        return guarded_http.get_ok(url, max_bytes=settings.SIGIL_VERIFY_MAX_ARTIFACT_BYTES).body


@contextmanager
def _upstream_errors(what: str, server: str):
    """The guarded client's failures as the proxy's errors (404, 503, 502)."""
    try:
        yield
    except OutboundNotFound:
        raise UpstreamNotFound(f"{what} does not exist upstream.") from None
    except OutboundTransient as exc:
        raise UpstreamUnavailable(f"The upstream {server} is unreachable or busy ({what}): {exc}") from None
    except OutboundError as exc:
        raise UpstreamError(f"The upstream {server}'s answer was refused ({what}): {exc}") from None
