"""The package proxy's endpoints (README, Firewall): plain Django views, since pip and npm speak
HTTP Basic / bearer install tokens, HTML and registry JSON rather than the JSON API.

Every error is the envelope; a block is 403 whose reason phrase names Sigil (pip prints it).
"""
from __future__ import annotations

import base64
import binascii
import functools
import logging
from html import escape
from urllib.parse import quote

from django.conf import settings
from django.http import HttpResponse, HttpResponsePermanentRedirect, JsonResponse

from domain.identifiers import pep503_name
from domain.registries import npm_expected_digest
from firewall import gate, npm, pypi, upstream
from firewall.constants import BASIC_REALM, NPM_CHALLENGE_SCHEME, WITHHELD_VISIBLY
from firewall.limits import ProxyLimitReached, proxy_request_count
from firewall.policy import removed_header
from firewall.selectors import firewall_settings_for, install_token_active
from firewall.services import install_token_touch
from sigil.api.errors import envelope_response

logger = logging.getLogger(__name__)

REMOVED_HEADER = "X-Sigil-Firewall-Removed"
# Upstream is down and this answer is built on cached metadata: how many seconds ago upstream last
# confirmed it (the policy was applied now, to the cached copy).
STALE_HEADER = "X-Sigil-Upstream-Stale"
PYPI_PROJECT = r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,198}[A-Za-z0-9])?"


def _token_from(request) -> str | None:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer":
        return value.strip() or None
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    username, _, password = decoded.partition(":")
    return password or username or None  # pip: __token__:<token>; some clients put it first


def _reason_phrase(text: str) -> str:
    """An HTTP reason phrase: one line of printable ASCII (pip shows it in its error)."""
    return "".join(c if 32 <= ord(c) < 127 else "?" for c in text)[:300]


def error(status: int, detail: str, *, headers: dict | None = None, reason: str | None = None) -> HttpResponse:
    response = envelope_response(status, detail, headers)
    if reason:
        response.reason_phrase = _reason_phrase(reason)
    return response


