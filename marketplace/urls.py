from django.urls import re_path

from marketplace import views

urlpatterns = [
    re_path(r"^badge/(?P<verification_id>ver_[a-z0-9]{12})\.svg$", views.badge_svg, name="badge-svg"),
    re_path(r"^badge/(?P<verification_id>ver_[a-z0-9]{12})\.json$", views.badge_json, name="badge-json"),
    re_path(r"^verifications/(?P<verification_id>ver_[a-z0-9]{12})$", views.verification_page,
            name="verification-page"),
]
