"""/healthz (the gateway process runs) and /readyz (every upstream says it is ready).

/readyz is open to anyone and asks every upstream, which asks its database: its answer is kept for a
second (`READINESS_TTL_SECONDS`), and callers arriving while a probe runs wait for that probe rather
than start their own. A flood of /readyz then costs the upstreams one probe a second, and a load
balancer still sees a change within a second.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from gateway.forwarding import CircuitOpen, TimedOut, UpstreamError
from gateway.proxy import UpstreamProxy
from services.common.observability import current_request_id


async def upstream_readiness(proxy: UpstreamProxy, seconds: float) -> str:
    """`ready`, `not_ready` (it answered, but not 200), `timeout`, `unreachable` or `circuit_open`."""
    request_id = current_request_id()
    try:
        async with asyncio.timeout(seconds):
            status = await proxy.client.status_of(
                "/readyz", [("x-request-id", request_id)] if request_id else []
            )
    except CircuitOpen:
        return "circuit_open"
    except (TimeoutError, TimedOut):
        return "timeout"
    except UpstreamError:
        return "unreachable"
    return "ready" if status == 200 else "not_ready"


READINESS_TTL_SECONDS = 1.0

Readiness = tuple[dict[str, Any], int]


class Remembered:
    """The last result of `probe`, for `ttl` seconds after it came back; one probe at a time."""

    def __init__(self, probe: Callable[[], Awaitable[Readiness]], ttl: float) -> None:
        self.probe = probe
        self.ttl = ttl
        self._result: Readiness | None = None
        self._expires = 0.0
        self._lock = asyncio.Lock()

    async def get(self) -> Readiness:
        if self._result is not None and time.monotonic() < self._expires:
            return self._result
        async with self._lock:
            # Whoever held the lock may have just probed: its answer is fresh.
            if self._result is None or time.monotonic() >= self._expires:
                self._result = await self.probe()
                self._expires = time.monotonic() + self.ttl
            return self._result


def health_routes(
    proxies: Sequence[UpstreamProxy], readiness_timeout: float, ttl: float = READINESS_TTL_SECONDS
) -> list[BaseRoute]:
    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def probe() -> Readiness:
        # Probed concurrently, each bounded: one slow upstream costs the probe its timeout, not more.
        states = await asyncio.gather(*(upstream_readiness(p, readiness_timeout) for p in proxies))
        upstreams = {proxy.upstream.name: state for proxy, state in zip(proxies, states, strict=True)}
        ready = all(state == "ready" for state in states)
        return {"status": "ready" if ready else "unavailable", "upstreams": upstreams}, 200 if ready else 503

    readiness = Remembered(probe, ttl)

    async def readyz(_: Request) -> Response:
        body, status = await readiness.get()
        return JSONResponse(body, status_code=status)

    return [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
    ]
