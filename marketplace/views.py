"""Public, unauthenticated pages: badges and the verification page."""
import re
from urllib.parse import urlsplit

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseNotModified, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from marketplace import badges, selectors
from marketplace.api.serializers import revocation_body

BADGE_CACHE = "public, max-age=300"
NOT_FOUND_CACHE = "public, max-age=60"  # an id about to exist (a verification just requested) shows soon
PUBLIC_ID = re.compile(r"^ver_[a-z0-9]{12}$")


def _verification(verification_id: str):
    verification = selectors.verification_public(public_id=verification_id)
    if verification is None:
        raise Http404("Verification not found.")
    return verification


def _cached(request, response, content, cache_control=BADGE_CACHE):
    etag = badges.etag_for(content)
    if response.status_code == 200 and etag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
        response = HttpResponseNotModified()
    response["ETag"] = etag
    response["Cache-Control"] = cache_control
    return response


def _badge_subject(verification_id: str):
    """The verification, or None: an unknown id still gets a badge ("not found", 404), never a broken image."""
    if not PUBLIC_ID.match(verification_id):
        return None
    return selectors.verification_public(public_id=verification_id)


@require_safe
def badge_svg(request, verification_id: str):
    verification = _badge_subject(verification_id)
    if verification is None:
        svg, status, cache = badges.render_svg(badges.NOT_FOUND), 404, NOT_FOUND_CACHE
    else:
        page = f"{settings.SIGIL_PUBLIC_URL}/verifications/{verification.public_id}"
        svg, status, cache = badges.render_svg(badges.badge_message(verification), link=page), 200, BADGE_CACHE
    response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8", status=status)
    # An SVG opened directly must not run script, whatever got into it.
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return _cached(request, response, svg, cache)


@require_safe
def badge_json(request, verification_id: str):
    verification = _badge_subject(verification_id)
    message = badges.badge_message(verification) if verification else badges.NOT_FOUND
    response = JsonResponse(badges.endpoint_badge(message), status=200 if verification else 404)
    return _cached(request, response, response.content, BADGE_CACHE if verification else NOT_FOUND_CACHE)


@require_safe
def verification_page(request, verification_id: str):
    verification = _verification(verification_id)
    ref = verification.source_ref
    if verification.source_type in ("url", "git"):
        parts = urlsplit(ref)  # no query or fragment: they may carry the requester's tokens
        ref = f"{parts.hostname}{parts.path}"
    context = {
        "v": verification,
        "display_ref": ref,
        "message": badges.badge_message(verification),
        "state": badges.badge_state(verification)[0],
        "done": verification.is_done,
        "publisher": verification.publisher,
        "revocation": revocation_body(verification),
    }
    return render(request, "marketplace/verification.html", context)
