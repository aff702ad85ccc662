"""Envelope answers for what no view handles: unknown routes and unhandled exceptions."""
from sigil import pages
from sigil.api.errors import envelope_response


def not_found(request, exception=None):
    if pages.wants_html_page(request):
        return pages.page_not_found(request)
    return envelope_response(404, f"No route for {request.method} {request.path}.")


def server_error(request):
    return envelope_response(500, "Internal server error.")
