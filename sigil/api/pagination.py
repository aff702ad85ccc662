"""Cursor pagination for history endpoints: stable under inserts, opaque cursors."""
from rest_framework import pagination

from sigil.api.errors import BadRequest


class CursorPagination(pagination.CursorPagination):
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 200
    ordering = ("-created_at", "-id")

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except Exception as exc:  # DRF answers 404 for a bad cursor; it is a bad parameter
            raise BadRequest("Invalid cursor; use the `next` or `previous` link of a previous page.") from exc
