"""Scan history. POST /v1/scan is intel.api.views.ScanSubmitView: its answer is threat intelligence
about the scan, and scans stays below intel (README, Architecture)."""
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers as drf_serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from scans import selectors
from scans.api import serializers
from scans.constants import SourceType, Verdict
from sigil.api.errors import NotFound
from sigil.api.pagination import CursorPagination
from sigil.api.schema import AUTHENTICATED_ERRORS, error_responses


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
