from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace import selectors, services
from marketplace.api import serializers
from sigil.api.errors import NotFound, RateLimited
from sigil.api.ratelimit import spend_budget
from sigil.api.schema import AUTHENTICATED_ERRORS, error_responses


class TierCanVerify(BasePermission):
    """The tier table decides (User.limits); checked before the body is read, so it is 403 first."""

    message = "Verification requires the Pro or Team tier."

    def has_permission(self, request, view):
        return request.user.limits.can_verify


class VerifyView(APIView):
    permission_classes = [IsAuthenticated, TierCanVerify]

    @extend_schema(
        operation_id="verify_create",
        request=serializers.VerifyInputSerializer,
        responses={
            200: serializers.VerificationOutputSerializer,
            202: OpenApiResponse(serializers.VerificationOutputSerializer,
                                 description="Accepted: with callback_url, or still running after the wait; "
                                             "poll GET /v1/verify/{verification_id}"),
            **error_responses(400, 404, 413, 422, *AUTHENTICATED_ERRORS),
        },
        description="Download a package (pip, npm), git repository or https archive on the server, scan it "
                    "and issue a badge. Pro and Team tiers only.",
    )
    def post(self, request):
        data = serializers.VerifyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        verification, finished = services.verification_answer(owner=request.user, **data.validated_data,
                                                              wait_seconds=settings.SIGIL_VERIFY_WAIT_SECONDS)
        return Response(serializers.VerificationOutputSerializer(verification).data,
                        status=status.HTTP_200_OK if finished else status.HTTP_202_ACCEPTED)


def _owned(request, verification_id: str):
    verification = selectors.verification_for_owner(owner=request.user, public_id=verification_id)
    if verification is None:
        raise NotFound("Verification not found.")
    return verification


class VerificationDetailView(APIView):
    @extend_schema(operation_id="verify_retrieve", responses={200: serializers.VerificationOutputSerializer,
                                                              **error_responses(404, *AUTHENTICATED_ERRORS)})
    def get(self, request, verification_id: str):
        return Response(serializers.VerificationOutputSerializer(_owned(request, verification_id)).data)


class VerificationDeliveriesView(APIView):
    @extend_schema(operation_id="verify_deliveries", responses={200: serializers.DeliveryListSerializer,
                                                                **error_responses(404, *AUTHENTICATED_ERRORS)},
                   description="Every callback delivery attempt for one of your verifications.")
    def get(self, request, verification_id: str):
        verification = _owned(request, verification_id)
        deliveries = selectors.webhook_deliveries(verification=verification)
        return Response(serializers.DeliveryListSerializer({"verification": verification, "deliveries": deliveries}).data)


class WebhookSecretView(APIView):
    @extend_schema(operation_id="verify_webhook_secret", responses={200: serializers.WebhookSecretOutputSerializer,
                                                                    **error_responses(*AUTHENTICATED_ERRORS)},
                   description="Your whsec_ secret for checking callback signatures (Standard Webhooks).")
    def get(self, request):
        return Response(serializers.WebhookSecretOutputSerializer(services.webhook_secret_get(user=request.user)).data)

    @extend_schema(operation_id="verify_webhook_secret_rotate", request=None,
                   responses={200: serializers.WebhookSecretOutputSerializer, **error_responses(*AUTHENTICATED_ERRORS)},
                   description="Replace your webhook secret; later deliveries are signed with the new one.")
    def post(self, request):
        return Response(serializers.WebhookSecretOutputSerializer(services.webhook_secret_rotate(user=request.user)).data)


class LookupView(APIView):
    @extend_schema(
        operation_id="lookup",
        request=serializers.LookupInputSerializer,
        responses={200: serializers.LookupOutputSerializer, **error_responses(400, 413, *AUTHENTICATED_ERRORS)},
        description=(
            "Look up 1 to 1,000 packages at once: each item is a purl, an ecosystem/name/version (optionally with "
            "artifact `hashes`) or a `hash`. Results come in request order; an item that cannot be parsed gets its "
            "own `error` and the others are still answered. Counts as one request against the per-minute limit, "
            "plus one unit per item against the tier's item budget per minute (free 2,000, pro 20,000, "
            "team 100,000); a spent budget answers 429 with Retry-After."
        ),
    )
    def post(self, request):
        items = serializers.lookup_body(request.data)
        retry_after = spend_budget(group="lookup-items", key=f"user:{request.user.pk}", amount=len(items),
                                   limit=request.user.limits.lookup_items_per_minute)
        if retry_after is not None:
            raise RateLimited(f"Lookup item budget spent ({request.user.limits.lookup_items_per_minute} items per "
                              "minute for your tier); retry later.", retry_after=retry_after)
        queries, errors = [], {}
        for index, item in enumerate(items):
            try:
                queries.append(serializers.parse_lookup_item(item))
            except ValueError as exc:
                errors[index] = {"code": "INVALID_ITEM", "detail": str(exc)}
        answers = iter(selectors.package_lookup(queries=queries))
        results = [{"index": index, "error": errors[index]} if index in errors else {"index": index, **next(answers)}
                   for index in range(len(items))]
        return Response(serializers.LookupOutputSerializer({"results": results}).data)
