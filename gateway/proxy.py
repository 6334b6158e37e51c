"""Forwarding one request to its upstream: streamed both ways, bounded in time, failures as problems.

`UpstreamProxy` is a pure ASGI app mounted under an upstream's prefix. The request body is handed to
the upstream client (`gateway.forwarding`) as the client's own stream and the response body is relayed
chunk by chunk as it arrives, still encoded, so neither direction is buffered and
`Content-Encoding`/`Content-Length` stay true. Headers that only describe one connection (hop-by-hop)
are dropped; X-Forwarded-* and the request id are added. When the upstream cannot be reached the client
gets a 503 problem naming it, when it is too slow a 504, both within the configured deadline.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from http import HTTPStatus
from urllib.parse import urlsplit, urlunsplit

import aiohttp
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from gateway.forwarding import CircuitOpen, ClientBody, TimedOut, Unreachable, UpstreamClient, UpstreamError
from gateway.settings import GatewaySettings
from gateway.upstreams import Upstream
from services.common.http import CircuitBreaker
from services.common.observability import current_request_id
from services.common.problems import (
    AppError,
    GatewayTimeout,
    Problem,
    ServiceUnavailable,
    problem_response,
    problem_type,
)

logger = logging.getLogger("cityops.gateway")

Headers = list[tuple[bytes, bytes]]

# RFC 9110 §7.6.1: these describe the connection they arrive on, never the message.
HOP_BY_HOP = frozenset(
    {b"connection", b"keep-alive", b"te", b"trailer", b"transfer-encoding", b"upgrade", b"proxy-connection"}
)
# Rebuilt by the gateway rather than passed on: the upstream's own Host, our view of the client, and
# `Expect: 100-continue`, which the gateway's server has already answered.
_REBUILT_REQUEST_HEADERS = frozenset(
    {b"host", b"expect", b"x-forwarded-for", b"x-forwarded-proto", b"x-forwarded-host", b"x-request-id"}
)
# The gateway's server writes its own Date and Server, and the request-id middleware its X-Request-ID.
_REWRITTEN_RESPONSE_HEADERS = frozenset({b"date", b"server", b"x-request-id"})
_JSON_MEDIA_TYPES = ("application/json", "application/problem+json")


class BadGateway(AppError):
    status, slug, title = 502, "bad-gateway", "The upstream service sent a broken response"


class UpstreamProxy:
    """Forwards everything under one upstream's prefix; owns that upstream's client and breaker."""

    def __init__(self, upstream: Upstream, settings: GatewaySettings) -> None:
        self.upstream = upstream
        self.settings = settings
        self.breaker = CircuitBreaker(
            failure_threshold=settings.breaker_failure_threshold,
            reset_seconds=settings.breaker_reset_seconds,
        )
        base_url = settings.url_for(upstream)
        self.internal_origin = origin_of(base_url)
        self.client = UpstreamClient(
            base_url,
            breaker=self.breaker,
            connect_timeout=settings.upstream_connect_timeout,
            read_timeout=settings.upstream_read_timeout,
            deadline_seconds=settings.upstream_deadline,
            retries=settings.upstream_retries,
            max_connections=settings.upstream_max_connections,
        )

    def open(self) -> None:
        """Opens the upstream's connection pool (called from the app's lifespan)."""
        self.client.open()

    async def aclose(self) -> None:
        await self.client.aclose()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope["method"]
        body = ClientBody(Request(scope, receive).stream()) if _has_body(scope) else None
        try:
            incoming = await self.client.send(
                method, _target(scope), _as_text(forwarded_request_headers(scope)), body
            )
        except ClientDisconnect:
            return  # the client left while uploading: nobody is waiting for an answer
        except UpstreamError as exc:
            await self._failure(exc)(scope, receive, send)
            return
        if _needs_problem_document(incoming, method):
            incoming.release()
            await self._non_problem_error(incoming.status)(scope, receive, send)
            return
        await self._relay(incoming, send)

    async def _relay(self, incoming: aiohttp.ClientResponse, send: Send) -> None:
        """Streams the upstream's response as it arrives. Releasing it in `finally` returns the
        connection to the pool once the body is read, and closes it when the client went away
        mid-download."""
        relayed = 0
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": incoming.status,
                    "headers": forwarded_response_headers(incoming.raw_headers, self.internal_origin),
                }
            )
            async for chunk in incoming.content.iter_any():
                relayed += len(chunk)
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except (aiohttp.ClientError, TimeoutError) as exc:
            # The head is already sent: the only honest signal left is to end the response incomplete,
            # which the server does by closing the connection when the app returns without finishing.
            logger.warning(
                "upstream broke off a response",
                extra={"upstream": self.upstream.name, "bytes_relayed": relayed, "error": repr(exc)},
            )
        finally:
            incoming.release()

    def _failure(self, exc: UpstreamError) -> Response:
        name = self.upstream.name
        if isinstance(exc, TimedOut):
            return self._timed_out()
        logger.warning("upstream call failed", extra={"upstream": name, "error": repr(exc)})
        if isinstance(exc, CircuitOpen):
            return _problem(
                ServiceUnavailable(
                    f"The {name} service failed repeatedly; calls to it are paused. Try again later.",
                    upstream=name,
                    headers={"Retry-After": str(self.breaker.retry_after())},
                )
            )
        if isinstance(exc, Unreachable):
            retry_after = self.breaker.retry_after() if self.breaker.is_open else 1
            return _problem(
                ServiceUnavailable(
                    f"The {name} service cannot be reached. Try again later.",
                    upstream=name,
                    headers={"Retry-After": str(retry_after)},
                )
            )
        return _problem(BadGateway(f"The {name} service broke off the exchange.", upstream=name))

    def _timed_out(self) -> Response:
        name = self.upstream.name
        logger.warning("upstream timed out", extra={"upstream": name})
        return _problem(
            GatewayTimeout(
                f"The {name} service did not answer in time ({self.settings.upstream_deadline:g} s).",
                upstream=name,
            )
        )

    def _non_problem_error(self, status: int) -> Response:
        """An upstream error without a problem document (a crash below the app, a stray proxy):
        clients always get problem+json, so the gateway writes one with the same status."""
        name = self.upstream.name
        problem = Problem(
            type=problem_type("upstream-error"),
            title=_phrase(status),
            status=status,
            detail=f"The {name} service answered {status} without a problem document.",
            instance=current_request_id(),
            upstream=name,
        )
        return problem_response(problem)


class _ProxyRoute(Route):
    """Records itself as the matched route, which the router leaves unset for plain Starlette
    routes, so that metrics label forwarded calls by template (`/v1/procurement/{path:path}`)."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["route"] = self
        await super().handle(scope, receive, send)


