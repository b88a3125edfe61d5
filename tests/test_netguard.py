"""The watcher's address guard: private, loopback, link-local and metadata addresses refused unless allowed, and
the connection pinned to the one address resolved (no DNS rebinding)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from candor.httpclient import HttpClient, Resource
from candor.netguard import AddressGuard, ForbiddenAddressError
from tests.sites import Page, Site

PAGE = Resource("page", 1024, ("text/html",))


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "192.168.0.1",
        "172.16.0.1",
        "169.254.169.254",
        "100.100.100.200",
        "0.0.0.0",
        "::1",
        "fd00:ec2::254",
        "fe80::1",
        "::ffff:127.0.0.1",
        "224.0.0.1",
    ],
)
def test_non_public_addresses_are_refused(address: str) -> None:
    guard = AddressGuard.allowing([], resolver=lambda host, port: [address])
    with pytest.raises(ForbiddenAddressError, match="does not connect there"):
        guard("site.example", 443)
    with pytest.raises(ForbiddenAddressError):
        guard(address, 443)


def test_a_public_address_passes_and_an_allowed_host_or_address_is_let_through() -> None:
    assert AddressGuard.allowing([], resolver=lambda host, port: ["93.184.215.14"])("site.example", 443) == (
        "93.184.215.14"
    )
    assert AddressGuard.allowing(["127.0.0.1"])("127.0.0.1", 80) == "127.0.0.1"
    by_name = AddressGuard.allowing(["intranet.example"], resolver=lambda host, port: ["10.0.0.5"])
    assert by_name("intranet.example", 80) == "10.0.0.5"


def test_a_name_with_one_private_address_among_public_ones_is_refused() -> None:
    guard = AddressGuard.allowing([], resolver=lambda host, port: ["93.184.215.14", "10.0.0.1"])
    with pytest.raises(ForbiddenAddressError):
        guard("rebind.example", 443)


@pytest.fixture
def site() -> Iterator[Site]:
    with Site() as running:
        running.pages["/p"] = Page(b"<p>hello</p>")
        yield running


def test_the_client_connects_to_the_address_resolved_once_with_the_name_in_host(site: Site) -> None:
    port = site.server.server_address[1]
    answers = iter([["127.0.0.1"], ["10.9.9.9"]])  # a rebinding DNS: the second answer would be internal
    calls: list[str] = []

    def rebinding(host: str, port: int) -> list[str]:
        calls.append(host)
        return next(answers)

    guard = AddressGuard.allowing(["acme.test"], resolver=rebinding)
    with HttpClient("", connect_guard=guard) as client:
        answer = client.get(f"http://acme.test:{port}/p", PAGE)
    assert answer.body == b"<p>hello</p>"
    assert calls == ["acme.test"]  # resolved once, for the one connection made
    assert site.requests[-1][1]["host"] == f"acme.test:{port}"
