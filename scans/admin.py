from django.contrib import admin

from scans.models import Scan
from sigil.admin import ReadOnlyAdmin


@admin.register(Scan)
class ScanAdmin(ReadOnlyAdmin):
    """Scans are what users submitted: read-only evidence for analysts."""

    list_display = ["public_id", "verdict", "score", "source_type", "source_ref", "account", "created_at"]
    list_filter = ["verdict", "source_type", "ecosystem"]
    search_fields = ["public_id", "quarantine_id", "source_ref", "source_hash", "package_name"]
    list_select_related = ["user"]
    ordering = ["-created_at"]
    # The account by email, not as a link: analysts may not open user accounts (no dead ends).
    exclude = ["user"]
    readonly_fields = ["account"]

    @admin.display(description="Account", ordering="user__email")
    def account(self, scan):
        return scan.user.email
