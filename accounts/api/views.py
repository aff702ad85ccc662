from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.api import serializers
from sigil.api.authentication import issue_access_token
from sigil.api.errors import RateLimited, Unauthorized
from sigil.api.ratelimit import login_blocked_for, login_failure_counters
from sigil.api.schema import AUTHENTICATED_ERRORS, error_responses
from sigil.timefmt import isoformat_z


class RegisterView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="auth_register",
        request=serializers.RegisterInputSerializer,
        responses={201: serializers.RegisterOutputSerializer, **error_responses(400, 409, 413, 422, 429)},
    )
    def post(self, request):
        data = serializers.RegisterInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_register(**data.validated_data)
        return Response(serializers.RegisterOutputSerializer(user).data, status=status.HTTP_201_CREATED)


class LoginView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="auth_login",
        request=serializers.LoginInputSerializer,
        responses={200: serializers.LoginOutputSerializer, **error_responses(400, 401, 413, 422, 429)},
    )
    def post(self, request):
        data = serializers.LoginInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        email, password = data.validated_data["email"], data.validated_data["password"]
        # Failures are counted per email and per address in a window that expires,
        # so guessing is slowed without locking the real user out for good.
        retry_after = login_blocked_for(request, email)
        if retry_after is not None:
            raise RateLimited("Too many failed login attempts; retry later.", retry_after=retry_after)
        user = services.user_authenticate(email=email, password=password)
        if user is None:
            login_failure_counters(request, email, increment=True)
            raise Unauthorized("Invalid email or password.")
        body = {
            "access_token": issue_access_token(user),
            "token_type": "bearer",
            "expires_in": int(settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds()),
            "user": serializers.UserOutputSerializer(user).data,
        }
        return Response(body)


class MeView(APIView):
    @extend_schema(operation_id="auth_me", responses={200: serializers.MeOutputSerializer, **error_responses(*AUTHENTICATED_ERRORS)})
    def get(self, request):
        summary = selectors.user_scan_summary(user=request.user)
        body = {
            **serializers.RegisterOutputSerializer(request.user).data,
            "scan_count": summary["scan_count"],
            "last_scan_at": isoformat_z(summary["last_scan_at"]),
        }
        return Response(body)
