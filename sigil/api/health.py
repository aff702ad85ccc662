"""Liveness for process managers and load balancers, and a trivial authenticated endpoint."""
import logging

from django.core.cache import cache
from django.db import connection
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from sigil.api.errors import UNAVAILABLE_ERRORS, ServiceUnavailable
from sigil.api.schema import AUTHENTICATED_ERRORS, error_responses

logger = logging.getLogger(__name__)

_HEALTH_KEY = "sigil:healthz"


class HealthView(APIView):
    """GET /healthz: 200 when the database and the cache answer, 503 envelope otherwise."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []  # a probe must not be refused by, or count against, rate limits

    @extend_schema(
        operation_id="healthz",
        auth=[],
        responses={200: inline_serializer("Health", {"status": serializers.CharField()}), **error_responses(503)},
    )
    def get(self, request):
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
            # A write and a read: a cache that accepts connections but cannot serve is down too.
            cache.set(_HEALTH_KEY, "ok", timeout=5)
            if cache.get(_HEALTH_KEY) != "ok":
                raise ServiceUnavailable("The cache does not return what was stored.")
        except UNAVAILABLE_ERRORS as exc:
            logger.warning("healthz: backing service down: %s", exc.__class__.__name__)
            raise ServiceUnavailable() from None
        return Response({"status": "ok"})


class PingView(APIView):
    """GET /v1/ping: authentication and rate limiting only; the load benchmark's baseline."""

    @extend_schema(
        operation_id="ping",
        responses={200: inline_serializer("Ping", {"pong": serializers.BooleanField()}), **error_responses(*AUTHENTICATED_ERRORS)},
    )
    def get(self, request):
        return Response({"pong": True})
