"""Envelope answers for what no view handles: unknown routes and unhandled exceptions."""
from django.views.decorators.csrf import csrf_exempt

from sigil import pages
from sigil.api.errors import envelope_response


# Exempt from CSRF: it changes nothing, and an unknown DELETE/POST path must answer the 404
# envelope, not Django's HTML 403 CSRF page.
@csrf_exempt
def not_found(request, exception=None):
    if pages.wants_html_page(request):
        return pages.page_not_found(request)
    return envelope_response(404, f"No route for {request.method} {request.path}.")


def server_error(request):
    return envelope_response(500, "Internal server error.")
