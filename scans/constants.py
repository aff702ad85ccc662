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


PHASE_NAMES = {
    1: "install_hooks",
    2: "code_patterns",
    3: "network_exfil",
    4: "credentials",
    5: "obfuscation",
    6: "provenance",
}


def verdict_for_score(score: int) -> str:
    """Verdict bands fixed by DESIGN.md."""
    if score <= 0:
        return Verdict.CLEAN
    if score < 10:
        return Verdict.LOW
    if score < 25:
        return Verdict.MEDIUM
    if score < 50:
        return Verdict.HIGH
    return Verdict.CRITICAL
