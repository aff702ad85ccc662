"""Analyst curation: triage reports, verify them into threats, promote them into signatures."""
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from domain.identifiers import normalize_hash, normalize_package_name
from domain.scoring import SEVERITIES
from intel import services
from intel.constants import CURATED_FIELDS, Ecosystem, ReportStatus, ReviewAction
from intel.models import (
    InvalidTransition,
    Package,
    PackageVersion,
    Publisher,
    Report,
    ReportReview,
    Threat,
    ThreatArtifactHash,
    ThreatRange,
)
from sigil.admin import ReadOnlyAdmin
from signatures.constants import Ecosystem as SignatureEcosystem


class ReasonActionForm(ActionForm):
    """Every review action asks why; the reason is kept in the report's history."""

    reason = forms.CharField(required=False, max_length=5000, label="Reason",
                             widget=forms.TextInput(attrs={"size": 60, "placeholder": "Why (kept in the report history)"}))


class ReportReviewInline(admin.TabularInline):
    model = ReportReview
    extra = 0
    can_delete = False
    fields = ["created_at", "actor", "action", "from_status", "to_status", "reason"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReportForm(forms.ModelForm):
    class Meta:
        model = Report
        fields = ["ecosystem", "package_name", "package_version"]

    def clean(self):
        data = super().clean()
        ecosystem, name = data.get("ecosystem"), data.get("package_name")
        if name:
            if not ecosystem:
                raise ValidationError({"ecosystem": "Choose the ecosystem of the package."})
            try:
                data["package_name"] = normalize_package_name(ecosystem, name)
            except ValueError as exc:
                raise ValidationError({"package_name": str(exc)}) from None
        if data.get("package_version") and not name:
            raise ValidationError({"package_name": "A version needs a package name."})
        return data


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    form = ReportForm
    action_form = ReasonActionForm
    actions = ["start_review", "verify", "reject"]
    list_display = ["public_id", "status", "category", "severity", "ecosystem", "package_name", "package_version",
                    "short_source_ref", "created_at"]
    list_filter = ["status", "category", "severity", "ecosystem"]
    search_fields = ["public_id", "source_ref", "source_hash", "package_name", "description"]
    ordering = ["-created_at"]
    list_select_related = ["user"]
    inlines = [ReportReviewInline]
    readonly_fields = ["public_id", "user", "status", "source_type", "source_ref", "source_hash", "category", "severity",
                       "description", "evidence", "scan_link", "threat_link", "created_at", "updated_at", "promote_link"]
    fieldsets = [
        (None, {"fields": ["public_id", "status", "user", "created_at", "updated_at"]}),
        ("Report", {"fields": ["source_type", "source_ref", "source_hash", "category", "severity", "description",
                               "evidence", "scan_link"]}),
        ("Package (parsed from source_ref; correct before verifying)", {"fields": ["ecosystem", "package_name", "package_version"]}),
        ("Outcome", {"fields": ["threat_link", "promote_link"]}),
    ]

    def has_add_permission(self, request):
        return False  # reports come from POST /v1/report

    def has_delete_permission(self, request, obj=None):
        return False  # the history stays

    @admin.display(description="Source")
    def short_source_ref(self, report):
        return report.source_ref if len(report.source_ref) <= 60 else report.source_ref[:57] + "..."

    @admin.display(description="Scan")
    def scan_link(self, report):
        return report.scan.public_id if report.scan_id else "-"

    @admin.display(description="Threat")
    def threat_link(self, report):
        if not report.threat_id:
            return "-"
        url = reverse("admin:intel_threat_change", args=[report.threat_id])
        return format_html('<a href="{}">{}</a>', url, report.threat.reference)

    @admin.display(description="Signature")
    def promote_link(self, report):
        if report.pk is None or report.status not in (ReportStatus.IN_REVIEW, ReportStatus.VERIFIED):
            return "Start review or verify the report to promote it."
        return format_html('<a class="button" href="{}">Promote to detection signature</a>',
                           reverse("admin:intel_report_promote", args=[report.pk]))

    def _review(self, request, queryset, action):
        reason = request.POST.get("reason", "").strip()
        if not reason:
            self.message_user(request, "Give a reason; it is kept in the report's history.", messages.ERROR)
            return
        done = 0
        for report in queryset:
            try:
                services.report_review(report=report, actor=request.user, action=action, reason=reason)
                done += 1
            except (InvalidTransition, services.ReportNotActionable) as exc:
                self.message_user(request, f"{report.public_id}: {exc}", messages.ERROR)
        if done:
            self.message_user(request, f"{ReviewAction(action).label}: {done} report(s).", messages.SUCCESS)

    @admin.action(description="Start review of selected reports", permissions=["change"])
    def start_review(self, request, queryset):
        self._review(request, queryset, ReviewAction.START_REVIEW)

    @admin.action(description="Verify selected reports (creates or updates threats)", permissions=["change"])
    def verify(self, request, queryset):
        self._review(request, queryset, ReviewAction.VERIFY)

    @admin.action(description="Reject selected reports", permissions=["change"])
    def reject(self, request, queryset):
        self._review(request, queryset, ReviewAction.REJECT)

    def get_urls(self):
        custom = [path("<int:report_pk>/promote/", self.admin_site.admin_view(self.promote_view), name="intel_report_promote")]
        return custom + super().get_urls()

    def promote_view(self, request, report_pk):
        report = get_object_or_404(Report, pk=report_pk)
        if not (self.has_change_permission(request, report) and request.user.has_perm("signatures.add_signature")):
            raise PermissionDenied
        form = PromoteForm(request.POST or None, initial=PromoteForm.initial_for(report))
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                signature = services.report_promote(
                    report=report, actor=request.user, reason=data["reason"], phase=int(data["phase"]), name=data["name"],
                    description=data["description"], pattern=data["pattern"], severity=data["severity"],
                    weight=data["weight"], ecosystem=data["ecosystem"], file_globs=data["file_globs"],
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            except InvalidTransition as exc:
                form.add_error(None, str(exc))
            else:
                self.message_user(request, f"{report.public_id} promoted to signature {signature.public_id}.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:intel_report_change", args=[report.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "report": report,
            "form": form,
            "title": f"Promote {report.public_id} to a detection signature",
        }
        return TemplateResponse(request, "intel/admin/promote_report.html", context)


class PromoteForm(forms.Form):
    phase = forms.TypedChoiceField(coerce=int, choices=[(n, f"{n}") for n in range(1, 7)])
    name = forms.CharField(max_length=100)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    pattern = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "class": "vLargeTextField"}), max_length=2000,
                              help_text="RE2 syntax (no backreferences or lookaround).")
    severity = forms.ChoiceField(choices=[(s, s) for s in SEVERITIES])
    weight = forms.IntegerField(min_value=1, max_value=100)
    ecosystem = forms.ChoiceField(choices=[(e, e) for e in SignatureEcosystem.values])
    file_globs = forms.CharField(required=False, help_text="Comma-separated, e.g. package.json, *.js")
    reason = forms.CharField(required=False, max_length=5000)

    @staticmethod
    def initial_for(report):
        ecosystem = report.ecosystem if report.ecosystem in SignatureEcosystem.values else SignatureEcosystem.GENERIC
        return {"severity": report.severity, "ecosystem": ecosystem,
                "description": report.description[:2000], "weight": 5, "phase": 2, "name": ""}

    def clean_file_globs(self):
        return [g.strip() for g in self.cleaned_data["file_globs"].split(",") if g.strip()]


