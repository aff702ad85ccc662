"""The PyPI side of the proxy: read the upstream Simple API (PEP 691 JSON), apply the policy, and
answer in PEP 691 JSON or PEP 503 HTML with file URLs that point back at the proxy."""
from __future__ import annotations

from dataclasses import dataclass
from html import escape
from urllib.parse import quote, urljoin, urlsplit

from django.conf import settings
from packaging.utils import InvalidSdistFilename, InvalidWheelFilename, parse_sdist_filename, parse_wheel_filename

from domain.identifiers import pep503_name
from domain.registries import SIMPLE_JSON, pypi_file_sha256
from firewall import upstream
from firewall.constants import WITHHELD_VISIBLY, RemovalReason
from firewall.policy import Candidate, Decision, decide, parse_time

SIMPLE_HTML = "application/vnd.pypi.simple.v1+html"
MAX_FILES = 20_000


@dataclass
class IndexFile:
    filename: str
    upstream_url: str
    sha256: str | None
    version: str | None
    requires_python: str | None
    yanked: bool | str
    upload_time: str | None


@dataclass
class FilteredIndex:
    name: str
    files: list[IndexFile]                 # what the client sees (withheld-visibly ones as yanked)
    decisions: dict[str, Decision]          # every removed file by filename
    stale_seconds: int | None = None        # upstream down: the cached copy's age (upstream.Metadata)


def _allowed_file_host(url: str) -> bool:
    """Only files on the index's own host or on SIGIL_FIREWALL_PYPI_FILE_HOSTS are ever fetched."""
    parts, index = urlsplit(url), urlsplit(settings.PYPI_URL)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        index_port = index.port or (443 if index.scheme == "https" else 80)
    except ValueError:
        return False
    host = (parts.hostname or "").lower()
    if parts.scheme == index.scheme and (host, port) == ((index.hostname or "").lower(), index_port):
        return True
    if parts.scheme != "https":
        return False
    allowed = {h.strip().lower() for h in settings.SIGIL_FIREWALL_PYPI_FILE_HOSTS}
    return host in allowed or f"{host}:{port}" in allowed


def _version(filename: str, project: str) -> str | None:
    try:
        if filename.endswith(".whl"):
            name, version, _build, _tags = parse_wheel_filename(filename)
        else:
            name, version = parse_sdist_filename(filename)
    except (InvalidWheelFilename, InvalidSdistFilename, ValueError):
        return None
    return str(version) if pep503_name(str(name)) == project else None


def upstream_index(project: str) -> tuple[str, list[IndexFile], int | None]:
    """The project's name and files as the upstream Simple API lists them, and the stale copy's age
    when upstream is down (raises upstream errors)."""
    url = f"{settings.PYPI_URL}/simple/{quote(project)}/"
    metadata = upstream.fetch_json(url, accept=SIMPLE_JSON, what=f"PyPI project {project}")
    doc = metadata.doc
    files = []
    for entry in (doc.get("files") or [])[:MAX_FILES] if isinstance(doc.get("files"), list) else []:
        if not isinstance(entry, dict) or not isinstance(entry.get("filename"), str) \
                or not isinstance(entry.get("url"), str) or "/" in entry["filename"]:
            continue
        requires = entry.get("requires-python")
        yanked = entry.get("yanked")
        files.append(IndexFile(
            filename=entry["filename"], upstream_url=urljoin(url, entry["url"]), sha256=pypi_file_sha256(entry),
            version=_version(entry["filename"], project),
            requires_python=requires if isinstance(requires, str) else None,
            yanked=yanked if isinstance(yanked, (bool, str)) else False,
            upload_time=entry.get("upload-time") if isinstance(entry.get("upload-time"), str) else None))
    name = doc.get("name") if isinstance(doc.get("name"), str) else project
    return name, files, metadata.stale_seconds


def filtered_index(project: str, *, min_release_age_hours: int = 0) -> FilteredIndex:
    name, files, stale_seconds = upstream_index(project)
    decisions: dict[str, Decision] = {}
    candidates = []
    for file in files:
        if file.version is None or file.sha256 is None:
            decisions[file.filename] = Decision(RemovalReason.UNREADABLE, "Withheld by Sigil: no version or sha256")
        elif not _allowed_file_host(file.upstream_url):
            decisions[file.filename] = Decision(RemovalReason.FOREIGN_HOST,
                                                "Withheld by Sigil: file outside the configured file hosts")
        else:
            candidates.append(Candidate(key=file.filename, name=project, version=file.version, sha256=file.sha256,
                                        uploaded=parse_time(file.upload_time)))
    decisions.update(decide("pypi", candidates, min_release_age_hours=min_release_age_hours))
    # Threatened or failed files stay listed, and their file URL answers 403 naming Sigil and the
    # threat without fetching anything. While the project has an allowed file they are marked yanked
    # with that reason, so resolvers pick an allowed version (a pinned install still hits the 403);
    # when nothing is allowed they are listed plainly, so the install fails on the 403's message
    # instead of pip's bare "no matching distribution".
    any_allowed = any(file.filename not in decisions for file in files)
    shown = []
    for file in files:
        decision = decisions.get(file.filename)
        if decision is None:
            shown.append(file)
        elif decision.reason in WITHHELD_VISIBLY:
            shown.append(IndexFile(**{**file.__dict__, "yanked": decision.message if any_allowed else file.yanked}))
    return FilteredIndex(name=name, files=shown, decisions=decisions, stale_seconds=stale_seconds)


def file_path(project: str, filename: str) -> str:
    return f"/files/{quote(project)}/{quote(filename)}"


def render_json(index: FilteredIndex, project: str) -> dict:
    files = []
    for f in index.files:
        entry = {"filename": f.filename, "url": file_path(project, f.filename), "hashes": {"sha256": f.sha256},
                 "yanked": f.yanked}
        if f.requires_python:
            entry["requires-python"] = f.requires_python
        if f.upload_time:
            entry["upload-time"] = f.upload_time
        files.append(entry)
    versions = sorted({f.version for f in index.files if f.version})
    return {"meta": {"api-version": "1.1"}, "name": project, "versions": versions, "files": files}


def render_html(index: FilteredIndex, project: str) -> str:
    lines = ["<!DOCTYPE html>", "<html><head>", '<meta name="pypi:repository-version" content="1.1">',
             f"<title>Links for {escape(project)}</title></head><body>", f"<h1>Links for {escape(project)}</h1>"]
    for f in index.files:
        attrs = f'href="{escape(file_path(project, f.filename))}#sha256={f.sha256}"'
        if f.requires_python:
            attrs += f' data-requires-python="{escape(f.requires_python)}"'
        if f.yanked:
            attrs += f' data-yanked="{escape(f.yanked if isinstance(f.yanked, str) else "")}"'
        lines.append(f"<a {attrs}>{escape(f.filename)}</a><br>")
    lines.append("</body></html>")
    return "\n".join(lines) + "\n"


def upstream_projects() -> tuple[list[str], int | None]:
    """The root listing of the upstream index (PEP 691 `projects`), and the stale copy's age."""
    metadata = upstream.fetch_json(f"{settings.PYPI_URL}/simple/", accept=SIMPLE_JSON, what="the PyPI project list")
    projects = metadata.doc.get("projects") if isinstance(metadata.doc.get("projects"), list) else []
    names = [p["name"] for p in projects if isinstance(p, dict) and isinstance(p.get("name"), str)]
    return names, metadata.stale_seconds


def wants_json(accept: str) -> bool:
    return SIMPLE_JSON in (accept or "")
