"""Standard Webhooks signing (https://www.standardwebhooks.com/)."""
from __future__ import annotations

import base64
import hashlib
import hmac


def secret_key(secret: str) -> bytes:
    """The HMAC key: the base64 part of `whsec_<base64>`."""
    return base64.b64decode(secret.removeprefix("whsec_"))


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<base64 HMAC-SHA256 of "id.timestamp.body">`."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(secret: str, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, message_id, timestamp, body),
    }


def verify(secret: str, request_headers: dict, body: bytes) -> bool:
    """Check a delivery as a receiver would (used by tests and documented for integrators)."""
    expected = sign(secret, request_headers["webhook-id"], int(request_headers["webhook-timestamp"]), body)
    return any(hmac.compare_digest(expected, candidate) for candidate in request_headers["webhook-signature"].split())
