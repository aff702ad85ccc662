"""The guarded client refuses loopback, private, link-local, metadata and other non-global targets."""
import ipaddress
import socket

import pytest

from marketplace import guarded_http
from marketplace.guarded_http import OutboundRefused, OutboundTooLarge, is_public_address

REFUSED_ADDRESSES = [
    "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
    "224.0.0.1", "240.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fc00::1", "ff02::1",
    "::ffff:127.0.0.1", "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe", "64:ff9b::7f00:1",
    "2002:7f00:1::", "2002:a9fe:a9fe::1", "2001:db8::1", "198.18.0.1",
]


@pytest.mark.parametrize("address", REFUSED_ADDRESSES)
def test_non_global_addresses_are_not_public(address):
    assert is_public_address(address) is False


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:4700::6810:84e5", "64:ff9b::5db8:d70e", "::ffff:8.8.8.8"])
def test_global_addresses_are_public(address):
    assert is_public_address(address) is True


def is_ip_literal(host) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


@pytest.fixture
def dns(monkeypatch):
    """Fake DNS answers: {host: [addresses]}; anything else does not resolve."""
    answers: dict[str, list[str]] = {}
    real_getaddrinfo = socket.getaddrinfo

    def fake_getaddrinfo(host, port, *args, **kwargs):
        if host not in answers and is_ip_literal(host):
            return real_getaddrinfo(host, port, *args, **kwargs)  # the connection to a checked address
        if host not in answers:
            raise socket.gaierror("no such host")
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
                for a in answers[host]]

    monkeypatch.setattr(guarded_http.socket, "getaddrinfo", fake_getaddrinfo)
    return answers


@pytest.mark.parametrize("url", [
    "https://127.0.0.1/", "https://169.254.169.254/latest/meta-data/", "https://[::1]/", "https://10.0.0.5/x",
    "https://[::ffff:169.254.169.254]/", "https://0x7f000001/", "https://2130706433/",
])
def test_literal_private_addresses_are_refused(url):
    with pytest.raises(OutboundRefused):
        guarded_http.get(url)


@pytest.mark.parametrize("address", ["127.0.0.1", "169.254.169.254", "10.0.0.7", "100.100.100.200", "fd00::1"])
def test_hostname_resolving_to_a_private_address_is_refused(dns, address):
    dns["sneaky.example.com"] = [address]
    with pytest.raises(OutboundRefused, match="non-public"):
        guarded_http.check_url("https://sneaky.example.com/pkg.tgz")


def test_one_private_address_among_public_ones_is_enough_to_refuse(dns):
    dns["mixed.example.com"] = ["93.184.215.14", "127.0.0.1"]
    with pytest.raises(OutboundRefused):
        guarded_http.check_url("https://mixed.example.com/")


def test_plain_http_is_refused_unless_allowlisted(dns, settings):
    dns["registry.example.com"] = ["93.184.215.14"]
    with pytest.raises(OutboundRefused, match="https"):
        guarded_http.check_url("http://registry.example.com/")
    settings.SIGIL_OUTBOUND_ALLOWLIST = ["registry.example.com:80"]
    assert guarded_http.check_url("http://registry.example.com/").address == "93.184.215.14"


def test_connection_goes_to_the_checked_address_with_the_hostname_as_host_header(dns, web):
    """Pinned: a name that resolved once is connected to by that address, never resolved again."""
    dns["registry.test"] = ["127.0.0.1"]
    from django.conf import settings

    settings.SIGIL_OUTBOUND_ALLOWLIST = [f"registry.test:{web.port}"]
    web.routes["/ok"] = (200, b"hello", {})
    response = guarded_http.get(f"http://registry.test:{web.port}/ok")
    assert (response.status, response.body) == (200, b"hello")
    assert web.requests[-1]["headers"]["host"] == f"registry.test:{web.port}"


def test_allowlist_is_per_port(web, settings):
    settings.SIGIL_OUTBOUND_ALLOWLIST = [f"127.0.0.1:{web.port + 1}"]
    with pytest.raises(OutboundRefused):
        guarded_http.get(f"{web.url}/")


def test_redirect_to_cloud_metadata_is_refused(web):
    web.routes["/go"] = (302, b"", {"Location": "http://169.254.169.254/latest/meta-data/"})
    with pytest.raises(OutboundRefused):
        guarded_http.get(f"{web.url}/go")
    assert [r["path"] for r in web.requests] == ["/go"]


def test_redirect_to_a_loopback_port_outside_the_allowlist_is_refused(web):
    web.routes["/go"] = (301, b"", {"Location": "http://127.0.0.1:9/secret"})
    with pytest.raises(OutboundRefused):
        guarded_http.get(f"{web.url}/go")


def test_redirect_to_a_hostname_resolving_to_private_is_refused(web, dns):
    dns["internal.example.com"] = ["192.168.0.10"]
    web.routes["/go"] = (307, b"", {"Location": "https://internal.example.com/admin"})
    with pytest.raises(OutboundRefused, match="non-public"):
        guarded_http.get(f"{web.url}/go")


def test_redirects_within_allowed_hosts_are_followed_up_to_five(web):
    web.routes["/a"] = (302, b"", {"Location": "/b"})
    web.routes["/b"] = (200, b"done", {})
    assert guarded_http.get(f"{web.url}/a").body == b"done"
    web.routes["/loop"] = (302, b"", {"Location": "/loop"})
    with pytest.raises(OutboundRefused, match="redirects"):
        guarded_http.get(f"{web.url}/loop")
    assert sum(1 for r in web.requests if r["path"] == "/loop") == 6


def test_response_over_the_size_cap_is_refused(web):
    web.routes["/big"] = (200, b"x" * 5000, {})
    with pytest.raises(OutboundTooLarge):
        guarded_http.get(f"{web.url}/big", max_bytes=1000)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "gopher://example.com/", "ftp://example.com/x",
                                 "https://user:pw@example.com/"])
def test_other_schemes_and_credentials_are_refused(url):
    with pytest.raises(OutboundRefused):
        guarded_http.check_url(url)
