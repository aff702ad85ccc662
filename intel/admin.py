"""Analyst curation: triage reports, verify them into threats, promote them into signatures."""
import copy
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from domain.identifiers import normalize_hash, normalize_package_name
from domain.scoring import SEVERITIES
from intel import selectors, services
from intel.constants import ALLOWED_TRANSITIONS, CURATED_FIELDS, Ecosystem, ReportStatus, ReviewAction
from intel.models import (
    InvalidTransition,
    Package,
    PackageVersion,
    Publisher,
    Report,
    Threat,
    ThreatArtifactHash,
    ThreatRange,
)
from sigil.admin import AuditedAdminMixin, ReadOnlyAdmin, ReasonFormMixin, admin_link, admin_url
from signatures.constants import TAG_CHOICES
from signatures.constants import Ecosystem as SignatureEcosystem
from signatures.forms import FileGlobsField, PatternField, PhaseField
from signatures.selectors import pattern_trial


class ReasonActionForm(ActionForm):
    """Every review action asks why; the reason is kept in the report's history."""

    reason = forms.CharField(required=False, max_length=5000, label="Reason",
                             widget=forms.TextInput(attrs={"size": 60, "placeholder": "Why (kept in the report history)"}))


class ReportForm(ReasonFormMixin, forms.ModelForm):
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


DECISIONS = {
    ReviewAction.START_REVIEW: "Start review",
    ReviewAction.VERIFY: "Verify (creates or strengthens the threat)",
    ReviewAction.REJECT: "Reject",
}


class DecisionForm(forms.Form):
    """One decision taken on the report page; the reason is kept in the audit trail."""

    action = forms.ChoiceField(choices=[*[(a.value, a.label) for a in DECISIONS], ("link", "Link to threat")])
    reason = forms.CharField(max_length=5000, error_messages={"required": "Give a reason; it is kept in the audit trail."})
    threat = forms.ModelChoiceField(queryset=Threat.objects.all(), required=False, to_field_name="reference")

    def clean(self):
        data = super().clean()
        if data.get("action") == "link" and not data.get("threat"):
            raise ValidationError({"threat": "Choose the threat to link this report to."})
        return data


