import hashlib

from django.http import HttpResponse, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers as drf_serializers
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.constants import TIER_LIMITS
from domain.identifiers import ECOSYSTEMS, normalize_hash
from intel import osv, selectors, services
from intel.api import serializers
from scans import services as scan_services
from scans.api.serializers import ScanInputSerializer
from intel.constants import ReportStatus
from sigil.api.errors import BadRequest, NotFound
from sigil.api.output import represent
from sigil.api.pagination import CursorPagination
from sigil.api.schema import AUTHENTICATED_ERRORS, error_responses


class ScanSubmitView(APIView):
    """POST /v1/scan: scans stores the scan; intel answers with what it knows about it."""

    @extend_schema(
        operation_id="scan_submit",
        request=ScanInputSerializer,
        responses={201: serializers.ScanSubmitOutputSerializer, **error_responses(400, 413, 422, *AUTHENTICATED_ERRORS)},
        description="Store a CLI scan and return known threats for its hash or package version. "
        "Sending the same quarantine_id again returns the stored scan (header Idempotent-Replayed: true).",
    )
    def post(self, request):
        data = ScanInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        dependencies = data.validated_data.pop("dependencies", [])
        scan, created = scan_services.scan_ingest(user=request.user, **data.validated_data)
        threats, publisher = selectors.scan_threats_and_publisher(scan=scan)
        body = represent(serializers.ScanSubmitOutputSerializer, {
            "scan": scan, "threats": threats, "publisher": publisher,
            "dependency_threats": selectors.dependency_threats(dependencies),
        })
        headers = {} if created else {"Idempotent-Replayed": "true"}
        return Response(body, status=status.HTTP_201_CREATED, headers=headers)


class ThreatLookupView(APIView):
    @extend_schema(
        operation_id="threat_lookup",
        parameters=[OpenApiParameter("hash", str, OpenApiParameter.PATH, description="sha256:<64 hex>; prefix optional, any case")],
        responses={200: serializers.ThreatOutputSerializer, **error_responses(400, *AUTHENTICATED_ERRORS)},
    )
    def get(self, request, hash):
        try:
            content_hash = normalize_hash(hash)
        except ValueError:
            raise BadRequest("Invalid hash format; expected sha256: followed by 64 hexadecimal characters.") from None
        threat = selectors.threat_lookup(content_hash=content_hash)
        answer = {"hash": content_hash, "known_threat": threat is not None,
                  **(threat or {"severity": None, "category": None, "description": None})}
        return Response(represent(serializers.ThreatOutputSerializer, answer))


class PublisherView(APIView):
    @extend_schema(
        operation_id="publisher_reputation",
        parameters=[
            OpenApiParameter("id", str, OpenApiParameter.PATH, description="Registry account name (npm, PyPI, GitHub) or pub_ id"),
            OpenApiParameter("ecosystem", str, enum=list(ECOSYSTEMS)),
        ],
        responses={200: serializers.PublisherOutputSerializer, **error_responses(400, 404, *AUTHENTICATED_ERRORS)},
    )
    def get(self, request, id):  # noqa: A002 - the path parameter is named id in docs/api.md
        query = serializers.PublisherQuerySerializer(data=request.query_params)
        if not query.is_valid():
            raise BadRequest(f"ecosystem must be one of: {', '.join(ECOSYSTEMS)}.")
        publisher = selectors.publisher_find(identifier=id, ecosystem=query.validated_data.get("ecosystem"))
        if publisher is None:
            raise NotFound("Publisher not found")
        profile = {"publisher": publisher, "reputation": selectors.publisher_reputation(publisher=publisher),
                   "packages": selectors.publisher_packages(publisher=publisher)}
        return Response(serializers.PublisherOutputSerializer(profile).data)


def _reports_per_hour() -> str:
    """The tiers' hourly report limits, for the schema: "10", or "10 to 50" if tiers differ."""
    limits = sorted({limits.reports_per_hour for limits in TIER_LIMITS.values()})
    return str(limits[0]) if len(limits) == 1 else f"{limits[0]} to {limits[-1]}"


class ReportCreateView(APIView):
    @extend_schema(
        operation_id="report_submit",
        request=serializers.ReportInputSerializer,
        responses={201: serializers.ReportOutputSerializer, **error_responses(400, 413, 422, *AUTHENTICATED_ERRORS)},
        description=f"Submit a threat report for analysts. At most {_reports_per_hour()} per user per hour.",
    )
    def post(self, request):
        data = serializers.ReportInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report = services.report_submit(user=request.user, **data.validated_data)
        return Response(serializers.ReportOutputSerializer(report).data, status=status.HTTP_201_CREATED)