def proxy_view(view):
    """Install-token auth (401 with WWW-Authenticate otherwise), the tier's request rate (429 with
    Retry-After), GET/HEAD only, upstream errors as envelopes."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return error(405, f"{request.method} is not allowed here.", headers={"Allow": "GET, HEAD"})
        raw = _token_from(request)
        token = install_token_active(raw) if raw else None
        if token is None:
            problem = ("an install token is required (create one with `sigil firewall token create`)"
                       if raw is None else "the install token is invalid or revoked")
            detail = f"Sigil firewall: {problem}."
            challenge = (f'{NPM_CHALLENGE_SCHEME} realm="{BASIC_REALM}", error_description="{problem}"'
                         if request.path_info.startswith("/npm/") else f'Basic realm="{BASIC_REALM}"')
            return error(401, detail, headers={"WWW-Authenticate": challenge}, reason="Unauthorized: " + detail)
        usage = proxy_request_count(request, user=token.user)
        request.sigil_rate_usage = usage  # X-RateLimit-* headers (sigil.api.ratelimit)
        if usage["exceeded"]:
            detail = (f"Sigil firewall: rate limit of {usage['limit']} requests a minute on the {token.user.tier} "
                      f"tier reached; retry in {usage['retry_after']} s.")
            return error(429, detail, headers={"Retry-After": str(usage["retry_after"])},
                         reason="Too Many Requests: " + detail)
        install_token_touch(token)
        request.firewall_user = token.user
        try:
            return view(request, *args, **kwargs)
        except ProxyLimitReached as exc:
            return error(429, str(exc), headers={"Retry-After": str(exc.retry_after)},
                         reason="Too Many Requests: " + str(exc))
        except gate.Blocked as exc:
            return error(403, str(exc), reason=str(exc))
        except gate.ScanPending as exc:
            retry = str(settings.SIGIL_FIREWALL_RETRY_AFTER)
            return error(503, str(exc), headers={"Retry-After": retry, "X-Sigil-Verification": exc.verification_id},
                         reason=str(exc))
        except upstream.UpstreamError as exc:
            headers = {"Retry-After": str(settings.SIGIL_FIREWALL_RETRY_AFTER)} if exc.status == 503 else None
            return error(exc.status, str(exc), headers=headers, reason=str(exc))

    return wrapper


def _min_age(request) -> int:
    return firewall_settings_for(user=request.firewall_user).min_release_age_hours


# ---- PyPI ------------------------------------------------------------------------------------

@proxy_view
def simple_root(request):
    projects, stale_seconds = pypi.upstream_projects()
    if pypi.wants_json(request.META.get("HTTP_ACCEPT", "")):
        response = JsonResponse({"meta": {"api-version": "1.1"}, "projects": [{"name": p} for p in projects]},
                                content_type=pypi.SIMPLE_JSON)
    else:
        links = "\n".join(f'<a href="/simple/{quote(pep503_name(p))}/">{escape(p)}</a><br>' for p in projects)
        response = HttpResponse(f'<!DOCTYPE html>\n<html><head><meta name="pypi:repository-version" content="1.1">'
                                f"<title>Simple index</title></head><body>\n{links}\n</body></html>\n",
                                content_type=pypi.SIMPLE_HTML)
    return _mark_stale(response, stale_seconds)


def _mark_stale(response, stale_seconds: int | None):
    if stale_seconds is not None:
        response[STALE_HEADER] = str(stale_seconds)
    return response


def _filtered_metadata(response, decisions: dict, stale_seconds: int | None):
    """Headers of a per-user filtered metadata answer (PyPI project page, npm document): it varies by
    token and Accept, is revalidated every time, and says what the policy removed."""
    response["Vary"] = "Accept, Authorization"
    response["Cache-Control"] = "private, no-cache"
    response[REMOVED_HEADER] = removed_header(decisions.values()) or "none"
    return _mark_stale(response, stale_seconds)


@proxy_view
def simple_project(request, project: str):
    normalized = pep503_name(project)
    if normalized != project:
        return HttpResponsePermanentRedirect(f"/simple/{normalized}/")
    index = pypi.filtered_index(normalized, min_release_age_hours=_min_age(request))
    if pypi.wants_json(request.META.get("HTTP_ACCEPT", "")):
        response = JsonResponse(pypi.render_json(index, normalized), content_type=pypi.SIMPLE_JSON)
    else:
        response = HttpResponse(pypi.render_html(index, normalized), content_type=pypi.SIMPLE_HTML)
    return _filtered_metadata(response, index.decisions, index.stale_seconds)


@proxy_view
def pypi_file(request, project: str, filename: str):
    normalized = pep503_name(project)
    index = pypi.filtered_index(normalized, min_release_age_hours=_min_age(request))
    decision = index.decisions.get(filename)
    if decision is not None:
        if decision.reason in WITHHELD_VISIBLY:
            raise gate.Blocked(decision.message)
        return error(404, f"{filename} is withheld by Sigil ({decision.reason}).", reason=decision.message)
    entry = next((f for f in index.files if f.filename == filename), None)
    if entry is None:
        return error(404, f"{normalized} has no file {filename} upstream.")
    data, verification_id = gate.cleared_artifact(
        user=request.firewall_user, ecosystem="pypi", name=normalized, version=entry.version, filename=filename,
        upstream_url=entry.upstream_url, expected=("sha256", "sha256", entry.sha256))
    response = HttpResponse(data, content_type="application/octet-stream")
    response["X-Sigil-Verification"] = verification_id
    response["Cache-Control"] = "private, no-store"
    return response


# ---- npm -------------------------------------------------------------------------------------

def _npm_name(name: str) -> str | None:
    return name if npm.NPM_NAME.match(name) else None


@proxy_view
def npm_document(request, name: str):
    if _npm_name(name) is None:
        return error(404, "Not a valid npm package name.")
    abbreviated = npm.ABBREVIATED in request.META.get("HTTP_ACCEPT", "")
    base = request.build_absolute_uri("/").rstrip("/")
    filtered = npm.filtered_document(name, base_url=base, abbreviated=abbreviated,
                                     min_release_age_hours=_min_age(request))
    response = JsonResponse(filtered.doc, content_type=npm.ABBREVIATED if abbreviated else "application/json")
    return _filtered_metadata(response, filtered.decisions, filtered.stale_seconds)


@proxy_view
def npm_tarball(request, name: str, filename: str):
    if _npm_name(name) is None:
        return error(404, "Not a valid npm package name.")
    found = npm.find_version(name, filename)
    if found is None:
        return error(404, f"{name} has no tarball {filename} upstream.")
    version, dist = found
    filtered = npm.filtered_document(name, base_url="", abbreviated=True, min_release_age_hours=_min_age(request))
    decision = filtered.decisions.get(version)
    if decision is not None:
        if decision.reason in WITHHELD_VISIBLY:
            raise gate.Blocked(decision.message)
        return error(404, f"{name}@{version} is withheld by Sigil ({decision.reason}).", reason=decision.message)
    data, verification_id = gate.cleared_artifact(
        user=request.firewall_user, ecosystem="npm", name=name, version=version, filename=filename,
        upstream_url=dist["tarball"], expected=npm_expected_digest(dist))
    response = HttpResponse(data, content_type="application/octet-stream")
    response["X-Sigil-Verification"] = verification_id
    response["Cache-Control"] = "private, no-store"
    return response
