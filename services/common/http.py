"""The one way a process calls another over HTTP: `create_client`.

Every client gets timeouts (per socket operation and an overall deadline), retries for idempotent
calls on connection errors and 502/503/504, a circuit breaker per upstream so a dead service fails fast
instead of tying up every caller, and the current request id passed along. httpx stays behind this
module, so swapping the HTTP library touches one file.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from http.cookiejar import CookieJar, DefaultCookiePolicy

import httpx

from services.common.observability import current_request_id

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRYABLE_STATUS = frozenset({502, 503, 504})


class CircuitOpenError(httpx.TransportError):
    """The upstream failed repeatedly; calls are refused until it has had time to recover."""


@dataclass
class CircuitBreaker:
    """Closed → open after `failure_threshold` consecutive failures; after `reset_seconds` one trial
    call is let through (half-open): success closes the circuit, failure opens it again."""

    failure_threshold: int = 5
    reset_seconds: float = 10.0
    failures: int = 0
    opened_at: float | None = None

    @property
    def is_open(self) -> bool:
        if self.opened_at is None:
            return False
        return time.monotonic() - self.opened_at < self.reset_seconds

    def retry_after(self) -> int:
        if self.opened_at is None:
            return 0
        return max(1, round(self.reset_seconds - (time.monotonic() - self.opened_at)))

    def record_success(self) -> None:
        self.failures, self.opened_at = 0, None

    def record_failure(self) -> None:
        self.failures += 1
        if self.failures >= self.failure_threshold:
            self.opened_at = time.monotonic()


def is_retryable(request: httpx.Request) -> bool:
    """Idempotent methods, or a POST that carries an Idempotency-Key, with a body we can send again."""
    replayable_body = isinstance(request.stream, httpx.ByteStream)
    keyed_post = request.method == "POST" and "idempotency-key" in request.headers
    return replayable_body and (request.method in IDEMPOTENT_METHODS or keyed_post)


class ResilientTransport(httpx.AsyncBaseTransport):
    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        *,
        breaker: CircuitBreaker,
        retries: int,
        deadline_seconds: float,
        backoff_seconds: float = 0.05,
    ) -> None:
        self.inner = inner
        self.breaker = breaker
        self.retries = retries
        self.deadline_seconds = deadline_seconds
        self.backoff_seconds = backoff_seconds

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.breaker.is_open:
            raise CircuitOpenError(f"circuit open for {request.url.host}", request=request)
        request_id = current_request_id()
        if request_id and "x-request-id" not in request.headers:
            request.headers["x-request-id"] = request_id
        try:
            async with asyncio.timeout(self.deadline_seconds):
                return await self._attempts(request)
        except TimeoutError as exc:
            # Callers handle httpx's errors; a bare asyncio TimeoutError would escape them as a 500.
            raise httpx.TimeoutException(
                f"no answer from {request.url.host} within {self.deadline_seconds}s", request=request
            ) from exc

    async def _attempts(self, request: httpx.Request) -> httpx.Response:
        attempts = 1 + (self.retries if is_retryable(request) else 0)
        for attempt in range(attempts):
            last_attempt = attempt == attempts - 1
            try:
                response = await self.inner.handle_async_request(request)
            except (httpx.ConnectError, httpx.ConnectTimeout):
                self.breaker.record_failure()
                if last_attempt or self.breaker.is_open:
                    raise
            except (httpx.ReadError, httpx.RemoteProtocolError):
                # Typically a pooled keep-alive connection the server closed as it was reused; the
                # request is idempotent (or keyed) whenever there is a next attempt, so send it again.
                if last_attempt:
                    raise
            else:
                if response.status_code not in RETRYABLE_STATUS:
                    self.breaker.record_success()
                    return response
                self.breaker.record_failure()
                if last_attempt or self.breaker.is_open:
                    return response
                await response.aclose()
            await asyncio.sleep(self.backoff_seconds * 2**attempt)
        raise AssertionError("unreachable: the loop returns or raises on its last attempt")

    async def aclose(self) -> None:
        await self.inner.aclose()


def create_client(
    base_url: str,
    *,
    connect_timeout: float = 2.0,
    read_timeout: float = 10.0,
    deadline_seconds: float = 15.0,
    retries: int = 2,
    max_connections: int = 100,
    breaker: CircuitBreaker | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    """An AsyncClient for one upstream; create it once per process (in the lifespan), not per call."""
    # Idle connections expire before the server's keep-alive does (uvicorn: 5 s), so that a request is
    # never written to a connection the server is closing at that moment.
    limits = httpx.Limits(
        max_connections=max_connections, max_keepalive_connections=max_connections, keepalive_expiry=2.0
    )
    inner = transport or httpx.AsyncHTTPTransport(limits=limits)
    return httpx.AsyncClient(
        base_url=base_url,
        # One client serves every caller of the process: a cookie an answer sets belongs to no one here.
        cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
        timeout=httpx.Timeout(read_timeout, connect=connect_timeout, pool=connect_timeout),
        transport=ResilientTransport(
            inner, breaker=breaker or CircuitBreaker(), retries=retries, deadline_seconds=deadline_seconds
        ),
    )
