import time

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace import selectors, services
from marketplace.api import serializers
from marketplace.constants import VerificationStatus
from marketplace.tasks import verification_run, webhook_deliver
from sigil.api.errors import BadRequest, Forbidden, NotFound, ServiceUnavailable
from sigil.api.schema import AUTHENTICATED_ERRORS, error_responses
from sigil.timefmt import isoformat_z

POLL_SECONDS = 0.25


def _wait_for_result(verification):
    """Poll the row until a worker finishes it or SIGIL_VERIFY_WAIT_SECONDS pass (eager mode: at once)."""
    deadline = time.monotonic() + settings.SIGIL_VERIFY_WAIT_SECONDS
    verification.refresh_from_db()
    while verification.status == VerificationStatus.PENDING and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        verification.refresh_from_db()
    return verification


def _raise_for_error(verification) -> None:
    """A synchronous answer turns fetch errors into the reference's statuses."""
    reason = services.error_reason(verification)
    detail = verification.error.partition(": ")[2] or verification.error
    if reason == services.ERROR_NOT_FOUND:
        raise NotFound(detail)
    if reason == services.ERROR_INVALID:
        raise BadRequest(detail)
    if reason == services.ERROR_UNAVAILABLE:
        raise ServiceUnavailable(f"{detail} Verification {verification.public_id} recorded the error.")


class VerifyView(APIView):
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
        if not request.user.limits.can_verify:
            raise Forbidden("Verification requires the Pro or Team tier.")
        data = serializers.VerifyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        verification, must_run = services.verification_request(owner=request.user, **data.validated_data)
        # The service's transaction has committed (views are not atomic), so a worker can read the row.
        if must_run:
            verification_run.apply_async(args=[verification.public_id])
        elif verification.callback_url:
            webhook_deliver.delay(verification.public_id)
        if verification.callback_url:
            verification.refresh_from_db()
            return Response(serializers.verification_body(verification), status=status.HTTP_202_ACCEPTED)
        verification = _wait_for_result(verification)
        if verification.status == VerificationStatus.PENDING:
            return Response(serializers.verification_body(verification), status=status.HTTP_202_ACCEPTED)
        if verification.status == VerificationStatus.ERROR:
            _raise_for_error(verification)
        return Response(serializers.verification_body(verification))


def _owned(request, verification_id: str):
    verification = selectors.verification_for_owner(owner=request.user, public_id=verification_id)
    if verification is None:
        raise NotFound("Verification not found.")
    return verification


class VerificationDetailView(APIView):
    @extend_schema(operation_id="verify_retrieve", responses={200: serializers.VerificationOutputSerializer,
                                                              **error_responses(404, *AUTHENTICATED_ERRORS)})
    def get(self, request, verification_id: str):
        return Response(serializers.verification_body(_owned(request, verification_id)))


class VerificationDeliveriesView(APIView):
    @extend_schema(operation_id="verify_deliveries", responses={200: serializers.DeliveryListSerializer,
                                                                **error_responses(404, *AUTHENTICATED_ERRORS)},
                   description="Every callback delivery attempt for one of your verifications.")
    def get(self, request, verification_id: str):
        verification = _owned(request, verification_id)
        deliveries = selectors.webhook_deliveries(verification=verification)
        return Response({"verification_id": verification.public_id,
                         "deliveries": serializers.DeliverySerializer(deliveries, many=True).data})


def _secret_body(secret) -> dict:
    return {"secret": secret.secret, "created_at": isoformat_z(secret.created_at),
            "rotated_at": isoformat_z(secret.rotated_at)}


class WebhookSecretView(APIView):
    @extend_schema(operation_id="verify_webhook_secret", responses={200: serializers.WebhookSecretOutputSerializer,
                                                                    **error_responses(*AUTHENTICATED_ERRORS)},
                   description="Your whsec_ secret for checking callback signatures (Standard Webhooks).")
    def get(self, request):
        return Response(_secret_body(services.webhook_secret_get(user=request.user)))

    @extend_schema(operation_id="verify_webhook_secret_rotate", request=None,
                   responses={200: serializers.WebhookSecretOutputSerializer, **error_responses(*AUTHENTICATED_ERRORS)},
                   description="Replace your webhook secret; later deliveries are signed with the new one.")
    def post(self, request):
        return Response(_secret_body(services.webhook_secret_rotate(user=request.user)))
