import base64
import binascii
import hashlib
import json
import re
from datetime import datetime, time, timezone

from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from domain.scoring import SEVERITIES
from signatures import selectors
from signatures.api.serializers import SignatureSyncOutputSerializer
from signatures.constants import SYNC_PAGE_SIZE, Severity
from sigil.api.errors import BadRequest
from sigil.api.output import represent
from sigil.api.schema import AUTHENTICATED_ERRORS, error_responses

TOKEN_VERSION = "v1"
_TOKEN_RE = re.compile(r"^v1:(\d{1,18}):([1-6]?):(low|medium|high|critical|)$")


def encode_sync_token(seq: int, phase: int | None, severity: Severity | None) -> str:
    raw = f"{TOKEN_VERSION}:{seq}:{phase or ''}:{severity.label if severity else ''}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_sync_token(token: str) -> tuple[int, int | None, Severity | None]:
    """(last sequence delivered, phase filter, severity filter) or BadRequest."""
    invalid = BadRequest("next_sync_token is not a token this server issued; omit it to do a full sync.")
    if not token or len(token) > 128 or not re.fullmatch(r"[A-Za-z0-9_-]+", token):
        raise invalid
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise invalid from None
    match = _TOKEN_RE.match(raw)
    if not match:
        raise invalid
    seq, phase, severity = match.groups()
    return int(seq), int(phase) if phase else None, Severity.from_name(severity) if severity else None


def _is_sync_token(value: str) -> bool:
    try:
        decode_sync_token(value.strip())
    except BadRequest:
        return False
    return True


def parse_since(value: str) -> datetime:
    """ISO 8601 with or without offset (naive is UTC), or a plain date (midnight UTC)."""
    invalid = BadRequest("since must be an ISO 8601 timestamp, e.g. 2026-02-15T10:30:00Z, "
                         "or a next_sync_token from this server.")
    value = value.strip()
    if not value or len(value) > 64:
        raise invalid
    try:
        parsed = parse_datetime(value)
        if parsed is None:
            day = parse_date(value)
            parsed = datetime.combine(day, time.min) if day else None
    except ValueError:
        raise invalid from None
    if parsed is None:
        raise invalid
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    try:
        return parsed.astimezone(timezone.utc)
    except (OverflowError, ValueError):
        raise invalid from None


def _parse_phase(value: str | None) -> int | None:
    if value is None:
        return None
    if not re.fullmatch(r"[1-6]", value.strip()):
        raise BadRequest("phase must be an integer from 1 to 6.")
    return int(value)


def _parse_severity(value: str | None) -> Severity | None:
    if value is None:
        return None
    try:
        return Severity[value.strip().upper()]
    except KeyError:
        raise BadRequest("severity must be one of: low, medium, high, critical.") from None


def _parse_limit(value: str | None) -> int:
    if value is None:
        return SYNC_PAGE_SIZE
    if not re.fullmatch(r"\d{1,4}", value.strip()) or not 1 <= int(value) <= SYNC_PAGE_SIZE:
        raise BadRequest(f"limit must be an integer from 1 to {SYNC_PAGE_SIZE}.")
    return int(value)


def _etag_matches(header: str, etag: str) -> bool:
    if not header:
        return False
    if header.strip() == "*":
        return True
    # Weak comparison, as RFC 9110 asks for If-None-Match.
    candidates = {c.strip().removeprefix("W/") for c in header.split(",")}
    return etag in candidates


class SignatureSyncView(APIView):
    @extend_schema(
        operation_id="signatures_sync",
        parameters=[
            OpenApiParameter("since", OpenApiTypes.STR, description="Only signatures created/updated after this time "
                             "(ISO 8601; naive = UTC), or a next_sync_token from a previous response (then exactly "
                             "as if sent as next_sync_token)"),
            OpenApiParameter("phase", OpenApiTypes.INT, description="Only this scan phase (1-6)"),
            OpenApiParameter("severity", OpenApiTypes.STR, enum=list(SEVERITIES), description="Minimum severity"),
            OpenApiParameter("next_sync_token", OpenApiTypes.STR, description="Token from the previous response: exact delta sync (wins over since)"),
            OpenApiParameter("limit", OpenApiTypes.INT, description=f"Page size, 1-{SYNC_PAGE_SIZE} (default {SYNC_PAGE_SIZE})"),
            OpenApiParameter("If-None-Match", OpenApiTypes.STR, location=OpenApiParameter.HEADER, required=False),
        ],
        responses={
            200: SignatureSyncOutputSerializer,
            304: OpenApiResponse(description="Not modified: the ETag in If-None-Match still matches"),
            **error_responses(400, *AUTHENTICATED_ERRORS),
        },
    )
    def get(self, request):
        params = request.query_params
        phase = _parse_phase(params.get("phase"))
        min_severity = _parse_severity(params.get("severity"))
        limit = _parse_limit(params.get("limit"))
        token = params.get("next_sync_token")
        since = None
        if "since" in params:
            if token is None and _is_sync_token(params["since"]):
                # Clients written from the API reference send the last next_sync_token back as
                # `since`: it means exactly what it means as next_sync_token.
                token = params["since"]
            else:
                since = parse_since(params["since"])

        if token is not None:
            after_seq, token_phase, token_severity = decode_sync_token(token.strip())
            if (token_phase, token_severity) != (phase, min_severity):
                raise BadRequest(
                    "next_sync_token was issued for other phase/severity filters; "
                    "send the same filters, or omit the token to do a full sync."
                )
            since = None  # the token is exact; a timestamp could only lose changes
            delta = True
        else:
            after_seq, delta = 0, since is not None

        page = selectors.signature_sync_page(
            after_seq=after_seq,
            since=since,
            phase=phase,
            min_severity=min_severity,
            include_withdrawn=delta,  # a full sync needs no tombstones
            limit=limit,
        )
        if after_seq > page.head:
            # The feed head never moves back (signatures are withdrawn, not deleted), so this
            # token comes from another feed: a reset or restored database.
            raise BadRequest("next_sync_token is ahead of this server's signature feed; omit it to do a full sync.")
        body = represent(SignatureSyncOutputSerializer, {
            "signatures": page.signatures, "since": since, "has_more": page.has_more,
            "next_sync_token": encode_sync_token(page.last_seq, phase, min_severity),
        })
        etag = '"%s"' % hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:32]
        headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
        if _etag_matches(request.headers.get("If-None-Match", ""), etag):
            return Response(status=304, headers=headers)
        return Response(body, headers=headers)
