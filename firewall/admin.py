from django.contrib import admin

from firewall.models import FirewallSettings, InstallToken


@admin.register(InstallToken)
class InstallTokenAdmin(admin.ModelAdmin):
    list_display = ("public_id", "user", "name", "hint", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("public_id", "user", "token_hash", "hint", "created_at", "last_used_at")
    search_fields = ("public_id", "user__email", "name")


@admin.register(FirewallSettings)
class FirewallSettingsAdmin(admin.ModelAdmin):
    list_display = ("user", "min_release_age_hours", "updated_at")
