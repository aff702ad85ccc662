from django.contrib import admin

from marketplace.models import IntelChange, Verification, WebhookDelivery
from sigil.admin import ReadOnlyAdmin


class WebhookDeliveryInline(admin.TabularInline):
    model = WebhookDelivery
    extra = 0
    can_delete = False
    fields = ("attempt", "event_type", "outcome", "status_code", "error", "duration_ms", "attempted_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Verification)
class VerificationAdmin(ReadOnlyAdmin):
    list_display = ("public_id", "source_type", "source_ref", "source_version", "status", "verdict", "score",
                    "verified_at")
    list_filter = ("status", "verdict", "source_type")
    search_fields = ("public_id", "source_ref", "artifact_hash")
    readonly_fields = [f.name for f in Verification._meta.fields]
    list_select_related = ("owner",)
    inlines = [WebhookDeliveryInline]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ("verification", "attempt", "outcome", "status_code", "attempted_at")
    list_filter = ("outcome",)
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]


@admin.register(IntelChange)
class IntelChangeAdmin(ReadOnlyAdmin):
    """Re-verification passes: one per threat or signature change (the id is the feed version)."""

    list_display = ("id", "kind", "subject", "action", "created_at", "finished_at", "candidates", "revoked",
                    "downloads", "answered_from_store")
    list_filter = ("kind", "action")
    search_fields = ("subject",)
    readonly_fields = [f.name for f in IntelChange._meta.fields]
