from django.urls import path, re_path

from marketplace.api import views

urlpatterns = [
    path("lookup", views.LookupView.as_view(), name="lookup"),
    path("verify", views.VerifyView.as_view(), name="verify"),
    path("verify/webhook-secret", views.WebhookSecretView.as_view(), name="verify-webhook-secret"),
    re_path(r"^verify/(?P<verification_id>ver_[a-z0-9]{12})$", views.VerificationDetailView.as_view(),
            name="verify-detail"),
    re_path(r"^verify/(?P<verification_id>ver_[a-z0-9]{12})/deliveries$", views.VerificationDeliveriesView.as_view(),
            name="verify-deliveries"),
]