class ReportListView(APIView):
    pagination_class = CursorPagination

    @extend_schema(
        operation_id="report_list",
        parameters=[
            OpenApiParameter("status", str, enum=ReportStatus.values),
            OpenApiParameter("cursor", str),
            OpenApiParameter("limit", int, description="Page size, at most 200"),
        ],
        responses={200: inline_serializer("ReportPage", {
            "results": serializers.ReportDetailSerializer(many=True),
            "next": drf_serializers.URLField(allow_null=True),
            "previous": drf_serializers.URLField(allow_null=True),
        }), **error_responses(400, *AUTHENTICATED_ERRORS)},
        description="The caller's own reports, newest first, cursor-paginated: {results, next, previous}.",
    )
    def get(self, request):
        status_filter = request.query_params.get("status")
        if status_filter is not None and status_filter not in ReportStatus.values:
            raise BadRequest(f"status must be one of: {', '.join(ReportStatus.values)}.")
        reports = selectors.report_list(user=request.user, status=status_filter)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(reports, request, view=self)
        context = {"signatures": selectors.report_signature_ids(reports=page)}
        return paginator.get_paginated_response(serializers.ReportDetailSerializer(page, many=True, context=context).data)


class ReportDetailView(APIView):
    @extend_schema(
        operation_id="report_detail",
        responses={200: serializers.ReportDetailSerializer, **error_responses(404, *AUTHENTICATED_ERRORS)},
    )
    def get(self, request, report_id):
        report = selectors.report_get(user=request.user, public_id=report_id)
        if report is None:  # another user's report is indistinguishable from a missing one
            raise NotFound("Report not found.")
        context = {"signatures": selectors.report_signature_ids(reports=[report])}
        return Response(serializers.ReportDetailSerializer(report, context=context).data)


# OSV export: public like the threat pages, cached with ETag (If-None-Match answers 304).

def _not_modified(request, etag: str) -> bool:
    return etag in [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]


def _cached(response, etag: str):
    response["ETag"] = etag
    response["Cache-Control"] = "public, max-age=300"
    return response


class OsvRecordView(APIView):
    authentication_classes = []
    permission_classes = []

    @extend_schema(
        operation_id="osv_record",
        parameters=[OpenApiParameter("reference", str, OpenApiParameter.PATH, description="THR-YYYY-NNNN")],
        responses={200: OpenApiTypes.OBJECT, 304: OpenApiResponse(description="Not modified (If-None-Match)"),
                   **error_responses(404, 429)},
        description="One threat as an OSV record (schema 1.6): id, aliases, summary, details, affected "
                    "(package with purl, ranges, versions), database_specific (severity, category, reports_count), "
                    "references (the public threat page as REPORT), withdrawn, published, modified. Public, ETag.",
    )
    def get(self, request, reference):
        threat = selectors.threat_by_reference(reference=reference)
        if threat is None:
            raise NotFound("Threat not found")
        etag = '"' + hashlib.sha256(f"{threat.reference}|{threat.updated_at.isoformat()}".encode()).hexdigest()[:32] + '"'
        if _not_modified(request, etag):
            return _cached(HttpResponse(status=304), etag)
        return _cached(Response(osv.threat_records([threat])[0]), etag)


class OsvAllZipView(APIView):
    authentication_classes = []
    permission_classes = []

    @extend_schema(operation_id="osv_all_zip", responses={(200, "application/zip"): OpenApiTypes.BINARY,
                                                          304: OpenApiResponse(description="Not modified"),
                                                          **error_responses(429)},
                   description="Every threat as an OSV record, one THR-….json per threat (OSV's all.zip). Public, ETag.")
    def get(self, request):
        etag = osv.export_etag()
        if _not_modified(request, etag):
            return _cached(HttpResponse(status=304), etag)
        response = StreamingHttpResponse(osv.export_zip_stream(), content_type="application/zip")
        response["Content-Disposition"] = 'attachment; filename="all.zip"'
        return _cached(response, etag)


class OsvModifiedCsvView(APIView):
    authentication_classes = []
    permission_classes = []

    @extend_schema(operation_id="osv_modified_id_csv", responses={(200, "text/csv"): OpenApiTypes.STR,
                                                                  304: OpenApiResponse(description="Not modified"),
                                                                  **error_responses(429)},
                   description="`modified,id` per threat, newest first, no header (OSV's modified_id.csv), so a "
                               "mirror fetches only what changed. Public, ETag.")
    def get(self, request):
        etag = osv.export_etag()
        if _not_modified(request, etag):
            return _cached(HttpResponse(status=304), etag)
        return _cached(StreamingHttpResponse(osv.export_modified_csv_stream(), content_type="text/csv; charset=utf-8"),
                       etag)
