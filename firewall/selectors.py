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
    token = (InstallToken.objects.select_related("user")
             .filter(token_hash=install_token_digest(raw), revoked_at__isnull=True).first())
    if token is None or not token.user.is_active:
        return None
    return token


def firewall_settings_for(*, user) -> FirewallSettings:
    """The user's settings, or unsaved defaults."""
    return FirewallSettings.objects.filter(user=user).first() or FirewallSettings(user=user)
