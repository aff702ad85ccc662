"""gunicorn settings for production (scripts/prod, Procfile). Everything tunable by environment."""
import json
import multiprocessing
import os

from gunicorn import util

bind = os.environ.get("GUNICORN_BIND") or f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
# WEB_CONCURRENCY is the Heroku/Render convention; default 2 per CPU + 1 (gunicorn's advice).
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2 + 1)
# Threads, so a request that waits (POST /v1/verify, bounded) holds a thread, not the whole process.
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread" if threads > 1 else "sync"
# A request that takes longer than this is stuck: the worker is killed and replaced.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then so a slow leak never takes a machine down.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "10000"))
max_requests_jitter = max_requests // 10
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None  # "-" for stdout; off by default (load)
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Behind a reverse proxy on another machine, list its address in FORWARDED_ALLOW_IPS.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
proc_name = "sigil-web"


# POST /v1/verify may wait SIGIL_VERIFY_WAIT_SECONDS for a worker: well below the timeout, or a slow
# verification would get its web worker killed. At most a third, checked against the timeout in force.
VERIFY_WAIT_SHARE_OF_TIMEOUT = 3


def on_starting(server):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sigil.settings")
    from django.conf import settings

    wait = settings.SIGIL_VERIFY_WAIT_SECONDS
    if wait * VERIFY_WAIT_SHARE_OF_TIMEOUT > server.cfg.timeout:
        raise SystemExit(f"SIGIL_VERIFY_WAIT_SECONDS={wait} is not well below the worker timeout "
                         f"({server.cfg.timeout} s): set it to at most {server.cfg.timeout // VERIFY_WAIT_SHARE_OF_TIMEOUT} "
                         "or raise GUNICORN_TIMEOUT.")


# gunicorn answers some malformed requests itself (request line too long: 414, headers too large:
# 431, unparsable: 400) before Django sees them; answer those in the API's JSON envelope too.
GUNICORN_ERROR_CODES = {400: "BAD_REQUEST", 414: "URI_TOO_LONG", 431: "REQUEST_HEADER_FIELDS_TOO_LARGE",
                        403: "FORBIDDEN", 417: "EXPECTATION_FAILED", 500: "INTERNAL_ERROR", 501: "NOT_IMPLEMENTED"}


def write_json_error(sock, status_int, reason, mesg):
    body = json.dumps({"detail": f"{reason}: {mesg}" if mesg else reason,
                       "code": GUNICORN_ERROR_CODES.get(status_int, "ERROR"), "status": status_int})
    head = (f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body.encode())}\r\n\r\n")
    util.write_nonblock(sock, (head + body).encode("latin1", "replace"))


util.write_error = write_json_error
