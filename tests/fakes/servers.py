"""Local fake PyPI, npm registry, git server and plain web server on loopback, for tests.

Each server binds 127.0.0.1 on a free port and runs in a thread; use it as a context manager.
They are reachable by the guarded client only when their `hostport` is in
SIGIL_OUTBOUND_ALLOWLIST (see `allow` in tests/marketplace/conftest.py).
"""
from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

from domain.identifiers import pep503_name


# ---- archive builders ------------------------------------------------------------------------

def make_targz(files: dict[str, str | bytes], *, root: str) -> bytes:
    """A .tar.gz with every file under `root/` (npm uses `package/`, sdists `name-version/`)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for path, content in sorted(files.items()):
            data = content.encode() if isinstance(content, str) else content
            info = tarfile.TarInfo(f"{root}/{path}")
            info.size = len(data)
            info.mtime = 1700000000
            tar.addfile(info, io.BytesIO(data))
    return gzip.compress(buf.getvalue(), mtime=0)  # reproducible bytes, so tests can predict hashes


def make_zip(files: dict[str, str | bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for path, content in sorted(files.items()):
            zf.writestr(path, content)
    return buf.getvalue()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_wheel(name: str, version: str, *, modules: dict[str, str] | None = None, requires=()) -> bytes:
    """An installable pure-Python wheel (METADATA, WHEEL, RECORD) that pip accepts."""
    dist = f"{name.replace('-', '_')}-{version}.dist-info"
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    metadata += "".join(f"Requires-Dist: {r}\n" for r in requires)
    files = {**(modules or {f"{name.replace('-', '_')}.py": f"VERSION = {version!r}\n"}),
             f"{dist}/METADATA": metadata,
             f"{dist}/WHEEL": "Wheel-Version: 1.0\nGenerator: sigil-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}
    record = []
    for path, content in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(content.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(content.encode())}")
    files[f"{dist}/RECORD"] = "\n".join(record + [f"{dist}/RECORD,,"]) + "\n"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for path, content in files.items():
            info = zipfile.ZipInfo(path, date_time=(2024, 1, 1, 0, 0, 0))
            zf.writestr(info, content)
    return buf.getvalue()


# ---- base server -----------------------------------------------------------------------------

class FakeServer:
    """A threaded HTTP server on 127.0.0.1; subclasses implement `handle(handler)`."""

    def __init__(self):
        self.requests: list[dict] = []
        self.status_override: int | None = None  # e.g. 503 to play a registry that is down
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # TCP_NODELAY: headers and body leave as separate writes, and with Nagle on the body
            # waited for the client's delayed ACK (~40 ms per answer on a kept-alive connection).
            disable_nagle_algorithm = True

            def log_message(self, *args):  # keep test output quiet
                pass

            def _dispatch(self):
                length = int(self.headers.get("Content-Length") or 0)
                self.body = self.rfile.read(length) if length else b""
                outer.requests.append({"method": self.command, "path": self.path,
                                       "headers": {k.lower(): v for k, v in self.headers.items()},
                                       "body": self.body})
                if outer.status_override:
                    return outer.send(self, outer.status_override, b"unavailable", "text/plain")
                outer.handle(self)

            do_GET = do_POST = do_HEAD = _dispatch

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def hostport(self) -> str:
        return f"127.0.0.1:{self.port}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()

    @staticmethod
    def send(handler, status: int, body: bytes = b"", content_type: str = "application/octet-stream",
             headers: dict | None = None):
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            handler.send_header(k, v)
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(body)

    def send_json(self, handler, doc, status: int = 200, content_type: str = "application/json"):
        self.send(handler, status, json.dumps(doc).encode(), content_type)

    def handle(self, handler):  # pragma: no cover - overridden
        self.send(handler, 404)


class FakeWeb(FakeServer):
    """Serves fixed paths: {path: (status, body, headers)}; also plays redirects and webhooks."""

    def __init__(self, routes: dict | None = None):
        super().__init__()
        self.routes = routes or {}
        self.script: list[int] = []  # statuses to answer in order (then 200), for webhook retries

    def handle(self, handler):
        if self.script:
            return self.send(handler, self.script.pop(0), b"scripted", "text/plain")
        route = self.routes.get(urlsplit(handler.path).path)
        if route is None:
            return self.send(handler, 404, b"not found", "text/plain")
        status, body, headers = route
        self.send(handler, status, body, headers.get("Content-Type", "application/octet-stream"), headers)


# ---- PyPI ------------------------------------------------------------------------------------

class FakePyPI(FakeServer):
    """Simple API JSON (PEP 691) at /simple/<name>/, project JSON at /pypi/<name>/json, files at /files/.

    projects = {name: {"versions": {version: {filename: bytes}}, "latest": version,
                       "owners": [user, ...], "organization": None,
                       "upload_times": {filename: "2026-01-01T00:00:00Z"}}}  (upload_times optional)
    `bad_digest` names files whose published sha256 is wrong. `/simple/` lists the projects; the
    project JSON carries an ETag and answers a matching If-None-Match with 304.
    """

    def __init__(self, projects: dict):
        super().__init__()
        self.projects = {pep503_name(n): dict(p, name=n) for n, p in projects.items()}
        self.bad_digest: set[str] = set()

    def _files(self, project):
        for version, files in project["versions"].items():
            for filename, data in files.items():
                yield version, filename, data

    def handle(self, handler):
        path = unquote(urlsplit(handler.path).path)
        parts = [p for p in path.split("/") if p]
        if parts == ["simple"]:
            doc = {"meta": {"api-version": "1.1"}, "projects": [{"name": p["name"]} for p in self.projects.values()]}
            return self.send_json(handler, doc, content_type="application/vnd.pypi.simple.v1+json")
        if len(parts) == 2 and parts[0] == "simple":
            project = self.projects.get(pep503_name(parts[1]))
            if project is None:
                return self.send(handler, 404, b"not found", "text/plain")
            if "application/vnd.pypi.simple.v1+json" not in handler.headers.get("Accept", ""):
                return self.send(handler, 406, b"json only in this fake", "text/plain")
            files = []
            for _version, filename, data in self._files(project):
                digest = sha256_hex(b"tampered" if filename in self.bad_digest else data)
                entry = {"filename": filename, "url": f"{self.url}/files/{filename}",
                         "hashes": {"sha256": digest}, "yanked": False}
                if filename in (project.get("upload_times") or {}):
                    entry["upload-time"] = project["upload_times"][filename]
                files.append(entry)
            doc = {"meta": {"api-version": "1.1"}, "name": pep503_name(project["name"]),
                   "versions": list(project["versions"]), "files": files}
            body = json.dumps(doc).encode()
            etag = '"%s"' % sha256_hex(body)[:32]
            if handler.headers.get("If-None-Match") == etag:
                return self.send(handler, 304, b"", "application/vnd.pypi.simple.v1+json", {"ETag": etag})
            return self.send(handler, 200, body, "application/vnd.pypi.simple.v1+json", {"ETag": etag})
        if len(parts) == 3 and parts[0] == "pypi" and parts[2] == "json":
            project = self.projects.get(pep503_name(parts[1]))
            if project is None:
                return self.send_json(handler, {"message": "Not Found"}, 404)
            owners = project.get("owners") or []
            doc = {"info": {"name": project["name"], "version": project["latest"],
                            "author": "Free Text Author", "maintainer": ""},
                   "ownership": {"organization": project.get("organization"),
                                 "roles": [{"role": "Owner", "user": u} for u in owners]},
                   # Upload times in the order the versions are listed.
                   "releases": {v: [{"upload_time_iso_8601": f"2026-01-{i + 1:02d}T00:00:00.000000Z"}]
                                for i, v in enumerate(project["versions"])}}
            return self.send_json(handler, doc)
        if len(parts) == 2 and parts[0] == "files":
            for project in self.projects.values():
                for _version, filename, data in self._files(project):
                    if filename == parts[1]:
                        return self.send(handler, 200, data)
        self.send(handler, 404, b"not found", "text/plain")


# ---- npm -------------------------------------------------------------------------------------

def npm_integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


class FakeNpm(FakeServer):
    """Package documents at /<name>, /<name>/<version|latest>; tarballs at /-/<file>.

    packages = {name: {"versions": {version: tarball_bytes}, "latest": version,
                       "npm_user": "alice" | None, "maintainers": [names],
                       "npm_users": {version: "bob"} (optional: who published each release),
                       "dependencies": {version: {name: range}} (optional),
                       "times": {version: ISO time} (optional; else 2026-01-01, 01-02, … in listed order)}}
    """

    def __init__(self, packages: dict):
        super().__init__()
        self.packages = packages
        self.bad_integrity: set[str] = set()

    def _version_doc(self, name, version, data, pkg):
        filename = f"{name.split('/')[-1]}-{version}.tgz"
        doc = {"name": name, "version": version, "author": {"name": "Free Text Author"},
               "dist": {"tarball": f"{self.url}/-/{name.replace('/', '%2F')}/{filename}",
                        "integrity": npm_integrity(b"x" if (name, version) in self.bad_integrity else data),
                        "shasum": hashlib.sha1(data).hexdigest()}}
        user = (pkg.get("npm_users") or {}).get(version, pkg.get("npm_user"))  # per release, for publisher changes
        if (pkg.get("dependencies") or {}).get(version):
            doc["dependencies"] = pkg["dependencies"][version]
        if user:
            doc["_npmUser"] = {"name": user, "email": "x@example.com"}
        if pkg.get("maintainers"):
            doc["maintainers"] = [{"name": m} for m in pkg["maintainers"]]
        return doc

    def handle(self, handler):
        raw_path = urlsplit(handler.path).path
        if raw_path.startswith("/-/"):
            name, _, filename = unquote(raw_path[3:]).rpartition("/")
            pkg = self.packages.get(name)
            for version, data in (pkg or {}).get("versions", {}).items():
                if filename == f"{name.split('/')[-1]}-{version}.tgz":
                    return self.send(handler, 200, data)
            return self.send(handler, 404, b"not found", "text/plain")
        parts = [unquote(p) for p in raw_path.split("/") if p]
        if parts and parts[0].startswith("@") and len(parts) >= 2 and "/" not in parts[0]:
            parts = [parts[0] + "/" + parts[1], *parts[2:]]
        if not parts or len(parts) > 2:
            return self.send_json(handler, {"error": "Not found"}, 404)
        pkg = self.packages.get(parts[0])
        if pkg is None:
            return self.send_json(handler, {"error": "Not found"}, 404)
        if len(parts) == 1:
            # Publication times in the order the versions are listed (the registry's `time`).
            doc = {"name": parts[0], "dist-tags": {"latest": pkg["latest"]},
                   "versions": {v: self._version_doc(parts[0], v, d, pkg) for v, d in pkg["versions"].items()},
                   "time": {v: (pkg.get("times") or {}).get(v, f"2026-01-{i + 1:02d}T00:00:00.000Z")
                            for i, v in enumerate(pkg["versions"])}}
            return self.send_json(handler, doc)
        version = pkg["latest"] if parts[1] == "latest" else parts[1]
        if version not in pkg["versions"]:
            return self.send_json(handler, {"error": "version not found"}, 404)
        self.send_json(handler, self._version_doc(parts[0], version, pkg["versions"][version], pkg))


# ---- git -------------------------------------------------------------------------------------

GIT_ENV = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_AUTHOR_NAME": "t",
           "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
           "GIT_AUTHOR_DATE": "1700000000 +0000", "GIT_COMMITTER_DATE": "1700000000 +0000"}


class FakeGit(FakeServer):
    """Bare repositories served over HTTP by `git http-backend` (smart HTTP, so shallow clones work).

    repos = {"owner/name": {path: content | ("symlink", target)}}; each is one commit on `main`, tagged `v1`.
    Dumb HTTP cannot serve shallow clones, hence the CGI backend.
    """

    def __init__(self, repos: dict[str, dict[str, str | bytes]]):
        super().__init__()
        self.root = tempfile.mkdtemp(prefix="fakegit-")
        env = {**os.environ, **GIT_ENV}
        for name, files in repos.items():
            work = tempfile.mkdtemp(prefix="fakegit-work-")
            for path, content in files.items():
                target = os.path.join(work, path)
                os.makedirs(os.path.dirname(target), exist_ok=True)
                if isinstance(content, tuple) and content[0] == "symlink":
                    os.symlink(content[1], target)
                    continue
                with open(target, "wb") as fh:
                    fh.write(content.encode() if isinstance(content, str) else content)
            run = lambda *args, cwd=work: subprocess.run(["git", *args], cwd=cwd, env=env, check=True,  # noqa: E731
                                                        capture_output=True)
            run("init", "-q", "-b", "main")
            run("add", "-A")
            run("commit", "-q", "-m", "initial")
            run("tag", "v1")
            bare = os.path.join(self.root, name + ".git")
            os.makedirs(os.path.dirname(bare), exist_ok=True)
            run("clone", "-q", "--bare", work, bare, cwd=self.root)
            run("update-server-info", cwd=bare)
            shutil.rmtree(work)

    def repo_url(self, name: str) -> str:
        return f"{self.url}/{name}.git"

    def __exit__(self, *exc):
        super().__exit__(*exc)
        shutil.rmtree(self.root, ignore_errors=True)

    def handle(self, handler):
        parts = urlsplit(handler.path)
        env = {**os.environ, **GIT_ENV, "GIT_PROJECT_ROOT": self.root, "GIT_HTTP_EXPORT_ALL": "1",
               "PATH_INFO": unquote(parts.path), "QUERY_STRING": parts.query,
               "REQUEST_METHOD": handler.command, "CONTENT_TYPE": handler.headers.get("Content-Type", ""),
               "CONTENT_LENGTH": str(len(handler.body)), "REMOTE_ADDR": "127.0.0.1",
               "GIT_PROTOCOL": handler.headers.get("Git-Protocol", "")}
        proc = subprocess.run(["git", "http-backend"], input=handler.body, env=env, capture_output=True, timeout=30)
        head, _, body = proc.stdout.partition(b"\r\n\r\n")
        if not _:
            head, _, body = proc.stdout.partition(b"\n\n")
        status, headers = 200, {}
        for line in head.decode("latin-1").splitlines():
            key, _, value = line.partition(":")
            if key.lower() == "status":
                status = int(value.strip().split()[0])
            elif key:
                headers[key.strip()] = value.strip()
        content_type = headers.pop("Content-Type", "application/octet-stream")
        self.send(handler, status, body, content_type, headers)
