"""Analyst curation of signatures: create, edit, withdraw, and try a pattern on pasted text."""
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse

from sigil.admin import AuditedAdminMixin, ReasonFormMixin, admin_link
from signatures import services
from signatures.constants import TAG_CHOICES, SignatureStatus
from signatures.forms import FileGlobsField, PatternField, PhaseField
from signatures.models import Signature
from signatures.selectors import MAX_SHOWN_LINES, combination_tags_uncarried, matching_lines, report_by_public_id

MAX_TEST_TEXT_BYTES = 100 * 1024


class SignatureAdminForm(ReasonFormMixin, forms.ModelForm):
    phase = PhaseField()
    file_globs = FileGlobsField()
    # A multiple choice over the fixed vocabulary, never free text: combinations match tags exactly.
    tags = forms.MultipleChoiceField(choices=TAG_CHOICES, required=False, widget=forms.CheckboxSelectMultiple,
                                     help_text="What a match means; the engine combines findings by these tags.")

    class Meta:
        model = Signature
        # origin and origin_report are read-only: a signature's origin is a fact, set by the pack or a promotion.
        fields = ["phase", "name", "description", "pattern", "severity", "weight", "ecosystem", "file_globs", "tags"]
        widgets = {"pattern": forms.Textarea(attrs={"rows": 3, "cols": 100, "style": "font-family: monospace"})}


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        max_length=2000, widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text="Why it is withdrawn; kept with the signature and in the audit trail.",
    )


class PatternTestForm(forms.Form):
    pattern = PatternField(widget=forms.Textarea(attrs={"rows": 3, "cols": 100, "style": "font-family: monospace"}), strip=False)
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 20, "cols": 100, "style": "font-family: monospace"}),
        strip=False,
        help_text=f"Up to {MAX_TEST_TEXT_BYTES // 1024} KB of file content.",
    )

    def clean_text(self):
        text = self.cleaned_data["text"]
        if len(text.encode("utf-8", "surrogatepass")) > MAX_TEST_TEXT_BYTES:
            raise ValidationError(f"Text is over {MAX_TEST_TEXT_BYTES // 1024} KB; paste a smaller excerpt.")
        return text


