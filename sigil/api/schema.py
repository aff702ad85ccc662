"""OpenAPI pieces shared by every endpoint: the error envelope and its responses."""
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "detail": serializers.CharField(),
        "code": serializers.CharField(),
        "status": serializers.IntegerField(),
        "errors": serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False),
    },
)

_DESCRIPTIONS = {
    400: "Invalid value (BAD_REQUEST)",
    401: "Missing or invalid token (UNAUTHORIZED)",
    403: "Token expired or insufficient permissions (FORBIDDEN)",
    404: "Not found (NOT_FOUND)",
    409: "Already exists (CONFLICT)",
    413: "Body over 1 MB (PAYLOAD_TOO_LARGE)",
    422: "Missing field or wrong JSON type (VALIDATION_ERROR)",
    429: "Rate limited (RATE_LIMITED), see Retry-After",
    503: "A backing service is unavailable (SERVICE_UNAVAILABLE)",
}

AUTHENTICATED_ERRORS = (401, 403, 429, 503)


def error_responses(*statuses: int) -> dict:
    return {code: OpenApiResponse(ErrorSerializer, description=_DESCRIPTIONS[code]) for code in statuses}
