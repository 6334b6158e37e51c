"""/healthz (the gateway process runs) and /readyz (every upstream says it is ready)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

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


def health_routes(proxies: Sequence[UpstreamProxy], readiness_timeout: float) -> list[BaseRoute]:
    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(_: Request) -> Response:
        # Probed concurrently, each bounded: one slow upstream costs the probe its timeout, not more.
        states = await asyncio.gather(*(upstream_readiness(p, readiness_timeout) for p in proxies))
        upstreams = {proxy.upstream.name: state for proxy, state in zip(proxies, states, strict=True)}
        ready = all(state == "ready" for state in states)
        return JSONResponse(
            {"status": "ready" if ready else "unavailable", "upstreams": upstreams},
            status_code=200 if ready else 503,
        )

    return [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
    ]
