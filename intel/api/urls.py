from django.urls import path

from intel.api import views

urlpatterns = [
    path("scan", views.ScanSubmitView.as_view(), name="scan-create"),
    path("threat/<str:hash>", views.ThreatLookupView.as_view(), name="threat-lookup"),
    path("publisher/<str:id>", views.PublisherView.as_view(), name="publisher-detail"),
    path("report", views.ReportCreateView.as_view(), name="report-create"),
    path("reports", views.ReportListView.as_view(), name="report-list"),
    path("reports/<str:report_id>", views.ReportDetailView.as_view(), name="report-detail"),
]
