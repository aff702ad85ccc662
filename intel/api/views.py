from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from intel import selectors, services
from intel.api import serializers
from domain.identifiers import ECOSYSTEMS, normalize_hash, parse_source_ref
from scans.models import Scan
from sigil.api.errors import BadRequest, NotFound, RateLimited
from sigil.api.schema import AUTHENTICATED_ERRORS, error_responses
from sigil.timefmt import isoformat_z


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
        if threat is None:
            return Response({"hash": content_hash, "known_threat": False, "severity": None, "category": None, "description": None})
        return Response({
            "hash": content_hash,
            "known_threat": True,
            **threat,
            "first_seen": isoformat_z(threat["first_seen"]),
            "last_seen": isoformat_z(threat["last_seen"]),
        })


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
        reputation = selectors.publisher_reputation(publisher=publisher)
        return Response({
            "id": publisher.public_id,
            "name": publisher.display_name or publisher.name,
            "ecosystem": publisher.ecosystem,
            "reputation_score": reputation["score"],
            "reputation_label": reputation["label"],
            "total_packages": reputation["total_packages"],
            "flagged_packages": reputation["flagged_packages"],
            "total_scans": reputation["total_scans"],
            "average_risk_score": reputation["average_risk_score"],
            "first_seen": isoformat_z(publisher.first_seen),
            "flags": reputation["flags"],
            "packages": selectors.publisher_packages(publisher=publisher),
        })


class ReportCreateView(APIView):
    @extend_schema(
        operation_id="report_submit",
        request=serializers.ReportInputSerializer,
        responses={201: serializers.ReportOutputSerializer, **error_responses(400, 413, 422, *AUTHENTICATED_ERRORS)},
        description="Submit a threat report for analysts. At most 10 per user per hour.",
    )
    def post(self, request):
        data = serializers.ReportInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        scan = None
        scan_id = fields.pop("scan_id", None)
        if scan_id:
            # Only the caller's own scan can be attached; anyone else's is "unknown".
            scan = Scan.objects.filter(user=request.user, public_id=scan_id).first()
            if scan is None:
                raise BadRequest("scan_id: Unknown scan; send the scan_id that POST /v1/scan returned to you.")
        if not fields["description"].strip():
            raise BadRequest("description: Describe what the package does that is malicious.")
        try:
            report = services.report_submit(
                user=request.user, scan=scan, package=parse_source_ref(fields["source_type"], fields["source_ref"]), **fields
            )
        except services.ReportRateLimited as exc:
            raise RateLimited("Report limit reached (10 per hour); retry later.", retry_after=exc.retry_after) from None
        return Response(serializers.ReportOutputSerializer(report).data, status=status.HTTP_201_CREATED)
