import django_filters

from scans.constants import SourceType, Verdict
from scans.models import Scan


class ScanFilter(django_filters.FilterSet):
    """GET /v1/scans?verdict=&source_type=&created_after=&created_before= (ISO 8601)."""

    verdict = django_filters.MultipleChoiceFilter(choices=Verdict.choices)
    source_type = django_filters.MultipleChoiceFilter(choices=SourceType.choices)
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Scan
        fields = ["verdict", "source_type", "created_after", "created_before"]
