from django.urls import path, re_path

from firewall.api import views

urlpatterns = [
    path("install-tokens", views.InstallTokensView.as_view(), name="install-tokens"),
    re_path(r"^install-tokens/(?P<token_id>itk_[a-z0-9]{12})$", views.InstallTokenDetailView.as_view(),
            name="install-token-detail"),
    path("firewall/settings", views.FirewallSettingsView.as_view(), name="firewall-settings"),
]