@admin.register(Report)
class ReportAdmin(AuditedAdminMixin, admin.ModelAdmin):
    form = ReportForm
    action_form = ReasonActionForm
    actions = ["start_review", "verify", "reject"]
    list_display = ["public_id", "priority", "status", "category", "severity", "ecosystem", "package_name", "package_version",
                    "short_source_ref", "created_at", "priority_why"]
    list_filter = ["status", "category", "severity", "ecosystem"]
    search_fields = ["public_id", "source_ref", "source_hash", "package_name", "description"]
    list_select_related = ["user"]
    readonly_fields = ["public_id", "reporter", "status", "source_type", "source_ref", "source_hash", "category", "severity",
                       "description", "evidence_list", "scan_link", "threat_link", "created_at", "updated_at",
                       "signatures_from_report", "audit_trail"]
    fieldsets = [
        (None, {"fields": ["public_id", "status", "reporter", "created_at", "updated_at"]}),
        ("Report", {"fields": ["source_type", "source_ref", "source_hash", "category", "severity", "description",
                               "evidence_list", "scan_link"]}),
        ("Package (parsed from source_ref; correct before verifying)", {"fields": ["ecosystem", "package_name", "package_version",
                                                                                   "change_reason"]}),
        ("Outcome", {"fields": ["threat_link", "signatures_from_report"]}),
        ("Audit trail", {"fields": ["audit_trail"]}),
    ]
    change_form_template = "admin/intel/report/change_form.html"

    def has_add_permission(self, request):
        return False  # reports come from POST /v1/report

    def get_queryset(self, request):
        # ModelAdmin.get_queryset orders before we could annotate: annotate first, then order.
        queryset = selectors.report_queue_annotate(self.model._default_manager.get_queryset())
        return queryset.order_by(*self.get_ordering(request))

    def get_ordering(self, request):
        # The queue sorts itself: highest priority first, then the longest waiting.
        return ["-priority", "created_at"]

    @admin.display(description="Priority", ordering="priority")
    def priority(self, report):
        return report.priority

    @admin.display(description="Why")
    def priority_why(self, report):
        return selectors.report_priority_why(report)

    def has_delete_permission(self, request, obj=None):
        return False  # the history stays

    @admin.display(description="Source")
    def short_source_ref(self, report):
        return report.source_ref if len(report.source_ref) <= 60 else report.source_ref[:57] + "..."

    @admin.display(description="Reporter")
    def reporter(self, report):
        # By email, without a link: analysts may not open user accounts.
        return report.user.email if report.user_id else "-"

    @admin.display(description="Evidence")
    def evidence_list(self, report):
        items = [str(item) for item in (report.evidence or [])]
        if not items:
            return "-"
        return format_html('<ol class="evidence">{}</ol>',
                           format_html_join("", "<li><code>{}</code></li>", ((item,) for item in items)))

    @admin.display(description="Scan")
    def scan_link(self, report):
        if not report.scan_id:
            return "-"
        scan = report.scan
        return format_html("{} · score {} ({})", admin_link(scan, scan.public_id), scan.score, scan.verdict)

    @admin.display(description="Threat")
    def threat_link(self, report):
        return admin_link(report.threat, report.threat.reference) if report.threat_id else "-"

    @admin.display(description="Signatures")
    def signatures_from_report(self, report):
        signatures = selectors.report_signatures(report=report)
        if not signatures:
            return "-"
        return format_html_join(", ", "{} ({})", ((admin_link(s, s.public_id), s.status) for s in signatures))

    # --- decisions on the report page -------------------------------------------------------------

    def _review(self, request, queryset, action):
        reason = request.POST.get("reason", "").strip()
        if not reason:
            self.message_user(request, "Give a reason; it is kept in the audit trail.", messages.ERROR)
            return
        done = 0
        for report in queryset:
            try:
                services.report_review(report=report, actor=request.user, action=action, reason=reason)
                done += 1
            except (InvalidTransition, services.ReportNotActionable) as exc:
                self.message_user(request, f"Not decided {report.public_id}: {exc}", messages.ERROR)
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
        custom = [
            path("<int:report_pk>/promote/", self.admin_site.admin_view(self.promote_view), name="intel_report_promote"),
            path("<int:report_pk>/decide/", self.admin_site.admin_view(self.decide_view), name="intel_report_decide"),
        ]
        return custom + super().get_urls()

    def _workbench(self, request, report, decision_form=None) -> dict:
        """What the report page shows beside the fields: decisions, and the context to take them."""
        allowed = [(action, label) for action, label in DECISIONS.items() if report.status in ALLOWED_TRANSITIONS[action][0]]
        known = selectors.report_known_threats(report=report)
        publisher = None
        if report.ecosystem and report.package_name:
            found = selectors.publisher_for_package(ecosystem=report.ecosystem, name=report.package_name)
            if found is not None:
                publisher = {"object": found, "reputation": selectors.publisher_reputation(publisher=found)}
        return {
            "decide_url": reverse("admin:intel_report_decide", args=[report.pk]),
            "decisions": allowed,
            "decision_form": decision_form,
            "can_link": report.status in ALLOWED_TRANSITIONS[ReviewAction.VERIFY][0],
            "can_promote": report.status in (ReportStatus.IN_REVIEW, ReportStatus.VERIFIED)
                           and request.user.has_perm("signatures.add_signature"),
            "promote_url": reverse("admin:intel_report_promote", args=[report.pk]),
            "known_threats": [(threat, admin_url(threat)) for threat in known],
            "related": {label: [(r, admin_url(r)) for r in reports]
                        for label, reports in selectors.report_related(report=report).items()},
            "track_record": selectors.reporter_track_record(user=report.user),
            "reputation": selectors.reporter_reputation(user=report.user),
            "publisher": publisher,
            "publisher_url": admin_url(publisher["object"]) if publisher else None,
            "changelist_filters": request.GET.get("_changelist_filters", "") or request.POST.get("_changelist_filters", ""),
        }

    def change_view(self, request, object_id, form_url="", extra_context=None):
        report = self.get_object(request, object_id)
        if report is not None and self.has_view_or_change_permission(request, report):
            extra_context = {**(extra_context or {}), "workbench": self._workbench(
                request, report, (extra_context or {}).get("decision_form"))}
        return super().change_view(request, object_id, form_url, extra_context)

    def next_in_queue(self, request, *, after: Report) -> Report | None:
        """The next undecided report in the changelist the analyst came from (same filters and order)."""
        filters = QueryDict(request.POST.get("_changelist_filters", "") or request.GET.get("_changelist_filters", ""))
        queue_request = copy.copy(request)
        queue_request.GET = filters
        queue_request.method = "GET"
        try:
            changelist = self.get_changelist_instance(queue_request)
            queue = changelist.get_queryset(queue_request)
        except (IncorrectLookupParameters, ValueError, ValidationError):
            queue = self.get_queryset(request)
        pending = queue.filter(status__in=[ReportStatus.SUBMITTED, ReportStatus.IN_REVIEW]).exclude(pk=after.pk)
        return pending.first()

    def decide_view(self, request, report_pk):
        """POST a decision from the report page; then the next report in the queue (filters kept)."""
        report = get_object_or_404(Report, pk=report_pk)
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:intel_report_change", args=[report.pk]))
        if not self.has_change_permission(request, report):
            raise PermissionDenied
        form = DecisionForm(request.POST)
        error = None
        if form.is_valid():
            data = form.cleaned_data
            action = ReviewAction.VERIFY if data["action"] == "link" else data["action"]
            try:
                services.report_review(report=report, actor=request.user, action=action, reason=data["reason"],
                                       threat=data.get("threat"))
            except (InvalidTransition, services.ReportNotActionable) as exc:
                error = str(exc)
        else:
            error = " ".join(message for messages_ in form.errors.values() for message in messages_)
        if error is not None:
            # Stay on the page with the reason still typed in.
            self.message_user(request, f"Not decided {report.public_id}: {error}", messages.ERROR)
            page_request = copy.copy(request)
            page_request.method, page_request.POST = "GET", QueryDict()
            return self.change_view(page_request, str(report.pk), extra_context={"decision_form": form})
        report.refresh_from_db()
        outcome = f" → {report.threat.reference}" if action == ReviewAction.VERIFY and report.threat_id else ""
        # Messages start with a word: the admin capitalises their first letter, and ids keep their case.
        self.message_user(request, f"{ReviewAction(action).label}: {report.public_id}{outcome}.", messages.SUCCESS)
        preserved = request.POST.get("_changelist_filters", "")
        suffix = f"?{urlencode({'_changelist_filters': preserved})}" if preserved else ""
        if action == ReviewAction.START_REVIEW:
            # Not a decision yet: stay on the report to take one.
            return HttpResponseRedirect(reverse("admin:intel_report_change", args=[report.pk]) + suffix)
        upcoming = self.next_in_queue(request, after=report)
        if upcoming is None:
            self.message_user(request, "The queue is empty.", messages.INFO)
            return HttpResponseRedirect(reverse("admin:intel_report_changelist") + (f"?{preserved}" if preserved else ""))
        return HttpResponseRedirect(reverse("admin:intel_report_change", args=[upcoming.pk]) + suffix)

    def promote_view(self, request, report_pk):
        """Promote form: the pattern is tried on the report's evidence and the benign self-test lines first."""
        report = get_object_or_404(Report, pk=report_pk)
        if not (self.has_change_permission(request, report) and request.user.has_perm("signatures.add_signature")):
            raise PermissionDenied
        report_url = reverse("admin:intel_report_change", args=[report.pk])
        if report.status not in (ReportStatus.IN_REVIEW, ReportStatus.VERIFIED):
            self.message_user(request, f"Cannot promote {report.public_id}: it is {report.get_status_display().lower()}; only a "
                                       "report in review or verified can be promoted.", messages.ERROR)
            return HttpResponseRedirect(report_url)
        previous = selectors.report_signatures(report=report)
        form = PromoteForm(request.POST or None, initial=PromoteForm.initial_for(report), promoted_before=bool(previous))
        trial = None
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            trial = pattern_trial(pattern=data["pattern"], evidence=report.evidence)
            if "_test" in request.POST:
                pass  # only show what it matches
            elif (not trial.matches_evidence or trial.benign_matches) and not data["override"]:
                form.add_error("override", "The pattern " + " and ".join(
                    (["matches none of the report's evidence"] if not trial.matches_evidence else [])
                    + ([f"matches {len(trial.benign_matches)} benign self-test line(s)"] if trial.benign_matches else []))
                    + ". Change it, or tick this box to save it anyway.")
            elif previous and not data["again"]:
                form.add_error("again", "This report was promoted before; tick to create another signature from it.")
            else:
                try:
                    signature = services.report_promote(
                        report=report, actor=request.user, reason=data["reason"], phase=data["phase"], name=data["name"],
                        description=data["description"], pattern=data["pattern"], severity=data["severity"],
                        weight=data["weight"], ecosystem=data["ecosystem"], file_globs=data["file_globs"],
                        tags=data["tags"],
                    )
                except ValidationError as exc:
                    for field, errors in exc.message_dict.items():
                        form.add_error(field if field in form.fields else None, errors)
                except InvalidTransition as exc:
                    form.add_error(None, str(exc))
                else:
                    self.message_user(request, format_html("Promoted {} to signature {}.", report.public_id,
                                                           admin_link(signature, signature.public_id)), messages.SUCCESS)
                    return HttpResponseRedirect(report_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "report": report,
            "form": form,
            "trial": trial,
            "previous": [(s, admin_url(s)) for s in previous],
            "title": f"Promote {report.public_id} to a detection signature",
        }
        return TemplateResponse(request, "intel/admin/promote_report.html", context)


