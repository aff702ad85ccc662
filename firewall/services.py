"""Writes for the firewall: install tokens and the user's proxy policy."""
from __future__ import annotations

import logging
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from domain.errors import InvalidRequest, NotFound
from firewall.constants import INSTALL_TOKEN_PREFIX, TOKEN_USE_WRITE_SECONDS
from firewall.models import FirewallSettings, InstallToken, install_token_digest

logger = logging.getLogger(__name__)

MAX_ACTIVE_TOKENS = 50
MAX_RELEASE_AGE_HOURS = 24 * 365


def install_token_create(*, user, name: str = "") -> tuple[InstallToken, str]:
    """A new token and its secret value, which is returned once and never stored."""
    with transaction.atomic():
        # Lock the user's row so two concurrent creations cannot both pass the cap.
        type(user).objects.select_for_update().filter(pk=user.pk).first()
        if InstallToken.objects.filter(user=user, revoked_at__isnull=True).count() >= MAX_ACTIVE_TOKENS:
            raise InvalidRequest(f"You have {MAX_ACTIVE_TOKENS} active install tokens; revoke one first.")
        raw = INSTALL_TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = InstallToken(user=user, name=name.strip(), token_hash=install_token_digest(raw),
                             hint=raw[: len(INSTALL_TOKEN_PREFIX) + 4])
        token.full_clean()
        token.save()
    logger.info("install token %s created for %s", token.public_id, user.public_id)
    return token, raw


def install_token_revoke(*, user, public_id: str) -> InstallToken:
    """Revoke one of the user's tokens (revoking twice is harmless); another user's id is 404."""
    token = InstallToken.objects.filter(user=user, public_id=public_id).first()
    if token is None:
        raise NotFound("No such install token.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        logger.info("install token %s revoked", token.public_id)
    return token


def install_token_touch(token: InstallToken) -> None:
    """Record use, at most once a minute per token."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(seconds=TOKEN_USE_WRITE_SECONDS):
        InstallToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


def firewall_settings_update(*, user, min_release_age_hours: int) -> FirewallSettings:
    if not 0 <= min_release_age_hours <= MAX_RELEASE_AGE_HOURS:
        raise InvalidRequest(f"min_release_age_hours must be between 0 and {MAX_RELEASE_AGE_HOURS}.")
    settings_row, _ = FirewallSettings.objects.update_or_create(
        user=user, defaults={"min_release_age_hours": min_release_age_hours, "updated_at": timezone.now()})
    return settings_row
