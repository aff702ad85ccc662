"""Every error class leaves as the envelope of docs/api.md."""
import pytest
from django.test import Client, override_settings
from django.urls import path
from rest_framework.views import APIView

pytestmark = pytest.mark.django_db


def _assert_envelope(response, status, code):
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code and body["status"] == status and isinstance(body["detail"], str)
    return body


def test_unknown_route_is_404_envelope(api):
    _assert_envelope(api.get("/v1/nope"), 404, "NOT_FOUND")
    _assert_envelope(api.get("/totally/elsewhere"), 404, "NOT_FOUND")


def test_unknown_route_with_an_unsafe_method_is_404_envelope_not_a_csrf_page():
    # Django's test client skips CSRF checks unless asked; real clients get them.
    client = Client(enforce_csrf_checks=True)
    _assert_envelope(client.delete("/v1/install-tokens/%C2%84"), 404, "NOT_FOUND")
    _assert_envelope(client.post("/v1/nope", data="{}", content_type="application/json"), 404, "NOT_FOUND")


def test_wrong_method_is_405_envelope(api):
    _assert_envelope(api.get("/v1/auth/register"), 405, "METHOD_NOT_ALLOWED")


def test_malformed_json_is_400(api):
    response = api.post("/v1/auth/register", data="{not json", content_type="application/json")
    _assert_envelope(response, 400, "BAD_REQUEST")


def test_non_json_body_is_400(api):
    response = api.post("/v1/auth/register", data="email=a@b.c", content_type="application/x-www-form-urlencoded")
    _assert_envelope(response, 400, "BAD_REQUEST")


def test_nan_is_not_json(api):
    response = api.post("/v1/auth/register", data='{"email": NaN}', content_type="application/json")
    _assert_envelope(response, 400, "BAD_REQUEST")


def test_deeply_nested_json_is_400_not_500(api):
    response = api.post("/v1/auth/register", data="[" * 100000 + "]" * 100000, content_type="application/json")
    _assert_envelope(response, 400, "BAD_REQUEST")


def test_json_array_body_is_422(api):
    response = api.post("/v1/auth/register", data="[1, 2]", content_type="application/json")
    assert response.status_code in (400, 422)
    assert response.json()["code"] in ("BAD_REQUEST", "VALIDATION_ERROR")


def test_body_over_1mb_is_413_before_parsing(api):
    response = api.post("/v1/auth/register", data='{"email": "' + "a" * (1024 * 1024) + '"}', content_type="application/json")
    _assert_envelope(response, 413, "PAYLOAD_TOO_LARGE")


def test_declared_length_over_1mb_is_413_even_if_body_is_small(api):
    response = api.generic("POST", "/v1/auth/register", data=b"{}", content_type="application/json",
                           CONTENT_LENGTH=str(5 * 1024 * 1024))
    _assert_envelope(response, 413, "PAYLOAD_TOO_LARGE")


def test_chunked_body_over_1mb_without_length_is_413(api):
    import io

    body = b'{"email": "' + b"a" * (1024 * 1024 + 10) + b'"}'
    response = api.generic("POST", "/v1/auth/register", content_type="application/json",
                           HTTP_TRANSFER_ENCODING="chunked", CONTENT_LENGTH="",
                           **{"wsgi.input": io.BytesIO(body), "wsgi.input_terminated": True})  # as gunicorn
    _assert_envelope(response, 413, "PAYLOAD_TOO_LARGE")


class _Boom(APIView):
    authentication_classes: list = []
    permission_classes: list = []

    def get(self, request):
        raise RuntimeError("secret internals /etc/passwd")


urlpatterns = [path("boom", _Boom.as_view())]
handler500 = "sigil.api.views.server_error"


@override_settings(ROOT_URLCONF=__name__)
def test_unhandled_exception_is_500_envelope_without_traceback_and_logged(caplog):
    client = Client(raise_request_exception=False)
    with caplog.at_level("ERROR"):
        response = client.get("/boom")
    body = _assert_envelope(response, 500, "INTERNAL_ERROR")
    assert "secret internals" not in response.content.decode()
    assert "Traceback" not in response.content.decode()
    assert body == {"detail": "Internal server error.", "code": "INTERNAL_ERROR", "status": 500}
    assert any("secret internals" in str(r.exc_info) for r in caplog.records if r.exc_info)
