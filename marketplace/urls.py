from django.urls import re_path

from marketplace import views

# Any id gets a badge, so an embed with a mistyped id shows "not found" rather than a broken image.
urlpatterns = [
    re_path(r"^badge/(?P<verification_id>[^/]{1,64})\.svg$", views.badge_svg, name="badge-svg"),
    re_path(r"^badge/(?P<verification_id>[^/]{1,64})\.json$", views.badge_json, name="badge-json"),
    re_path(r"^verifications/(?P<verification_id>ver_[a-z0-9]{12})$", views.verification_page,
            name="verification-page"),
]