class PromoteForm(forms.Form):
    phase = PhaseField()
    name = forms.CharField(max_length=100)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    pattern = PatternField(widget=forms.Textarea(attrs={"rows": 3, "cols": 100, "style": "font-family: monospace"}),
                           max_length=2000, strip=False, help_text="RE2 syntax (no backreferences or lookaround); "
                           "^ and $ match at line ends, as in the engine.")
    severity = forms.ChoiceField(choices=[(s, s) for s in SEVERITIES])
    weight = forms.IntegerField(min_value=1, max_value=100)
    ecosystem = forms.ChoiceField(choices=[(e, e) for e in SignatureEcosystem.values])
    file_globs = FileGlobsField()
    tags = forms.MultipleChoiceField(choices=TAG_CHOICES, required=False, widget=forms.CheckboxSelectMultiple,
                                     help_text="What a match means; the engine combines findings by these tags.")
    reason = forms.CharField(required=False, max_length=5000, help_text="Kept in the audit trail.")
    override = forms.BooleanField(required=False, label="Save even if it matches no evidence or a benign line")

    def __init__(self, *args, promoted_before=False, **kwargs):
        super().__init__(*args, **kwargs)
        if promoted_before:
            self.fields["again"] = forms.BooleanField(required=False, label="Create another signature from this report")

    @staticmethod
    def initial_for(report):
        ecosystem = report.ecosystem if report.ecosystem in SignatureEcosystem.values else SignatureEcosystem.GENERIC
        return {"severity": report.severity, "ecosystem": ecosystem,
                "description": report.description[:2000], "weight": 5, "phase": 2, "name": ""}

    def clean(self):
        data = super().clean()
        data.setdefault("again", False)
        return data


