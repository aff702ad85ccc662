from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from firewall import selectors, services
from firewall.api import serializers
from sigil.api.schema import AUTHENTICATED_ERRORS, error_responses


class InstallTokensView(APIView):
    @extend_schema(operation_id="install_tokens_list",
                   responses={200: serializers.InstallTokenListSerializer,
                              **error_responses(*AUTHENTICATED_ERRORS)})
    def get(self, request):
        tokens = selectors.install_tokens_for(user=request.user)
        return Response(serializers.InstallTokenListSerializer({"tokens": tokens}).data)

    @extend_schema(operation_id="install_tokens_create", request=serializers.InstallTokenInputSerializer,
                   responses={201: serializers.InstallTokenCreatedSerializer,
                              **error_responses(400, 413, 422, *AUTHENTICATED_ERRORS)},
                   description="A long-lived, revocable token for the package proxy (pip.conf, .npmrc). "
                               "The secret is in this response only.")
    def post(self, request):
        data = serializers.InstallTokenInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        token, raw = services.install_token_create(user=request.user, **data.validated_data)
        token.token = raw
        return Response(serializers.InstallTokenCreatedSerializer(token).data, status=status.HTTP_201_CREATED)


class InstallTokenDetailView(APIView):
    @extend_schema(operation_id="install_tokens_revoke",
                   responses={200: serializers.InstallTokenOutputSerializer, **error_responses(404, *AUTHENTICATED_ERRORS)},
                   description="Revoke the token (idempotent); the proxy refuses it from now on.")
    def delete(self, request, token_id: str):
        token = services.install_token_revoke(user=request.user, public_id=token_id)
        return Response(serializers.InstallTokenOutputSerializer(token).data)


class FirewallSettingsView(APIView):
    @extend_schema(operation_id="firewall_settings_get", responses={200: serializers.FirewallSettingsSerializer,
                                                                    **error_responses(*AUTHENTICATED_ERRORS)})
    def get(self, request):
        return Response(serializers.FirewallSettingsSerializer(selectors.firewall_settings_for(user=request.user)).data)

    @extend_schema(operation_id="firewall_settings_update", request=serializers.FirewallSettingsSerializer,
                   responses={200: serializers.FirewallSettingsSerializer,
                              **error_responses(400, 413, 422, *AUTHENTICATED_ERRORS)})
    def put(self, request):
        data = serializers.FirewallSettingsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row = services.firewall_settings_update(user=request.user, **data.validated_data)
        return Response(serializers.FirewallSettingsSerializer(row).data)
