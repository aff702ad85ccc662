from django.db import models

INSTALL_TOKEN_PREFIX = "sigil_it_"
# How often last_used_at is written for one token (a pip run sends dozens of requests).
TOKEN_USE_WRITE_SECONDS = 60
BASIC_REALM = "Sigil firewall"
# The 401 challenge on /npm/. npm answers a Basic or Bearer challenge with its own advice ("npm
# login", npmjs.com's password page), which cannot help here; under any other scheme it prints the
# challenge ("Unable to authenticate, need: …"), so that carries what Sigil needs.
NPM_CHALLENGE_SCHEME = "SigilInstallToken"


class RemovalReason(models.TextChoices):
    """Why the proxy withheld a file or version (the X-Sigil-Firewall-Removed header counts them)."""

    THREAT = "threat"                        # a threat matches the version or the artifact hash
    FAILED_VERIFICATION = "failed_verification"  # the latest verification of the artifact failed or was revoked
    TOO_NEW = "too_new"                      # younger than the user's minimum release age
    FOREIGN_HOST = "foreign_host"            # the file lives outside the configured file hosts
    UNREADABLE = "unreadable"                # no version or no sha256 in the upstream metadata


# Reasons the proxy shows to the client (a yanked entry with the reason, 403 on the file) rather than
# hiding the file: the resolver skips it, and a pinned install fails naming Sigil and the threat.
WITHHELD_VISIBLY = (RemovalReason.THREAT, RemovalReason.FAILED_VERIFICATION)
