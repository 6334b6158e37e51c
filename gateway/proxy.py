"""Forwarding one request to its upstream: streamed both ways, bounded in time, failures as problems.

`UpstreamProxy` is a pure ASGI app mounted under an upstream's prefix. The request body is handed to
httpx as the client's own stream and the response body is relayed chunk by chunk as it arrives, still
encoded (`aiter_raw`), so neither direction is buffered and `Content-Encoding`/`Content-Length` stay
true. Headers that only describe one connection (hop-by-hop) are dropped; X-Forwarded-* and the request
id are added. When the upstream cannot be reached the client gets a 503 problem naming it, when it is
too slow a 504, both within the configured deadline.
"""

from __future__ import annotations

import logging
from http import HTTPStatus

import httpx
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from gateway.settings import GatewaySettings
from gateway.upstreams import Upstream
from services.common.http import CircuitBreaker, CircuitOpenError, create_client
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
# httpx adds these to every request unless told otherwise; a forwarded request carries only the client's.
_CLIENT_DEFAULT_HEADERS = ("accept", "accept-encoding", "user-agent")
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
        self._client: httpx.AsyncClient | None = None

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            raise RuntimeError(f"the {self.upstream.name} upstream is used before the app started")
        return self._client

    def open(self) -> None:
        """Creates the one pooled client for this upstream (called from the app's lifespan). Retries
        apply to idempotent calls without a streamed body only: a stream cannot be sent twice."""
        settings = self.settings
        self._client = create_client(
            settings.url_for(self.upstream),
            connect_timeout=settings.upstream_connect_timeout,
            read_timeout=settings.upstream_read_timeout,
            deadline_seconds=settings.upstream_deadline,
            retries=settings.upstream_retries,
            max_connections=settings.upstream_max_connections,
            breaker=self.breaker,
        )

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        outgoing = self.client.build_request(
            request.method,
            _target(scope),
            headers=forwarded_request_headers(scope),
            content=request.stream() if _has_body(scope) else None,
        )
        for name in _CLIENT_DEFAULT_HEADERS:
            if name not in request.headers:
                del outgoing.headers[name]
        try:
            incoming = await self.client.send(outgoing, stream=True)
        except ClientDisconnect:
            return  # the client left while uploading: nobody is waiting for an answer
        except httpx.HTTPError as exc:
            await self._failure(exc)(scope, receive, send)
            return
        except TimeoutError:
            await self._timed_out()(scope, receive, send)
            return
        if _needs_problem_document(incoming, request.method):
            await incoming.aclose()
            await self._non_problem_error(incoming.status_code)(scope, receive, send)
            return
        await self._relay(incoming, send)

    async def _relay(self, incoming: httpx.Response, send: Send) -> None:
        """Streams the upstream's response as it arrives. Closing it in `finally` returns the
        connection to the pool even when the client goes away mid-download."""
        relayed = 0
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": incoming.status_code,
                    "headers": forwarded_response_headers(incoming.headers.raw),
                }
            )
            async for chunk in incoming.aiter_raw():
                relayed += len(chunk)
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except httpx.HTTPError as exc:
            # The head is already sent: the only honest signal left is to end the response incomplete,
            # which the server does by closing the connection when the app returns without finishing.
            logger.warning(
                "upstream broke off a response",
                extra={"upstream": self.upstream.name, "bytes_relayed": relayed, "error": repr(exc)},
            )
        finally:
            await incoming.aclose()

    def _failure(self, exc: httpx.HTTPError) -> Response:
        name = self.upstream.name
        unreachable = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
        if isinstance(exc, httpx.TimeoutException) and not isinstance(exc, unreachable):
            return self._timed_out()
        logger.warning("upstream call failed", extra={"upstream": name, "error": repr(exc)})
        if isinstance(exc, CircuitOpenError):
            return _problem(
                ServiceUnavailable(
                    f"The {name} service failed repeatedly; calls to it are paused. Try again later.",
                    upstream=name,
                    headers={"Retry-After": str(self.breaker.retry_after())},
                )
            )
        if isinstance(exc, unreachable):
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
    """Records itself as the matched route, which FastAPI's router leaves unset for plain Starlette
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


def _connection_tokens(headers: Headers) -> set[bytes]:
    """Headers named in `Connection` are hop-by-hop too (RFC 9110 §7.6.1)."""
    return {
        token.strip().lower()
        for name, value in headers
        if name.lower() == b"connection"
        for token in value.split(b",")
        if token.strip()
    }


def _end_to_end(headers: Headers, also_drop: frozenset[bytes]) -> Headers:
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


def forwarded_response_headers(headers: Headers) -> Headers:
    return _end_to_end(headers, _REWRITTEN_RESPONSE_HEADERS)


def _needs_problem_document(response: httpx.Response, method: str) -> bool:
    if response.status_code < 400 or method == "HEAD":
        return False
    media_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    return media_type not in _JSON_MEDIA_TYPES
