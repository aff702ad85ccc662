from django.db import models

# The phase names and verdict bands (docs/design.md) are the engine's: the CLI, the server and the
# scanner must agree, so there is one definition, re-exported here for the server's code.
from scans.engine.result import PHASE_NAMES, verdict_for_score  # noqa: F401


class SourceType(models.TextChoices):
    GIT = "git"
    PIP = "pip"
    NPM = "npm"
    URL = "url"
    LOCAL = "local"


class Verdict(models.TextChoices):
    CLEAN = "clean"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