def proxy_routes(proxy: UpstreamProxy) -> list[BaseRoute]:
    """The prefix itself and everything below it; every method is forwarded (methods=None) and the
    service answers 405 for the ones it lacks."""
    prefix = proxy.upstream.prefix
    return [
        _ProxyRoute(prefix, proxy, methods=None),
        _ProxyRoute(prefix + "/{path:path}", proxy, methods=None),
    ]


def _problem(error: AppError) -> Response:
    return problem_response(error.to_problem(), error.headers)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Upstream error"


def _target(scope: Scope) -> str:
    """The path exactly as the client sent it (still percent-encoded) and its query string."""
    path = scope.get("raw_path") or scope["path"].encode()
    query = scope.get("query_string", b"")
    return (path + b"?" + query if query else path).decode("latin-1")


def _has_body(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"transfer-encoding" or (name == b"content-length" and value.strip() != b"0"):
            return True
    return False


def _connection_tokens(headers: Sequence[tuple[bytes, bytes]]) -> set[bytes]:
    """Headers named in `Connection` are hop-by-hop too (RFC 9110 §7.6.1)."""
    return {
        token.strip().lower()
        for name, value in headers
        if name.lower() == b"connection"
        for token in value.split(b",")
        if token.strip()
    }


def _end_to_end(headers: Sequence[tuple[bytes, bytes]], also_drop: frozenset[bytes]) -> Headers:
    """The headers meant for the other end, names lowercased as ASGI has them."""
    dropped = HOP_BY_HOP | also_drop | _connection_tokens(headers)
    return [
        (lowered, value)
        for name, value in headers
        if (lowered := name.lower()) not in dropped and not lowered.startswith(b"proxy-")
    ]


def forwarded_request_headers(scope: Scope) -> Headers:
    """The client's headers minus hop-by-hop ones, plus X-Forwarded-For/Proto/Host and X-Request-ID.

    X-Forwarded-For is appended to, as proxies do: the upstream's server, trusting only the gateway,
    takes the last address, which is the one the gateway saw."""
    incoming: Headers = scope["headers"]
    headers = _end_to_end(incoming, _REBUILT_REQUEST_HEADERS)
    client = scope.get("client")
    server = scope.get("server")
    client_host = client[0] if client else "unknown"
    earlier = [value for name, value in incoming if name == b"x-forwarded-for"]
    host = next((value for name, value in incoming if name == b"host"), None)
    if host is None and server:
        host = f"{server[0]}:{server[1]}".encode()
    headers.append((b"x-forwarded-for", b", ".join([*earlier, client_host.encode()])))
    headers.append((b"x-forwarded-proto", scope.get("scheme", "http").encode()))
    if host:
        headers.append((b"x-forwarded-host", host))
    request_id = current_request_id()
    if request_id:
        headers.append((b"x-request-id", request_id.encode()))
    return headers


def _as_text(headers: Headers) -> list[tuple[str, str]]:
    return [(name.decode("latin-1"), value.decode("latin-1")) for name, value in headers]


def forwarded_response_headers(
    headers: Sequence[tuple[bytes, bytes]], internal_origin: Origin | None = None
) -> Headers:
    """The upstream's end-to-end headers, with a `Location` on the upstream's own address made relative.

    A service behind the gateway writes absolute links from the address it was called on (a redirect,
    a `Location` built by a framework): passed on, it would send the client to an address inside the
    network and tell everyone where it is. The path alone resolves against the gateway's address."""
    relayed = _end_to_end(headers, _REWRITTEN_RESPONSE_HEADERS)
    if internal_origin is None:
        return relayed
    return [
        (name, _relative_to(internal_origin, value) if name == b"location" else value)
        for name, value in relayed
    ]


Origin = tuple[str, str, int | None]
_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> Origin:
    """(scheme, host, port) of an absolute URL, lowercased, with the scheme's default port spelled out."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:  # a port that is not a number: it cannot be the upstream's
        port = -1
    return scheme, (parts.hostname or "").lower(), port or _DEFAULT_PORTS.get(scheme)


def _relative_to(internal_origin: Origin, location: bytes) -> bytes:
    text = location.decode("latin-1")
    parts = urlsplit(text)
    if not parts.netloc or origin_of(text) != internal_origin:
        return location
    return urlunsplit(("", "", parts.path or "/", parts.query, parts.fragment)).encode("latin-1")


def _needs_problem_document(response: aiohttp.ClientResponse, method: str) -> bool:
    if response.status < 400 or method == "HEAD":
        return False
    media_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    return media_type not in _JSON_MEDIA_TYPES
