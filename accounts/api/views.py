from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.api import serializers
from sigil.api.authentication import issue_access_token
from sigil.api.schema import AUTHENTICATED_ERRORS, error_responses


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
        user = services.user_login(request=request, **data.validated_data)
        token = {
            "access_token": issue_access_token(user),
            "token_type": "bearer",
            "expires_in": int(settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds()),
            "user": user,
        }
        # A bearer token: no cache or proxy may keep it (RFC 6749, 5.1).
        return Response(serializers.LoginOutputSerializer(token).data, headers={"Cache-Control": "no-store"})


class MeView(APIView):
    @extend_schema(operation_id="auth_me", responses={200: serializers.MeOutputSerializer, **error_responses(*AUTHENTICATED_ERRORS)})
    def get(self, request):
        user = selectors.user_with_scan_summary(user=request.user)
        return Response(serializers.MeOutputSerializer(user).data)
