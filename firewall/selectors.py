"""Reads for the firewall: tokens, the user a proxy request acts for, the user's policy."""
from __future__ import annotations

from django.db.models import QuerySet

from firewall.constants import INSTALL_TOKEN_PREFIX
from firewall.models import FirewallSettings, InstallToken, install_token_digest


def install_tokens_for(*, user) -> QuerySet[InstallToken]:
    return InstallToken.objects.filter(user=user)


def install_token_active(raw: str) -> InstallToken | None:
    """The active token with this secret, its user active too; None for anything else."""
    if not raw.startswith(INSTALL_TOKEN_PREFIX) or len(raw) > 200:
        return None
    # One query for the token, its user and the user's proxy settings (firewall_settings_for reads
    # them from here): every pip and npm request makes it.
    try:
        token = (InstallToken.objects.select_related("user", "user__firewall_settings")
                 .get(token_hash=install_token_digest(raw), revoked_at__isnull=True))
    except InstallToken.DoesNotExist:
        return None
    return token if token.user.is_active else None


def firewall_settings_for(*, user) -> FirewallSettings:
    """The user's settings, or unsaved defaults."""
    try:
        return user.firewall_settings
    except FirewallSettings.DoesNotExist:
        return FirewallSettings(user=user)
