from django.urls import path

from scans.api import views

urlpatterns = [
    path("scans", views.ScanListView.as_view(), name="scan-list"),
    path("scans/<str:scan_id>", views.ScanDetailView.as_view(), name="scan-detail"),
]
