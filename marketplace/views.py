"""Public, unauthenticated pages: badges and the verification page."""
from urllib.parse import urlsplit

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseNotModified, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from marketplace import badges, selectors
from marketplace.constants import VerificationStatus

BADGE_CACHE = "public, max-age=300"


def _verification(verification_id: str):
    verification = selectors.verification_public(public_id=verification_id)
    if verification is None:
        raise Http404("Verification not found.")
    return verification


def _cached(request, response, content):
    etag = badges.etag_for(content)
    if etag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
        response = HttpResponseNotModified()
    response["ETag"] = etag
    response["Cache-Control"] = BADGE_CACHE
    return response


@require_safe
def badge_svg(request, verification_id: str):
    verification = _verification(verification_id)
    page = f"{settings.SIGIL_PUBLIC_URL}/verifications/{verification.public_id}"
    svg = badges.render_svg(badges.badge_message(verification), link=page)
    response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
    # An SVG opened directly must not run script, whatever got into it.
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return _cached(request, response, svg)


@require_safe
def badge_json(request, verification_id: str):
    doc = badges.endpoint_badge(badges.badge_message(_verification(verification_id)))
    response = JsonResponse(doc)
    return _cached(request, response, response.content)


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
        "done": verification.status in (VerificationStatus.VERIFIED, VerificationStatus.FAILED),
        "publisher": verification.publisher,
    }
    return render(request, "marketplace/verification.html", context)
