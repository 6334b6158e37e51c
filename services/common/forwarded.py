"""The address a client used, as the client saw it, behind the gateway.

The gateway forwards a call to the service's own address and says where the client sent it in
`X-Forwarded-Host` and `X-Forwarded-Proto` (it sets both itself, whatever the client sent). Links a
service writes into a body, such as an OCDS package's `uri` and `links.next`, must point where the
client can follow them, not at the service's address inside the network.

Those headers are anyone's to send, so they count only from a proxy the platform trusts: a peer listed
in `CITYOPS_FORWARDED_ALLOW_IPS` (loopback by default). From any other peer, and called directly, the
service keeps the request's own host: a client cannot make the service write links to a host of its
choosing.
"""

from __future__ import annotations

from collections.abc import Iterable
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network

from starlette.datastructures import URL
from starlette.requests import Request

LOOPBACK = ("127.0.0.1", "::1")


class TrustedProxies:
    """Addresses and networks (`10.0.0.0/8`) whose X-Forwarded-* headers are believed; `*` is anyone,
    for a service that only a proxy can reach."""

    def __init__(self, addresses: Iterable[str] = LOOPBACK) -> None:
        entries = [address.strip() for address in addresses if address.strip()]
        self.everyone = "*" in entries
        self.networks: tuple[IPv4Network | IPv6Network, ...] = tuple(
            ip_network(entry, strict=False) for entry in entries if entry != "*"
        )

    def trusts(self, peer: str | None) -> bool:
        if self.everyone:
            return True
        try:
            address = ip_address(peer or "")
        except ValueError:  # no peer (a Unix socket) or not an address: nobody vouched for it
            return False
        return any(address in network for network in self.networks)


def public_url(request: Request) -> URL:
    """`request.url` with the scheme and host the client used, when a trusted proxy in front says so."""
    url = request.url
    trusted: TrustedProxies = request.app.state.trusted_proxies
    if not trusted.trusts(request.client.host if request.client else None):
        return url
    host = _first(request.headers.get("x-forwarded-host"))
    scheme = _first(request.headers.get("x-forwarded-proto"))
    if host:
        url = url.replace(netloc=host)
    if scheme in ("http", "https"):
        url = url.replace(scheme=scheme)
    return url


def _first(value: str | None) -> str | None:
    """The first entry of a header that proxies along the way may have appended to."""
    return value.split(",")[0].strip() if value else None