@admin.register(Signature)
class SignatureAdmin(AuditedAdminMixin, admin.ModelAdmin):
    form = SignatureAdminForm
    list_display = ["public_id", "name", "phase", "severity", "weight", "ecosystem", "status", "origin", "updated_at"]
    list_filter = ["phase", "severity", "ecosystem", "status", "origin"]
    search_fields = ["public_id", "name", "description", "pattern", "origin_report"]
    readonly_fields = ["public_id", "status", "withdrawn_at", "withdrawn_reason", "origin", "origin_report_link", "created_at",
                       "updated_at", "change_seq", "audit_trail"]
    fieldsets = [
        (None, {"fields": ["public_id", "status", "withdrawn_at", "withdrawn_reason"]}),
        ("Rule", {"fields": ["phase", "name", "description", "pattern", "severity", "weight", "ecosystem", "file_globs", "tags"]}),
        ("Origin", {"fields": ["origin", "origin_report_link", "created_at", "updated_at", "change_seq"]}),
        ("Save", {"fields": ["change_reason"]}),
        ("Audit trail", {"fields": ["audit_trail"]}),
    ]
    change_form_template = "admin/signatures/signature/change_form.html"
    ordering = ["number"]
    actions = ["withdraw_selected"]
    change_list_template = "admin/signatures/signature/change_list.html"

    def has_delete_permission(self, request, obj=None):
        # Deleting would hide the change from syncing clients; withdraw sends them a tombstone.
        return False

    def save_model(self, request, obj, form, change):
        # Through the services, so every admin edit takes the feed lock and a new change_seq.
        changed = [name for name in form.changed_data if name in SignatureAdminForm.Meta.fields]
        if change and not changed:
            return  # nothing changed: do not move it in the feed
        reason = form.cleaned_data["change_reason"]
        if change:
            services.signature_update(signature=obj, reason=reason, **{name: form.cleaned_data[name] for name in changed})
        else:
            created = services.signature_create(reason=reason, **{name: form.cleaned_data[name] for name in SignatureAdminForm.Meta.fields})
            obj.pk, obj.public_id = created.pk, created.public_id
            obj.refresh_from_db()

    @admin.display(description="Origin report")
    def origin_report_link(self, signature):
        if not signature.origin_report:
            return "-"
        report = report_by_public_id(public_id=signature.origin_report)
        return admin_link(report, signature.origin_report) if report else signature.origin_report

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        if object_id:
            extra_context["withdraw_url"] = reverse("admin:signatures_signature_withdraw", args=[object_id])
        return super().changeform_view(request, object_id, form_url, extra_context)

    @admin.action(description="Withdraw selected signatures (asks for a reason)", permissions=["change"])
    def withdraw_selected(self, request, queryset):
        """Confirmation page first (with a required reason); the confirmed POST comes back here."""
        active = list(queryset.filter(status=SignatureStatus.ACTIVE))
        form = WithdrawForm(request.POST if request.POST.get("confirm") == "yes" else None)
        if form.is_bound and form.is_valid():
            withdrawn = self._withdraw(active, form.cleaned_data["reason"])
            self.message_user(request, f"Withdrew {len(withdrawn)} signature(s): {', '.join(withdrawn) or 'none'}.",
                              messages.SUCCESS)
            self._warn_uncarried_tags(request)
            return None
        return self._withdraw_page(request, active, form, selected=[s.pk for s in queryset])

    def _withdraw(self, signatures, reason):
        done = []
        for signature in signatures:
            try:
                services.signature_withdraw(signature=signature, reason=reason)
                done.append(signature.public_id)
            except services.SignatureStateError:
                pass  # withdrawn meanwhile by someone else
        return done

    def _warn_uncarried_tags(self, request):
        uncarried = combination_tags_uncarried()
        if uncarried:
            self.message_user(request, f"No active signature carries {', '.join(sorted(uncarried))} any more: the "
                                       "combinations that need it cannot fire until another signature has the tag.",
                              messages.WARNING)

    def _withdraw_page(self, request, signatures, form, *, selected=None, single=None):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Withdraw signatures?" if single is None else f"Withdraw {single.public_id}?",
            "signatures": signatures,
            "form": form,
            "selected": selected or [],
            "single": single,
        }
        return TemplateResponse(request, "admin/signatures/signature/withdraw_confirm.html", context)

    def withdraw_view(self, request, object_id):
        signature = get_object_or_404(Signature, pk=object_id)
        if not self.has_change_permission(request, signature):
            raise PermissionDenied
        change_url = reverse("admin:signatures_signature_change", args=[signature.pk])
        if not signature.is_active:
            self.message_user(request, f"Already withdrawn: {signature.public_id}.", messages.WARNING)
            return HttpResponseRedirect(change_url)
        form = WithdrawForm(request.POST if request.method == "POST" else None)
        if form.is_bound and form.is_valid():
            self._withdraw([signature], form.cleaned_data["reason"])
            self.message_user(request, f"Withdrew {signature.public_id}; clients drop it on their next sync.", messages.SUCCESS)
            self._warn_uncarried_tags(request)
            return HttpResponseRedirect(change_url)
        return self._withdraw_page(request, [signature], form, single=signature)

    def get_urls(self):
        custom = [
            path("test-pattern/", self.admin_site.admin_view(self.test_pattern_view), name="signatures_signature_test_pattern"),
            path("<int:object_id>/withdraw/", self.admin_site.admin_view(self.withdraw_view), name="signatures_signature_withdraw"),
        ]
        return custom + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "test_pattern_url": reverse("admin:signatures_signature_test_pattern")}
        return super().changelist_view(request, extra_context)

    def test_pattern_view(self, request):
        """Run an RE2 pattern over pasted text and list the matching lines."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        lines, truncated, ran = [], False, False
        if request.method == "POST":
            form = PatternTestForm(request.POST)
            if form.is_valid():
                lines, truncated = matching_lines(form.cleaned_data["pattern"], form.cleaned_data["text"])
                ran = True
        else:
            initial = {}
            if request.GET.get("signature"):
                signature = Signature.objects.filter(public_id=request.GET["signature"]).first()
                if signature:
                    initial["pattern"] = signature.pattern
            form = PatternTestForm(initial=initial)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Test a signature pattern",
            "form": form,
            "ran": ran,
            "lines": lines,
            "truncated": truncated,
            "max_lines": MAX_SHOWN_LINES,
        }
        return TemplateResponse(request, "admin/signatures/signature/test_pattern.html", context)
