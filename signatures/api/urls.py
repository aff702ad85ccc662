from django.urls import path

from signatures.api.views import SignatureSyncView

urlpatterns = [
    path("signatures", SignatureSyncView.as_view(), name="signatures-sync"),
]