class ThreatForm(ReasonFormMixin, forms.ModelForm):
    class Meta:
        model = Threat
        fields = ["summary", "description", "recommended_action", "extra_references", "aliases", "withdrawn_at"]


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
class ThreatAdmin(AuditedAdminMixin, admin.ModelAdmin):
    form = ThreatForm
    list_display = ["reference", "severity", "category", "content_hash", "reports_count", "withdrawn_at", "first_seen",
                    "last_seen"]
    list_filter = ["severity", "category", "recommended_action", ("withdrawn_at", admin.EmptyFieldListFilter)]
    search_fields = ["reference", "content_hash", "description", "package_versions__package__name", "osv_id"]
    ordering = ["-last_seen"]
    # Threat facts come from verified reports and OSV imports; analysts edit the public text, the
    # advice, what is affected (inlines below) and withdrawal. What they edit, imports leave alone.
    readonly_fields = ["reference", "content_hash", "severity", "category", "first_seen", "last_seen", "reports_count",
                       "public_page", "osv_id", "osv_modified", "curated_fields", "created_at", "updated_at", "audit_trail"]
    fields = ["reference", "public_page", "content_hash", "severity", "category", "summary", "description",
              "recommended_action", "extra_references", "aliases", "withdrawn_at", "first_seen", "last_seen",
              "reports_count", "osv_id", "osv_modified", "curated_fields", "created_at", "updated_at", "change_reason",
              "audit_trail"]
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
class PublisherAdmin(AuditedAdminMixin, ReadOnlyAdmin):
    list_display = ["public_id", "ecosystem", "name", "first_seen"]
    fields = ["public_id", "ecosystem", "name", "display_name", "first_seen", "audit_trail"]
    readonly_fields = fields
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
