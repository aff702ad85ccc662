from django.db import models

from scans.engine.tags import TAGS

# Patterns longer than this are refused: long alternations are how RE2 programs blow up.
MAX_PATTERN_LENGTH = 2000
# GET /v1/signatures page size (and the most a client may ask for with ?limit=).
SYNC_PAGE_SIZE = 500


class Severity(models.IntegerChoices):
    """Ordered: the stored value is the rank, the label is the name the API speaks."""

    LOW = 1, "low"
    MEDIUM = 2, "medium"
    HIGH = 3, "high"
    CRITICAL = 4, "critical"

    @classmethod
    def from_name(cls, name: str) -> "Severity":
        """Map "critical" (any case) or a Severity to a Severity; KeyError when unknown."""
        if isinstance(name, cls):
            return name
        if isinstance(name, int) and not isinstance(name, bool):
            return cls(name)
        return cls[str(name).strip().upper()]

    @property
    def slug(self) -> str:
        return self.label


class Ecosystem(models.TextChoices):
    NPM = "npm"
    PYPI = "pypi"
    GENERIC = "generic"


class SignatureStatus(models.TextChoices):
    ACTIVE = "active"
    WITHDRAWN = "withdrawn"


class Origin(models.TextChoices):
    BUILTIN = "builtin"
    REPORT = "report"


# Capability tags: the vocabulary lives with the engine, which combines findings by tag.
TAG_CHOICES = [(tag, f"{tag}: {meaning}") for tag, meaning in TAGS.items()]
