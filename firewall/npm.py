"""The npm side of the proxy: package documents (full or abbreviated) of NPM_REGISTRY_URL with the
policy applied, dist-tags.latest moved to the newest allowed version, tarball URLs pointing back
at the proxy."""
from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from django.conf import settings

from domain.registries import npm_expected_digest
from firewall import upstream
from firewall.constants import WITHHELD_VISIBLY, RemovalReason
from firewall.policy import Candidate, Decision, decide, parse_time
from intel.versions import parse_version
from marketplace.registries import NPM_NAME  # the names the verification pipeline accepts

ABBREVIATED = "application/vnd.npm.install-v1+json"
# What an abbreviated (install) document keeps of each version.
ABBREVIATED_FIELDS = ("name", "version", "dependencies", "optionalDependencies", "peerDependencies",
                      "peerDependenciesMeta", "bundleDependencies", "bin", "directories", "engines", "os", "cpu",
                      "dist", "deprecated", "hasInstallScript", "_hasShrinkwrap", "funding", "license")


@dataclass
class FilteredDocument:
    doc: dict
    decisions: dict[str, Decision]
    stale_seconds: int | None = None  # upstream down: the cached copy's age (upstream.Metadata)


def _allowed_tarball(url: str) -> bool:
    parts, registry = urlsplit(url), urlsplit(settings.NPM_REGISTRY_URL)
    return parts.scheme == registry.scheme and parts.netloc.lower() == registry.netloc.lower()


def upstream_document(name: str) -> upstream.Metadata:
    url = f"{settings.NPM_REGISTRY_URL}/{quote(name, safe='@')}"
    return upstream.fetch_json(url, accept="application/json", what=f"npm package {name}")


def _newest(versions) -> str | None:
    parsed = [(parse_version("npm", "SEMVER", v), v) for v in versions]
    parsed = [(p, v) for p, v in parsed if p is not None]
    return max(parsed)[1] if parsed else None


def filtered_document(name: str, *, base_url: str, abbreviated: bool, min_release_age_hours: int = 0
                      ) -> FilteredDocument:
    metadata = upstream_document(name)
    doc = metadata.doc
    versions = doc.get("versions") if isinstance(doc.get("versions"), dict) else {}
    times = doc.get("time") if isinstance(doc.get("time"), dict) else {}
    decisions: dict[str, Decision] = {}
    candidates = []
    for version, meta in versions.items():
        dist = meta.get("dist") if isinstance(meta, dict) else None
        if not isinstance(dist, dict) or not isinstance(dist.get("tarball"), str) or npm_expected_digest(dist) is None:
            decisions[version] = Decision(RemovalReason.UNREADABLE, "Withheld by Sigil: no tarball or integrity")
        elif not _allowed_tarball(dist["tarball"]):
            decisions[version] = Decision(RemovalReason.FOREIGN_HOST, "Withheld by Sigil: tarball on another host")
        else:
            candidates.append(Candidate(key=version, name=name, version=version, sha256=None,
                                        uploaded=parse_time(times.get(version))))
    decisions.update(decide("npm", candidates, min_release_age_hours=min_release_age_hours))
    allowed = [v for v in versions if v not in decisions]
    out_versions = {}
    for version, meta in versions.items():
        decision = decisions.get(version)
        if decision is not None and decision.reason not in WITHHELD_VISIBLY:
            continue
        meta = dict(meta)
        meta["dist"] = {**meta["dist"], "tarball": tarball_url(base_url, name, meta["dist"]["tarball"])}
        if decision is not None and allowed:
            # Kept, deprecated with the reason, so npm picks an allowed version and a pinned
            # install says why; the tarball answers 403 and is never fetched.
            meta["deprecated"] = decision.message
        if abbreviated:
            meta = {k: meta[k] for k in ABBREVIATED_FIELDS if k in meta}
        out_versions[version] = meta
    tags = {k: v for k, v in (doc.get("dist-tags") or {}).items() if isinstance(v, str) and v in allowed}
    newest = _newest(allowed)
    if newest is not None:
        latest = (doc.get("dist-tags") or {}).get("latest")
        tags["latest"] = latest if latest in allowed else newest
    out = {"name": doc.get("name", name), "dist-tags": tags, "versions": out_versions}
    if abbreviated:
        out["modified"] = times.get("modified") or doc.get("modified") or ""
    else:
        for key in ("description", "readme", "maintainers", "license", "repository", "homepage", "keywords"):
            if key in doc:
                out[key] = doc[key]
        out["time"] = {k: v for k, v in times.items() if k in out_versions or k in ("created", "modified")}
    return FilteredDocument(doc=out, decisions=decisions, stale_seconds=metadata.stale_seconds)


def tarball_url(base_url: str, name: str, upstream_tarball: str) -> str:
    filename = os.path.basename(urlsplit(upstream_tarball).path)
    return f"{base_url}/npm/{name}/-/{quote(filename)}"


def find_version(name: str, filename: str) -> tuple[str, dict] | None:
    """The version whose upstream tarball is `filename`."""
    doc = upstream_document(name).doc
    for version, meta in (doc.get("versions") or {}).items():
        dist = meta.get("dist") if isinstance(meta, dict) else None
        if isinstance(dist, dict) and isinstance(dist.get("tarball"), str) \
                and os.path.basename(urlsplit(dist["tarball"]).path) == filename:
            return version, dist
    return None
