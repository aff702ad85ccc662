"""Request-level guards that must run before any view parses the body."""
import io
import logging
from urllib.parse import parse_qsl

from django.conf import settings
from django.core.handlers.wsgi import LimitedStream

from sigil.api.errors import UNAVAILABLE_ERRORS, ServiceUnavailable, envelope_response
from sigil.api.parsers import has_hostile_characters

logger = logging.getLogger(__name__)


def _too_large():
    limit_mb = settings.MAX_REQUEST_BODY_BYTES // (1024 * 1024)
    return envelope_response(413, f"Request body exceeds the maximum size of {limit_mb} MB.")


class BodySizeLimitMiddleware:
    """Refuse bodies over MAX_REQUEST_BODY_BYTES before anything reads them.

    A declared Content-Length over the limit is refused unread. A chunked body (no
    Content-Length) is 411 where the server does not decode it (runserver: no
    wsgi.input_terminated); elsewhere (gunicorn) it is read here, at most limit + 1 bytes, so a client cannot stream an
    unbounded body by omitting the header. A Content-Length that understates the body only
    ever yields that many bytes (Django's LimitedStream), so a lie cannot smuggle more in.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.MAX_REQUEST_BODY_BYTES
        declared = request.META.get("CONTENT_LENGTH")
        chunked = "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
        if declared:
            try:
                length = int(declared)
            except ValueError:
                return envelope_response(400, "Content-Length must be an integer.")
            if length < 0:
                return envelope_response(400, "Content-Length must not be negative.")
            if length > limit:
                return _too_large()
        elif chunked:
            if not request.environ.get("wsgi.input_terminated"):
                # Only servers that decode chunked bodies say so (gunicorn does); the embedded
                # runserver hands the view an empty body, so refuse rather than misread it.
                return envelope_response(411, "This server cannot read chunked request bodies; "
                                              "send the body with a Content-Length header.")
            raw = request.environ.get("wsgi.input")
            data = raw.read(limit + 1) if raw is not None else b""
            if len(data) > limit:
                return _too_large()
            request.META["CONTENT_LENGTH"] = str(len(data))
            request._stream = LimitedStream(io.BytesIO(data), len(data))
        return self.get_response(request)


class HostileTextMiddleware:
    """NUL bytes or lone surrogates in the path are 404 (no id contains them), in the query 400.

    JSON bodies get the same rule in sigil.api.parsers.StrictJSONParser.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if has_hostile_characters(request.path_info):
            return envelope_response(404, "Not found.")
        query = request.META.get("QUERY_STRING", "")
        if "%00" in query or "\x00" in query:
            pairs = parse_qsl(query, keep_blank_values=True, errors="replace")
            if any(has_hostile_characters(key) or has_hostile_characters(value) for key, value in pairs):
                return envelope_response(400, "The query string contains a NUL character.")
        return self.get_response(request)


class ServiceUnavailableMiddleware:
    """Answer 503 in the envelope when the database or Redis is down outside a DRF view."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, UNAVAILABLE_ERRORS):
            logger.error("backing service unavailable on %s: %s", request.path, exception.__class__.__name__)
            unavailable = ServiceUnavailable()
            return envelope_response(unavailable.status_code, str(unavailable.detail), unavailable.headers)
        return None
