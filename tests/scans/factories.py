"""Stored scans for tests (factory_boy)."""
import factory
from django.utils import timezone

from domain.scoring import verdict_for_score
from scans.models import Scan
from tests.accounts.factories import UserFactory


class ScanFactory(factory.django.DjangoModelFactory):
    """A stored scan; its verdict follows its score as the API requires."""

    class Meta:
        model = Scan

    user = factory.SubFactory(UserFactory)
    quarantine_id = factory.Sequence(lambda n: f"q{n}")
    source_type = "git"
    source_ref = "https://github.com/a/b"
    score = 0
    verdict = factory.LazyAttribute(lambda scan: verdict_for_score(scan.score))
    phases = factory.LazyFunction(list)
    created_at = factory.LazyFunction(timezone.now)
