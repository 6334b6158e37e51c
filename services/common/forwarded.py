"""The address a client used, as the client saw it, behind the gateway.

The gateway forwards a call to the service's own address and says where the client sent it in
`X-Forwarded-Host` and `X-Forwarded-Proto` (it sets both itself, whatever the client sent). Links a
service writes into a body, such as an OCDS package's `uri` and `links.next`, must point where the
client can follow them, not at the service's address inside the network. Called directly, without a
gateway in front, a service sees no such headers and keeps its own address.
"""

from __future__ import annotations

from starlette.datastructures import URL
from starlette.requests import Request


def public_url(request: Request) -> URL:
    """`request.url` with the scheme and host the client used, when a proxy in front says so."""
    url = request.url
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
