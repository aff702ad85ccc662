"""The server's own HTML pages: the home page, the API docs, and 404 pages for people."""
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_safe
from drf_spectacular.views import SpectacularSwaggerSplitView

from sigil.csp import self_only

# Paths people open in a browser (links from threat references, badges, the admin): an unknown
# one answers an HTML page. Everything else keeps the API's JSON envelope.
HTML_PAGE_PREFIXES = ("/threats/", "/verifications/")


def wants_html_page(request) -> bool:
    return request.path.startswith(HTML_PAGE_PREFIXES)


@require_safe
@self_only
def home(request):
    return render(request, "sigil/home.html")


@self_only
def page_not_found(request):
    return render(request, "sigil/404.html", {"path": request.path}, status=404)


@method_decorator(self_only, name="get")
class DocsView(SpectacularSwaggerSplitView):
    """Swagger UI from the sidecar's static files; its init script is a separate request
    (`?script`), so the page needs no inline script and runs under the self-only policy."""

    template_name = "sigil/swagger_ui.html"
    authentication_classes: list = []
    permission_classes: list = []