class PackageFieldsForm(forms.ModelForm):
    """Ecosystem and name typed by the analyst, normalised (PEP 503 / npm) into a Package row."""

    ecosystem = forms.ChoiceField(choices=[(Ecosystem.PYPI.value, Ecosystem.PYPI.label), (Ecosystem.NPM.value, Ecosystem.NPM.label)])
    name = forms.CharField(max_length=214, label="Package")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        package = self._package_of(self.instance)
        if package is not None:
            self.initial.update(ecosystem=package.ecosystem, name=package.name)

    def _package_of(self, instance):
        raise NotImplementedError

    def clean(self):
        data = super().clean()
        if data.get("ecosystem") and data.get("name"):
            try:
                data["name"] = normalize_package_name(data["ecosystem"], data["name"])
            except ValueError as exc:
                raise ValidationError({"name": str(exc)}) from None
        return data


class ThreatRangeForm(PackageFieldsForm):
    class Meta:
        model = ThreatRange
        fields = ["ecosystem", "name", "range_type", "introduced", "fixed", "last_affected"]

    def _package_of(self, instance):
        return instance.package if instance.package_id else None

    def clean(self):
        data = super().clean()
        if not self.errors and data.get("name"):
            # The range's bounds are checked against this package's ecosystem (ThreatRange.clean).
            self.instance.package = services.package_record(ecosystem=data["ecosystem"], name=data["name"])
        return data


class ThreatRangeInline(admin.TabularInline):
    model = ThreatRange
    form = ThreatRangeForm
    extra = 0
    verbose_name = "affected range (OSV)"
    verbose_name_plural = 'Affected ranges (OSV: introduced <= version < fixed, or <= last affected; "0" = first version)'


