from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularJSONAPIView

from sigil.admin import throttled_admin_login
from sigil.api.health import HealthView, PingView
from sigil.api.views import not_found
from sigil.pages import DocsView, home

handler404 = "sigil.api.views.not_found"
handler500 = "sigil.api.views.server_error"

urlpatterns = [
    path("v1/auth/", include("accounts.api.urls")),
    path("v1/", include("scans.api.urls")),
    path("v1/", include("intel.api.urls")),
    path("v1/", include("signatures.api.urls")),
    path("v1/", include("marketplace.api.urls")),
    path("v1/", include("firewall.api.urls")),
    path("v1/ping", PingView.as_view(), name="ping"),
    path("healthz", HealthView.as_view(), name="healthz"),
    path("v1/openapi.json", SpectacularJSONAPIView.as_view(authentication_classes=[], permission_classes=[]), name="openapi"),
    path("v1/docs", DocsView.as_view(url_name="openapi"), name="docs"),
    path("admin/login/", throttled_admin_login),
    path("admin/", admin.site.urls),
    path("", home, name="home"),
    path("", include("intel.urls")),
    path("", include("marketplace.urls")),
    path("", include("firewall.urls")),
    # Anything else is a 404 in the envelope (an HTML page under the public pages), also with DEBUG on.
    re_path(r"^", not_found),
]
