"""HTML pages for people: the home page, the API docs from our own static files, HTML 404 pages
for the public pages (the API keeps its JSON envelope)."""
import re

import pytest

from sigil.csp import SELF_ONLY

pytestmark = pytest.mark.django_db


def _body(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def test_home_page_says_what_this_is_and_links_docs_admin_schema_and_health(client):
    response = client.get("/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert response["Content-Security-Policy"] == SELF_ONLY
    html = _body(response)
    assert "<h1>Sigil server</h1>" in html
    for href in ("/v1/docs", "/admin/", "/v1/openapi.json", "/healthz"):
        assert f'href="{href}"' in html
    assert "sigil register" in html


def test_home_page_stylesheet_is_served(client):
    html = _body(client.get("/"))
    css = re.search(r'<link rel="stylesheet" href="([^"]+)"', html).group(1)

    response = client.get(css)

    assert response.status_code == 200 and response["Content-Type"].startswith("text/css")


def test_admin_view_site_link_lands_on_the_home_page(client, django_user_model):
    admin = django_user_model.objects.create_superuser("root@example.com", "correct-horse-battery-staple")
    client.force_login(admin)

    html = _body(client.get("/admin/"))

    assert 'href="/">View site</a>' in html
    assert client.get("/").status_code == 200


def test_docs_are_swagger_ui_from_our_own_static_files_under_a_self_only_policy(client):
    response = client.get("/v1/docs")

    assert response.status_code == 200
    assert response["Content-Security-Policy"] == SELF_ONLY
    html = _body(response)
    assert 'id="swagger-ui"' in html
    assert "<style" not in html and not re.search(r"<script>\s*\S", html), "no inline style or script"
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert urls and all(u.startswith("/") and not u.startswith("//") for u in urls), urls
    scripts = re.findall(r'<script src="([^"]+)"', html)
    assert any("swagger-ui-bundle.js" in s for s in scripts)
    for url in urls:
        asset = client.get(url.replace("&amp;", "&"))
        assert asset.status_code == 200, url
    init = _body(client.get("/v1/docs?script="))
    assert "SwaggerUIBundle(" in init and '"/v1/openapi.json"' in init
    assert "validator.swagger.io" not in init


@pytest.mark.parametrize("path", [
    "/threats/THR-2026-9999",             # well-formed, unknown
    "/threats/not-a-reference",           # malformed
    "/verifications/ver_000000000000",    # well-formed, unknown
    "/verifications/whatever",
])
def test_unknown_public_pages_are_html_404_pages(client, path):
    response = client.get(path)

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    html = _body(response)
    assert "<h1>Not found</h1>" in html and path in html
    assert 'href="/"' in html


def test_the_api_keeps_its_json_envelope_for_unknown_routes(client):
    response = client.get("/v1/nothing-here")

    assert response.status_code == 404
    assert response.json() == {"detail": "No route for GET /v1/nothing-here.", "code": "NOT_FOUND", "status": 404}
