"""The gateway's connection to one upstream: `UpstreamClient`, on aiohttp.

Services call each other through the kernel's typed httpx clients (`services.common.http`); the gateway
does a different job. It relays every request of every client, so the client's cost per request is
latency added to the whole API. aiohttp parses HTTP in C and writes straight to the event loop's
transport, and relays a call in well under half of httpx's time (bench/README.md, "The gateway").

The policy is the kernel's: a circuit breaker per upstream, an overall deadline for the response head,
and retries for calls that can safely be sent again (an idempotent method without a body) when the
connection fails or the upstream answers 502/503/504. Failures surface as the few errors below, which
the proxy turns into problems; aiohttp stays inside this module.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

import aiohttp
from yarl import URL

from services.common.http import IDEMPOTENT_METHODS, RETRYABLE_STATUS, CircuitBreaker

# A forwarded request carries only the client's own headers: aiohttp adds none of these by itself.
_NEVER_ADDED = frozenset({"Accept", "Accept-Encoding", "User-Agent", "Content-Type"})
BACKOFF_SECONDS = 0.05


class UpstreamError(Exception):
    """The exchange with the upstream failed before a response head arrived."""


class Unreachable(UpstreamError):
    """No connection could be made (refused, unresolvable, or none free in time)."""


class CircuitOpen(Unreachable):
    """The upstream failed repeatedly; calls are refused until it has had time to recover."""


class TimedOut(UpstreamError):
    """The upstream took longer than the deadline, or a read took longer than its timeout."""


class BrokenExchange(UpstreamError):
    """The connection broke off mid-exchange, or the upstream sent something that is not HTTP."""


class ClientBody:
    """The client's request body as aiohttp reads it, remembering why it stopped early, if it did.

    aiohttp writes a body in a task of its own and reports any failure there as a connection error;
    the proxy needs the original (the client went away, or the body outgrew its limit)."""

    def __init__(self, chunks: AsyncIterator[bytes]) -> None:
        self.chunks = chunks
        self.failure: BaseException | None = None

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self.chunks:
                yield chunk
        except BaseException as exc:
            self.failure = exc
            raise


class UpstreamClient:
    """One pooled connection set per upstream; create it in the lifespan with `open()`."""

    def __init__(
        self,
        base_url: str,
        *,
        breaker: CircuitBreaker,
        connect_timeout: float,
        read_timeout: float,
        deadline_seconds: float,
        retries: int,
        max_connections: int,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.breaker = breaker
        self.deadline_seconds = deadline_seconds
        self.retries = retries
        self._timeout = aiohttp.ClientTimeout(
            total=None, connect=connect_timeout, sock_connect=connect_timeout, sock_read=read_timeout
        )
        self._max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None

    def open(self) -> None:
        # Idle connections expire before the server's keep-alive does (uvicorn: 5 s), so that a request
        # is rarely written to a connection the server is closing at that moment. No cookie jar: the
        # gateway must never keep one client's cookies and send them on with another's request.
        connector = aiohttp.TCPConnector(limit=self._max_connections, keepalive_timeout=2.0)
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=self._timeout,
            auto_decompress=False,
            cookie_jar=aiohttp.DummyCookieJar(),
            skip_auto_headers=_NEVER_ADDED,
        )

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError(f"the client for {self.base_url} is used before the app started")
        return self._session

    async def send(
        self,
        method: str,
        target: str,
        headers: Sequence[tuple[str, str]],
        body: ClientBody | bytes | None = None,
    ) -> aiohttp.ClientResponse:
        """Sends one request and returns as soon as the response head is in; the caller reads the body
        and must `release()` the response. `target` is the path and query exactly as the client sent
        them, percent-encoding included."""
        if self.breaker.is_open:
            raise CircuitOpen(f"circuit open for {self.base_url}")
        url = URL(self.base_url + target, encoded=True)
        attempts = 1 + (self.retries if body is None and method in IDEMPOTENT_METHODS else 0)
        try:
            async with asyncio.timeout(self.deadline_seconds):
                return await self._attempts(method, url, headers, body, attempts)
        except TimeoutError as exc:
            raise TimedOut(f"no answer from {self.base_url} within {self.deadline_seconds} s") from exc

    async def _attempts(
        self,
        method: str,
        url: URL,
        headers: Sequence[tuple[str, str]],
        body: ClientBody | bytes | None,
        attempts: int,
    ) -> aiohttp.ClientResponse:
        for attempt in range(attempts):
            last_attempt = attempt == attempts - 1
            try:
                response = await self.session.request(
                    method, url, headers=headers, data=body, allow_redirects=False
                )
            except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
                self.breaker.record_failure()
                if last_attempt or self.breaker.is_open:
                    raise Unreachable(str(exc)) from exc
            except aiohttp.SocketTimeoutError as exc:
                raise TimedOut(str(exc)) from exc
            except aiohttp.ClientError as exc:
                if isinstance(body, ClientBody) and body.failure is not None:
                    raise body.failure from None
                # Typically a pooled keep-alive connection the server closed as it was reused: when the
                # call can be sent again (there is a next attempt), it is.
                if last_attempt:
                    raise BrokenExchange(str(exc)) from exc
            else:
                if response.status not in RETRYABLE_STATUS:
                    self.breaker.record_success()
                    return response
                self.breaker.record_failure()
                if last_attempt or self.breaker.is_open:
                    return response
                response.release()
            await asyncio.sleep(BACKOFF_SECONDS * 2**attempt)
        raise AssertionError("unreachable: the loop returns or raises on its last attempt")

    async def exchange(
        self, method: str, path: str, headers: Sequence[tuple[str, str]], body: bytes | None = None
    ) -> tuple[int, bytes]:
        """A whole request and its whole answer, for the gateway's own calls (the sandbox clock)."""
        response = await self.send(method, path, headers, body)
        try:
            return response.status, await response.read()
        finally:
            response.release()

    async def status_of(self, path: str, headers: Sequence[tuple[str, str]] = ()) -> int:
        """The status of a GET with no interest in its body (readiness probes)."""
        response = await self.send("GET", path, headers)
        try:
            await response.read()  # read to the end, so that the connection goes back to the pool
        finally:
            response.release()
        return response.status
