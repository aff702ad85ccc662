"""Domain errors: what services raise when a rule refuses a request.

Services know nothing of HTTP; the one error handler (sigil/api/errors.py) maps each kind below to
its status and the envelope. Apps subclass these for their own cases (EmailTaken, ScanQuotaExceeded).
"""
from __future__ import annotations


class DomainError(Exception):
    """A request the domain refuses; `message` is shown to the caller as `detail`."""

    default_message = "The request cannot be carried out."

    def __init__(self, message: str | None = None):
        self.message = message or self.default_message
        super().__init__(self.message)


class InvalidRequest(DomainError):
    """The values are well-formed but not acceptable (400)."""


class NotAuthenticated(DomainError):
    """The credentials are not valid (401)."""


class NotAllowed(DomainError):
    """The caller may not do this (403)."""


class NotFound(DomainError):
    """What the request names does not exist, or not for this caller (404)."""


class AlreadyExists(DomainError):
    """What the request would create exists already (409)."""


class LimitReached(DomainError):
    """A quota or rate limit is used up; retry after `retry_after` seconds (429)."""

    def __init__(self, message: str | None = None, *, retry_after: int):
        self.retry_after = max(1, int(retry_after))
        super().__init__(message)


class Unavailable(DomainError):
    """Something the request depends on is down; retry later (503)."""
