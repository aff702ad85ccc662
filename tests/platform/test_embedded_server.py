"""The embedded server started with `scripts/serve`, over real HTTP: static files with no extra step."""
import re

import pytest
import requests

from tests.platform.embedded import EmbeddedServer


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = EmbeddedServer(tmp_path_factory.mktemp("embedded")).start()
    yield running
    running.stop()


def test_admin_stylesheet_is_served_with_no_collectstatic(server):
    response = requests.get(server.url + "/static/admin/css/base.css", timeout=10)

    assert response.status_code == 200, response.text[:200]
    assert response.headers["Content-Type"].startswith("text/css")
    assert "body" in response.text
    assert "No directory at" not in server.log()


def test_admin_login_page_links_stylesheets_that_load(server):
    html = requests.get(server.url + "/admin/login/", timeout=10).text

    sheets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
    assert sheets
    for href in sheets:
        assert requests.get(server.url + href, timeout=10).status_code == 200, href


def test_api_docs_load_swagger_ui_from_this_server(server):
    html = requests.get(server.url + "/v1/docs", timeout=10).text

    scripts = re.findall(r'<script src="([^"]+)"', html)
    assert any(s.startswith("/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js") for s in scripts)
    for src in scripts:
        response = requests.get(server.url + src.replace("&amp;", "&"), timeout=10)
        assert response.status_code == 200, src
        assert "javascript" in response.headers["Content-Type"]
