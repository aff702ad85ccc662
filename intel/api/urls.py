from django.urls import path, re_path

from intel.api import views

urlpatterns = [
    path("scan", views.ScanSubmitView.as_view(), name="scan-create"),
    path("threat/<str:hash>", views.ThreatLookupView.as_view(), name="threat-lookup"),
    path("publisher/<str:id>", views.PublisherView.as_view(), name="publisher-detail"),
    path("report", views.ReportCreateView.as_view(), name="report-create"),
    path("reports", views.ReportListView.as_view(), name="report-list"),
    path("reports/<str:report_id>", views.ReportDetailView.as_view(), name="report-detail"),
    path("osv/all.zip", views.OsvAllZipView.as_view(), name="osv-all-zip"),
    path("osv/modified_id.csv", views.OsvModifiedCsvView.as_view(), name="osv-modified-csv"),
    re_path(r"^osv/(?P<reference>THR-[0-9]{4}-[0-9]{4,})$", views.OsvRecordView.as_view(), name="osv-record"),
]
