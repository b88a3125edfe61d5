"""Which addresses the registry's watcher may connect to: public ones, and those an operator allows by name.

Anyone may ask the registry to watch a URL, so a URL is also a way to make the registry's server send requests
inside its own network: to a database on localhost, an admin page on 10.0.0.1, or the cloud metadata service at
169.254.169.254 that hands out credentials (server-side request forgery). :class:`AddressGuard` resolves a host
once, refuses it if any of its addresses is not globally routable (private, loopback, link-local, shared,
reserved, multicast, unspecified, and the IPv6 forms of each, IPv4-mapped ones included), and returns the one
address the client then connects to, so a second, different DNS answer (DNS rebinding) is never used.

``watch_allow_hosts`` (``CANDOR_WATCH_ALLOW_HOSTS``) names hosts or addresses that are allowed anyway, e.g. a
developer's site on an internal test network, or 127.0.0.1 in the tests.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from candor.httpclient import HttpError, UnreachableError

#: ``socket.getaddrinfo``'s shape, so that a test can resolve a name to an address of its choosing.
Resolver = Callable[[str, int], list[str]]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class ForbiddenAddressError(HttpError):
    """A host that is, or resolves to, an address the watcher must not connect to."""


def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system resolves ``host`` to, in its order of preference."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def is_public(address: IPAddress) -> bool:
    """Whether ``address`` is globally routable and unicast: the only kind a watched URL may reach."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


@dataclass(frozen=True)
class AddressGuard:
    """Resolves a host once and returns the address to connect to, refusing non-public ones not allowed by name."""

    allow_hosts: frozenset[str] = frozenset()
    resolver: Resolver = field(default=system_resolver)

    @classmethod
    def allowing(cls, hosts: Iterable[str], resolver: Resolver = system_resolver) -> AddressGuard:
        return cls(frozenset(host.strip().lower().strip("[]") for host in hosts if host.strip()), resolver)

    def __call__(self, host: str, port: int) -> str:
        name = host.lower().strip("[]")
        try:
            literal: IPAddress | None = ipaddress.ip_address(name)
        except ValueError:
            literal = None
        if literal is not None:
            addresses = [literal]
        else:
            try:
                addresses = [ipaddress.ip_address(text.split("%", 1)[0]) for text in self.resolver(name, port)]
            except (OSError, UnicodeError, ValueError) as exc:
                raise UnreachableError(f"{host}: the name does not resolve ({exc})") from None
            if not addresses:
                raise UnreachableError(f"{host}: the name resolves to no address")
        if name not in self.allow_hosts:
            for address in addresses:
                if not is_public(address) and str(address) not in self.allow_hosts:
                    raise ForbiddenAddressError(
                        f"{host} is {address}, a private, loopback, link-local or reserved address; the watcher "
                        "does not connect there",
                        hint="an operator can allow it with watch_allow_hosts (CANDOR_WATCH_ALLOW_HOSTS)",
                    )
        return str(addresses[0])
