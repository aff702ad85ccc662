"""A tool's own credential store: one kind of configuration file, read by the tool it belongs to.

A publishing tool reads ~/.pypirc, an SSH library ~/.ssh/id_rsa, a Kubernetes client ~/.kube/config,
a cloud SDK ~/.aws/credentials. A stealer sweeps several stores, or sends what it read to a place
stolen data goes. So when every credential-file read of a package is of one kind, nothing in the
package names an exfiltration endpoint or a bot channel, and none of it runs at install, the reads
weigh as the tool's configuration (scoring.OWN_STORE_MULT).
"""

from __future__ import annotations

import re2

from .. import scoring as W
from ..files import QUIET_REASONS
from ..hits import RawHit

_STORES = {
    "ssh": re2.compile(r"\.ssh\b|\bid_(?:rsa|ed25519|dsa|ecdsa)\b"),
    "aws": re2.compile(r"\.aws\b"),
    "npm": re2.compile(r"\.npmrc\b"),
    "pypi": re2.compile(r"\.pypirc\b"),
    "git": re2.compile(r"\.git-credentials\b"),
    "docker": re2.compile(r"\.docker\b"),
    "kube": re2.compile(r"\.kube\b"),
    "gcloud": re2.compile(r"gcloud"),
}
# Stores no tool reads for itself: browsers, wallets, chat apps are a stealer's targets.
_NOT_OWN = frozenset({"browser-store", "wallet", "bot-channel", "exfil-endpoint"})


def _store(h: RawHit) -> str | None:
    kinds = [k for k, rx in _STORES.items() if rx.search(h.excerpt)]
    return kinds[0] if len(kinds) == 1 else None


def own_store_discount(hits: list[RawHit]) -> None:
    reads = [h for h in hits if "secret-read" in h.tags and "secret-name" not in h.tags and h.severity != "low"
             and h.phase == 4]
    if not reads or any(h.tags & _NOT_OWN and h.severity != "low" and not h.inert and h.file.reason not in QUIET_REASONS
                        for h in hits):
        return
    if any(h.file.install_time or h.label for h in reads):
        return
    kinds = {_store(h) for h in reads}
    if len(kinds) != 1 or None in kinds:
        return
    strongest = max(reads, key=lambda h: h.points)
    for h in reads:  # one store is one finding, however many modules name it
        h.points = h.points * W.OWN_STORE_MULT if h is strongest else 0.0
        h.routine = True


def _shipped_and_serious(h: RawHit) -> bool:
    return h.severity != "low" and not h.inert and h.file.reason not in QUIET_REASONS


def browser_profile_discount(hits: list[RawHit]) -> None:
    """Browser automation (test drivers, agents driving a real Chrome) locates profiles and user-data
    folders. A stealer reads them too, and always something else besides: decryption of the saved
    passwords, chat tokens, wallets, or an endpoint to send them to. Profile access with none of that,
    and nothing at install, weighs as the tool's own configuration."""
    profile = [h for h in hits if "browser-store" in h.tags and h.severity != "low"]
    if not profile or any(h.file.install_time or h.label for h in profile):
        return
    for h in hits:
        if not _shipped_and_serious(h):
            continue
        if ("secret-read" in h.tags and "browser-store" not in h.tags and "secret-name" not in h.tags) or \
                h.tags & {"exfil-endpoint", "bot-channel", "wallet"}:
            return
    for h in profile:
        h.points *= W.OWN_STORE_MULT
        h.routine = True
