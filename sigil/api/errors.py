"""One exception handler turns every error into the envelope of docs/api.md."""
import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from django_ratelimit.exceptions import Ratelimited
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rest_framework import exceptions, status
from rest_framework.fields import get_error_detail
from rest_framework.views import exception_handler as drf_exception_handler

from domain import errors as domain_errors

logger = logging.getLogger(__name__)

ERROR_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    409: "CONFLICT",
    411: "LENGTH_REQUIRED",
    413: "PAYLOAD_TOO_LARGE",
    422: "VALIDATION_ERROR",
    429: "RATE_LIMITED",
    500: "INTERNAL_ERROR",
    502: "BAD_GATEWAY",
    503: "SERVICE_UNAVAILABLE",
}

# Validation error codes that mean "the shape is wrong" (422) rather than "the value is wrong" (400).
SHAPE_ERROR_CODES = {"required", "null", "type", "not_a_list", "not_a_dict", "empty_body"}

# Backends being down is an outage, not a bug: answer 503 so clients retry.
UNAVAILABLE_ERRORS = (RedisConnectionError, RedisTimeoutError, OperationalError, InterfaceError)


class ApiError(exceptions.APIException):
    """An error with an explicit status; subclasses name the common ones."""

    def __init__(self, detail=None, *, status_code=None, headers=None):
        if status_code is not None:
            self.status_code = status_code
        self.headers = headers or {}
        super().__init__(detail)


class Conflict(ApiError):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "Resource already exists."


class BadRequest(ApiError):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "Bad request."


class Unauthorized(ApiError):
    status_code = status.HTTP_401_UNAUTHORIZED
    default_detail = "Invalid credentials."


class Forbidden(ApiError):
    status_code = status.HTTP_403_FORBIDDEN
    default_detail = "You do not have permission to perform this action."


class NotFound(ApiError):
    status_code = status.HTTP_404_NOT_FOUND
    default_detail = "Not found."


class ServiceUnavailable(ApiError):
    """Every 503 leaves through here, with Retry-After."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "A backing service is unavailable; retry shortly."
    retry_after = 5

    def __init__(self, detail=None):
        super().__init__(detail, headers={"Retry-After": str(self.retry_after)})


class RateLimited(ApiError):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_detail = "Rate limit exceeded; retry after the time in Retry-After."

    def __init__(self, detail=None, *, retry_after: int = 60):
        self.retry_after = max(1, int(retry_after))
        super().__init__(detail, headers={"Retry-After": str(self.retry_after)})


# Domain errors (domain/errors.py) as the API answers them.
DOMAIN_ERRORS = (
    (domain_errors.InvalidRequest, BadRequest),
    (domain_errors.NotAuthenticated, Unauthorized),
    (domain_errors.NotAllowed, Forbidden),
    (domain_errors.NotFound, NotFound),
    (domain_errors.AlreadyExists, Conflict),
    (domain_errors.Unavailable, ServiceUnavailable),
)


def api_error_for(exc: domain_errors.DomainError) -> ApiError:
    if isinstance(exc, domain_errors.LimitReached):
        return RateLimited(exc.message, retry_after=exc.retry_after)
    for domain_class, api_class in DOMAIN_ERRORS:
        if isinstance(exc, domain_class):
            return api_class(exc.message)
    return BadRequest(exc.message)


def envelope(status_code: int, detail: str, errors: dict | None = None) -> dict:
    body = {"detail": detail, "code": ERROR_CODES.get(status_code, "ERROR"), "status": status_code}
    if errors is not None:
        body["errors"] = errors
    return body


def envelope_response(status_code: int, detail: str, headers: dict | None = None) -> JsonResponse:
    """The envelope as a plain Django response, for errors raised outside DRF views."""
    response = JsonResponse(envelope(status_code, detail), status=status_code)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _flatten(errors, prefix="") -> dict[str, list[str]]:
    """Turn DRF's nested error structure into {"phases.2.score": ["message"]}."""
    flat: dict[str, list[str]] = {}
    if isinstance(errors, dict):
        for key, value in errors.items():
            name = "non_field_errors" if key in ("non_field_errors", "__all__") and not prefix else f"{prefix}{key}"
            flat.update(_flatten(value, f"{name}."))
    elif isinstance(errors, list) and errors and all(not isinstance(e, (dict, list)) for e in errors):
        flat[prefix.rstrip(".")] = [str(e) for e in errors]
    elif isinstance(errors, list):
        for index, value in enumerate(errors):
            flat.update(_flatten(value, f"{prefix}{index}."))
    else:
        flat[prefix.rstrip(".") or "non_field_errors"] = [str(errors)]
    return {key: messages for key, messages in flat.items() if messages}


def _codes(errors) -> set[str]:
    if isinstance(errors, dict):
        return set().union(*(_codes(v) for v in errors.values())) if errors else set()
    if isinstance(errors, list):
        return set().union(*(_codes(v) for v in errors)) if errors else set()
    return {getattr(errors, "code", "invalid")}


def _validation_response(exc: exceptions.ValidationError):
    errors = _flatten(exc.detail)
    status_code = 422 if _codes(exc.detail) & SHAPE_ERROR_CODES else 400
    first_field, first_messages = next(iter(errors.items()), ("request", ["Invalid request."]))
    where = "" if first_field == "non_field_errors" else f"{first_field}: "
    detail = f"{where}{first_messages[0]}"
    return status_code, detail, errors


def exception_handler(exc, context):
    if isinstance(exc, domain_errors.DomainError):
        exc = api_error_for(exc)
    elif isinstance(exc, Ratelimited):
        exc = RateLimited()
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(get_error_detail(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, exceptions.UnsupportedMediaType):
        exc = BadRequest(f"{exc.detail} Send a JSON body with Content-Type: application/json.")
    elif isinstance(exc, UNAVAILABLE_ERRORS) or (isinstance(exc, DatabaseError) and "connection" in str(exc).lower()):
        logger.error("backing service unavailable: %s", exc.__class__.__name__, exc_info=exc)
        exc = ServiceUnavailable()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # unhandled: Django logs it and answers through handler500

    errors = None
    if isinstance(exc, exceptions.ValidationError):
        response.status_code, detail, errors = _validation_response(exc)
    elif isinstance(exc.detail, dict):
        detail = str(exc.detail.get("detail") or next(iter(exc.detail.values()), "Error."))
    elif isinstance(exc.detail, list):
        detail = str(exc.detail[0]) if exc.detail else "Error."
    else:
        detail = str(exc.detail)
    if isinstance(exc, exceptions.Throttled):
        response["Retry-After"] = str(max(1, int(exc.wait or 1)))
    for name, value in getattr(exc, "headers", {}).items():
        response[name] = value
    response.data = envelope(response.status_code, detail, errors)
    return response
