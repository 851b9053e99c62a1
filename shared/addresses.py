"""Which network addresses Vigie may connect to for a URL it was given by a feed.

A feed list, a feed's content or a redirect can name any host. Fetching one that resolves to
loopback, a private network or the cloud metadata service (169.254.169.254) would let a feed
read the services' own ports or the host's credentials and publish them as news. So a URL
that comes from outside is fetched only from a public address, checked on the address actually
connected (after DNS resolution, on every hop), unless the operator allows more with
``VIGIE_ALLOW_PRIVATE_NETWORKS``: ``true`` for every address, or addresses and CIDRs such as
``127.0.0.1/32,10.1.0.0/16``.

Python's ``ipaddress`` knows the registries (private, loopback, link-local, CGNAT, reserved,
unspecified); multicast, which it counts as global, is refused here too, and an IPv4 address
carried inside IPv6 (mapped, 6to4, NAT64) is judged as the IPv4 address it reaches.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from .errors import VigieError

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
NAT64 = ipaddress.ip_network("64:ff9b::/96")


class RefusedAddress(VigieError):
    """A host that resolves only to addresses the network policy refuses."""


def parse_address(address: str) -> Address:
    """An address as ``getaddrinfo`` gives it (IPv6 may carry a ``%zone``)."""
    return ipaddress.ip_address(address.split("%", 1)[0])


def reached(address: Address) -> Address:
    """The IPv4 address an IPv6 address carries, if it carries one, else itself."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped:
            return address.ipv4_mapped
        if address.sixtofour:
            return address.sixtofour
        if address in NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def is_public(address: Address) -> bool:
    """True for a unicast address routed on the public Internet."""
    address = reached(address)
    return address.is_global and not address.is_multicast


@dataclass(frozen=True)
class NetworkPolicy:
    """Public addresses always; others only if allowed (all, or the listed networks)."""

    allow_all: bool = False
    allowed: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()

    @classmethod
    def parse(cls, value: str) -> NetworkPolicy:
        """From ``VIGIE_ALLOW_PRIVATE_NETWORKS``: empty or ``false``, ``true``, or a list."""
        value = value.strip()
        if value.lower() in ("", "false", "0", "no"):
            return cls()
        if value.lower() in ("true", "1", "yes"):
            return cls(allow_all=True)
        try:
            networks = tuple(ipaddress.ip_network(part.strip(), strict=False)
                             for part in value.split(",") if part.strip())
        except ValueError as exc:
            raise ValueError(f"not true, false or a list of addresses/CIDRs: {exc}") from None
        return cls(allowed=networks)

    def permits(self, address: Address) -> bool:
        if self.allow_all or is_public(address):
            return True
        return any(address in network or reached(address) in network
                   for network in self.allowed)

    def check(self, host: str, addresses: list[str]) -> list[str]:
        """The permitted ``addresses`` of ``host``, in order; RefusedAddress if none is."""
        permitted = [a for a in addresses if self.permits(parse_address(a))]
        if not permitted:
            raise RefusedAddress(
                f"{host} resolves to {', '.join(dict.fromkeys(addresses))}: not a public"
                " address, refused (VIGIE_ALLOW_PRIVATE_NETWORKS allows it)")
        return permitted


OPEN = NetworkPolicy(allow_all=True)
