"""Analyst curation of signatures: create, edit, withdraw, and try a pattern on pasted text."""
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from django.urls import path, reverse

from domain.patterns import compile_pattern
from signatures import services
from signatures.constants import TAG_CHOICES, SignatureStatus
from signatures.models import Signature, pattern_problem
from signatures.selectors import combination_tags_uncarried

MAX_TEST_TEXT_BYTES = 100 * 1024
MAX_SHOWN_LINES = 200


class SignatureAdminForm(forms.ModelForm):
    # A multiple choice over the fixed vocabulary, never free text: combinations match tags exactly.
    tags = forms.MultipleChoiceField(choices=TAG_CHOICES, required=False, widget=forms.CheckboxSelectMultiple,
                                     help_text="What a match means; the engine combines findings by these tags.")

    class Meta:
        model = Signature
        fields = ["phase", "name", "description", "pattern", "severity", "weight", "ecosystem", "file_globs", "tags",
                  "origin", "origin_report"]
        widgets = {"pattern": forms.Textarea(attrs={"rows": 3, "cols": 100, "style": "font-family: monospace"})}


class PatternTestForm(forms.Form):
    pattern = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "cols": 100, "style": "font-family: monospace"}), strip=False)
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 20, "cols": 100, "style": "font-family: monospace"}),
        strip=False,
        help_text=f"Up to {MAX_TEST_TEXT_BYTES // 1024} KB of file content.",
    )

    def clean_pattern(self):
        pattern = self.cleaned_data["pattern"]
        problem = pattern_problem(pattern)
        if problem:
            raise ValidationError(problem)
        return pattern

    def clean_text(self):
        text = self.cleaned_data["text"]
        if len(text.encode("utf-8", "surrogatepass")) > MAX_TEST_TEXT_BYTES:
            raise ValidationError(f"Text is over {MAX_TEST_TEXT_BYTES // 1024} KB; paste a smaller excerpt.")
        return text


def matching_lines(pattern: str, text: str, *, limit: int = MAX_SHOWN_LINES) -> tuple[list[tuple[int, str]], bool]:
    """(line number, line) for every line where a match starts, as the engine matches; truncated flag."""
    regex = compile_pattern(pattern)
    lines = text.splitlines()
    starts, offset = [], 0
    for line in text.splitlines(keepends=True):
        starts.append(offset)
        offset += len(line)
    found: list[int] = []
    index = 0
    for match in regex.finditer(text):
        while index + 1 < len(starts) and starts[index + 1] <= match.start():
            index += 1
        if not found or found[-1] != index:
            found.append(index)
            if len(found) > limit:
                break
    truncated = len(found) > limit
    return [(i + 1, lines[i] if i < len(lines) else "") for i in found[:limit]], truncated


@admin.register(Signature)
class SignatureAdmin(admin.ModelAdmin):
    form = SignatureAdminForm
    list_display = ["public_id", "name", "phase", "severity", "weight", "ecosystem", "status", "origin", "updated_at"]
    list_filter = ["phase", "severity", "ecosystem", "status", "origin"]
    search_fields = ["public_id", "name", "description", "pattern", "origin_report"]
    readonly_fields = ["public_id", "status", "withdrawn_at", "withdrawn_reason", "created_at", "updated_at", "change_seq"]
    ordering = ["number"]
    actions = ["withdraw_selected"]
    change_list_template = "admin/signatures/signature/change_list.html"

    def has_delete_permission(self, request, obj=None):
        # Deleting would hide the change from syncing clients; withdraw sends them a tombstone.
        return False

    def save_model(self, request, obj, form, change):
        # Through the services, so every admin edit takes the feed lock and a new change_seq.
        if change and not form.changed_data:
            return  # nothing changed: do not move it in the feed
        if change:
            services.signature_update(signature=obj, **{name: form.cleaned_data[name] for name in form.changed_data})
        else:
            created = services.signature_create(**{name: form.cleaned_data[name] for name in SignatureAdminForm.Meta.fields})
            obj.pk, obj.public_id = created.pk, created.public_id
            obj.refresh_from_db()

    @admin.action(description="Withdraw selected signatures (clients drop them on next sync)", permissions=["change"])
    def withdraw_selected(self, request, queryset):
        withdrawn = 0
        for signature in queryset.filter(status=SignatureStatus.ACTIVE):
            try:
                services.signature_withdraw(signature=signature, reason=f"withdrawn in admin by {request.user.get_username()}")
                withdrawn += 1
            except services.SignatureStateError:
                pass  # withdrawn meanwhile by someone else
        self.message_user(request, f"Withdrew {withdrawn} signature(s).", messages.SUCCESS)
        uncarried = combination_tags_uncarried()
        if uncarried:
            self.message_user(request, f"No active signature carries {', '.join(sorted(uncarried))} any more: the "
                                       "combinations that need it cannot fire until another signature has the tag.",
                              messages.WARNING)

    def get_urls(self):
        custom = [
            path("test-pattern/", self.admin_site.admin_view(self.test_pattern_view), name="signatures_signature_test_pattern"),
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
