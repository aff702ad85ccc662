from django.db import models


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

