from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers as drf_serializers
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from intel.api.serializers import ThreatSummarySerializer
from intel.selectors import scan_threats_and_publisher
from scans import selectors, services
from scans.api import serializers
from scans.constants import SourceType, Verdict
from sigil.api.errors import NotFound, RateLimited
from sigil.api.pagination import CursorPagination
from sigil.api.schema import AUTHENTICATED_ERRORS, error_responses
from sigil.timefmt import isoformat_z


class ScanCreateView(APIView):
    @extend_schema(
        operation_id="scan_submit",
        request=serializers.ScanInputSerializer,
        responses={201: serializers.ScanCreatedSerializer, **error_responses(400, 413, 422, *AUTHENTICATED_ERRORS)},
        description="Store a CLI scan and return known threats for its hash or package version. "
        "Sending the same quarantine_id again returns the stored scan (header Idempotent-Replayed: true).",
    )
    def post(self, request):
        data = serializers.ScanInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            scan, created = services.scan_ingest(user=request.user, **data.validated_data)
        except services.ScanQuotaExceeded as exc:
            raise RateLimited(str(exc), retry_after=exc.retry_after) from None
        threats, publisher = scan_threats_and_publisher(scan=scan)
        body = {
            "scan_id": scan.public_id,
            "quarantine_id": scan.quarantine_id,
            "score": scan.score,
            "verdict": scan.verdict,
            "threats": ThreatSummarySerializer(threats, many=True).data,
            "publisher": publisher,
            "created_at": isoformat_z(scan.created_at),
        }
        headers = {} if created else {"Idempotent-Replayed": "true"}
        return Response(body, status=status.HTTP_201_CREATED, headers=headers)


class ScanListView(APIView):
    pagination_class = CursorPagination

    @extend_schema(
        operation_id="scan_history",
        parameters=[
            OpenApiParameter("verdict", str, enum=Verdict.values, many=True),
            OpenApiParameter("source_type", str, enum=SourceType.values, many=True),
            OpenApiParameter("created_after", str, description="ISO 8601, inclusive"),
            OpenApiParameter("created_before", str, description="ISO 8601, exclusive"),
            OpenApiParameter("cursor", str),
            OpenApiParameter("limit", int, description="Page size, at most 200"),
        ],
        responses={200: inline_serializer("ScanPage", {
            "results": serializers.ScanOutputSerializer(many=True),
            "next": drf_serializers.URLField(allow_null=True),
            "previous": drf_serializers.URLField(allow_null=True),
        }), **error_responses(400, *AUTHENTICATED_ERRORS)},
        description="The caller's scans, newest first, cursor-paginated: {results, next, previous}.",
    )
    def get(self, request):
        scans = selectors.scan_list(user=request.user, filters=request.query_params)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(scans, request, view=self)
        return paginator.get_paginated_response(serializers.ScanOutputSerializer(page, many=True).data)


class ScanDetailView(APIView):
    @extend_schema(
        operation_id="scan_detail",
        responses={200: serializers.ScanOutputSerializer, **error_responses(404, *AUTHENTICATED_ERRORS)},
    )
    def get(self, request, scan_id):
        scan = selectors.scan_get(user=request.user, public_id=scan_id)
        if scan is None:  # another user's scan is indistinguishable from a missing one
            raise NotFound("Scan not found.")
        return Response(serializers.ScanOutputSerializer(scan).data)
