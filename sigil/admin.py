"""Admin pieces shared by the apps."""
from django.contrib import admin
from django.http import HttpResponse

from sigil.api.ratelimit import login_blocked_for, login_failure_counters


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records the system writes (scans, verifications, deliveries, registry data): analysts read
    them and never edit them (README, Architecture)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def throttled_admin_login(request, extra_context=None):
    """/admin/login/ behind the same failed-login counters as POST /v1/auth/login (per account and
    per address, on the shared cache): the admin authenticates the most privileged accounts."""
    if request.method != "POST":
        return admin.site.login(request, extra_context)
    username = request.POST.get("username", "")
    retry_after = login_blocked_for(request, username)
    if retry_after is not None:
        minutes = max(1, round(retry_after / 60))
        response = HttpResponse(
            "<!doctype html><title>Too many login attempts</title>"
            f"<p>Too many failed login attempts; retry in about {minutes} minute(s).</p>",
            status=429, content_type="text/html; charset=utf-8")
        response["Retry-After"] = str(retry_after)
        return response
    response = admin.site.login(request, extra_context)
    if response.status_code != 302:  # the form again: wrong credentials or not staff
        login_failure_counters(request, username, increment=True)
    return response
