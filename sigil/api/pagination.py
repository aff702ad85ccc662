"""Cursor pagination for history endpoints: stable under inserts, opaque cursors."""
from base64 import b64decode
from urllib import parse

from django.utils.dateparse import parse_datetime
from rest_framework import pagination

from sigil.api.errors import BadRequest

_CURSOR_KEYS = {"o", "r", "p"}  # offset, reverse, position: what DRF's encode_cursor writes


class CursorPagination(pagination.CursorPagination):
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 200
    ordering = ("-created_at", "-id")

    def decode_cursor(self, request):
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded is None:
            return None
        # DRF's own decoder skips characters that are not base64 and ignores unknown keys, so
        # "%%%" or "" read as "the first page"; only what encode_cursor can write is accepted.
        try:
            tokens = parse.parse_qs(b64decode(encoded.encode("ascii"), validate=True).decode("ascii"),
                                    keep_blank_values=True, strict_parsing=True)
            if not tokens or set(tokens) - _CURSOR_KEYS or any(len(values) != 1 for values in tokens.values()):
                raise ValueError("unexpected keys")
            if tokens.get("r", ["0"])[0] not in ("0", "1") or not tokens.get("o", ["0"])[0].isdigit():
                raise ValueError("bad offset or direction")
            if "p" in tokens and parse_datetime(tokens["p"][0]) is None:  # the ordering is by created_at
                raise ValueError("bad position")
            return super().decode_cursor(request)
        except Exception as exc:  # DRF answers 404 for a bad cursor; it is a bad parameter
            raise BadRequest("Invalid cursor; use the `next` or `previous` link of a previous page.") from exc