class ThreatVersionForm(PackageFieldsForm):
    version = forms.CharField(max_length=128)

    class Meta:
        model = Threat.package_versions.through
        fields = ["ecosystem", "name", "version"]

    def _package_of(self, instance):
        if not instance.packageversion_id:
            return None
        self.initial["version"] = instance.packageversion.version
        return instance.packageversion.package

    def clean(self):
        data = super().clean()
        if not self.errors and data.get("name") and data.get("version"):
            try:
                self.instance.packageversion = services.package_version_record(
                    ecosystem=data["ecosystem"], name=data["name"], version=data["version"])
            except ValueError as exc:
                raise ValidationError({"version": str(exc)}) from None
        return data


class ThreatVersionInline(admin.TabularInline):
    model = Threat.package_versions.through
    form = ThreatVersionForm
    extra = 0
    verbose_name = "affected version"
    verbose_name_plural = "Affected versions (exact)"

    # The link rows belong to the threat: whoever may change the threat may change its versions
    # (Django would otherwise ask for change_packageversion, which analysts do not have).
    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("intel.view_threat")

    def has_add_permission(self, request, obj=None):
        return request.user.has_perm("intel.change_threat")

    has_change_permission = has_delete_permission = has_add_permission


class ThreatArtifactHashForm(forms.ModelForm):
    class Meta:
        model = ThreatArtifactHash
        fields = ["hash"]

    def clean_hash(self):
        try:
            return normalize_hash(self.cleaned_data["hash"])
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


class ThreatArtifactHashInline(admin.TabularInline):
    model = ThreatArtifactHash
    form = ThreatArtifactHashForm
    extra = 0
    verbose_name_plural = "Artifact hashes (sha256 of a wheel, sdist or npm tarball)"


@admin.register(Threat)
class ThreatAdmin(admin.ModelAdmin):
    list_display = ["reference", "severity", "category", "content_hash", "reports_count", "withdrawn_at", "first_seen",
                    "last_seen"]
    list_filter = ["severity", "category", "recommended_action", ("withdrawn_at", admin.EmptyFieldListFilter)]
    search_fields = ["reference", "content_hash", "description", "package_versions__package__name", "osv_id"]
    ordering = ["-last_seen"]
    # Threat facts come from verified reports and OSV imports; analysts edit the public text, the
    # advice, what is affected (inlines below) and withdrawal. What they edit, imports leave alone.
    readonly_fields = ["reference", "content_hash", "severity", "category", "first_seen", "last_seen", "reports_count",
                       "public_page", "osv_id", "osv_modified", "curated_fields", "created_at", "updated_at"]
    fields = ["reference", "public_page", "content_hash", "severity", "category", "summary", "description",
              "recommended_action", "extra_references", "aliases", "withdrawn_at", "first_seen", "last_seen",
              "reports_count", "osv_id", "osv_modified", "curated_fields", "created_at", "updated_at"]
    inlines = [ThreatVersionInline, ThreatRangeInline, ThreatArtifactHashInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def save_model(self, request, obj, form, change):
        # Compare stored values (a form's changed_data calls an unchanged JSON list changed).
        before = Threat.objects.filter(pk=obj.pk).values(*[f for f in CURATED_FIELDS if f != "affected"]).first() or {}
        form.curated_edits = {name for name, value in before.items() if getattr(obj, name) != value}
        obj.updated_at = timezone.now()
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        edited = set(getattr(form, "curated_edits", ()))
        if any(formset.has_changed() for formset in formsets):
            edited.add("affected")
        services.threat_mark_curated(threat=form.instance, fields=edited)

    @admin.display(description="Public page")
    def public_page(self, threat):
        return format_html('<a href="{}">{}</a>', threat.public_url, threat.public_url)


@admin.register(Publisher)
class PublisherAdmin(ReadOnlyAdmin):
    list_display = ["public_id", "ecosystem", "name", "first_seen"]
    list_filter = ["ecosystem"]
    search_fields = ["public_id", "name"]


@admin.register(Package)
class PackageAdmin(ReadOnlyAdmin):
    list_display = ["ecosystem", "name", "publisher", "created_at"]
    list_filter = ["ecosystem"]
    search_fields = ["name", "publisher__name"]
    list_select_related = ["publisher"]


@admin.register(PackageVersion)
class PackageVersionAdmin(ReadOnlyAdmin):
    list_display = ["package", "version", "created_at"]
    search_fields = ["package__name", "version"]
    list_select_related = ["package"]
