"""Loaded by server processes under test (PYTHONPATH): no name or address off this machine resolves.

Fuzzed POST /v1/verify bodies name arbitrary hosts and addresses; this keeps the server (and the
git clones it starts only after its own address check) from reaching the public internet.
"""
import ipaddress
import socket

_real_getaddrinfo = socket.getaddrinfo
_LOCAL_NAMES = {"localhost", "localhost.localdomain"}


def _is_local(host) -> bool:
    if host is None:
        return True
    name = host.decode() if isinstance(host, bytes) else str(host)
    if name.lower() in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(name.strip("[]")).is_loopback
    except ValueError:
        return False


def _offline_getaddrinfo(host, *args, **kwargs):
    if not _is_local(host):
        raise socket.gaierror(socket.EAI_NONAME, "offline test server: only loopback resolves")
    return _real_getaddrinfo(host, *args, **kwargs)


socket.getaddrinfo = _offline_getaddrinfo
