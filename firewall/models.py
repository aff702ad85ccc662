import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone

from sigil.ids import PublicIdField


def install_token_digest(raw: str) -> str:
    """Tokens carry 256 random bits, so a plain SHA-256 is enough (no password hashing needed) and
    lets a request find its token by an indexed lookup."""
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


class InstallToken(models.Model):
    """A long-lived, revocable credential for the package proxy (pip.conf, .npmrc); stored hashed."""

    public_id = PublicIdField(prefix="itk_")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="install_tokens")
    name = models.CharField(max_length=100, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    hint = models.CharField(max_length=16)  # the first characters, so a user can tell tokens apart
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.public_id} ({self.hint}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class FirewallSettings(models.Model):
    """A user's proxy policy; without a row the defaults apply (no minimum release age)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="firewall_settings")
    min_release_age_hours = models.PositiveIntegerField(default=0)  # 0 = off
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"firewall settings of {self.user_id}"
