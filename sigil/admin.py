"""Admin pieces shared by the apps."""
from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from sigil.api.ratelimit import login_blocked_for, login_failure_counters
from sigil.audit import MAX_REASON_LENGTH, audit_reason, render_audit_trail


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
def admin_url(obj) -> str | None:
    """The admin page of obj, or None when its model has none."""
    if obj is None:
        return None
    try:
        return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    except NoReverseMatch:
        return None


def admin_link(obj, text=None) -> str:
    """A link to obj's admin page (pages the Analysts group may view), its id shown as copyable code."""
    text = str(text if text is not None else obj)
    url = admin_url(obj)
    if url is None:
        return format_html('<code class="sigil-id">{}</code>', text)
    return format_html('<a href="{}"><code class="sigil-id">{}</code></a>', url, text)


class ReasonFormMixin(forms.Form):
    """A required "why" on every admin edit, kept with the audit row."""

    change_reason = forms.CharField(
        label="Reason for this change", max_length=MAX_REASON_LENGTH,
        widget=forms.TextInput(attrs={"size": 80, "placeholder": "Why (kept in the audit trail)"}),
    )


class AuditedAdminMixin:
    """Shows the audit trail on the object page; the History link shows the same trail.

    Audit rows have no admin of their own, so nobody (superusers included) can edit or delete them there.
    """

    @admin.display(description="Audit trail")
    def audit_trail(self, obj):
        return render_audit_trail(obj)

    def save_model(self, request, obj, form, change):
        reason = form.cleaned_data.get("change_reason") if hasattr(form, "cleaned_data") else None
        if reason:
            audit_reason(obj, reason)
        super().save_model(request, obj, form, change)

    def history_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, object_id)
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.model._meta, object_id)
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "object": obj,
            "title": f"Audit trail: {obj}",
            "trail": render_audit_trail(obj),
        }
        return TemplateResponse(request, "admin/audit_history.html", context)
